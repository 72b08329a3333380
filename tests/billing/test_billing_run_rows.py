"""A billing run writes set-based (no model instance per row): its bills, lines, history rows and
timeline events must hold exactly what the calculator computes for each reading, for every kind
of tariff — single-part TOU and flat, two-part by capacity and by demand (with the 105 % excess),
each PF standard and none — and a rerun must write nothing, in a constant number of queries."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.billing.calculator import Load, calculate
from powerkam.billing.models import Bill, BillLine
from powerkam.billing.services import BILL_COLUMNS, run_billing, spec_from_tariff, tariff_in_force
from powerkam.customers.models import TimelineEvent
from tests.factories import CustomerFactory

from .factories import MeterReadingFactory, TariffFactory

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 1)
BILL_FIELDS = [f.attname for f in Bill._meta.concrete_fields]
TOU_PARTS = ("sharp", "peak", "flat", "valley")

# (tariff code, customer terms, reading quantities)
CASES = [
    ("LI-TOU", dict(basic_charge_method="capacity", pf_standard="0.90", contract_capacity_kva=D("630")),
     dict(kwh_sharp=D("5000"), kwh_peak=D("20000"), kwh_flat=D("30000"), kwh_valley=D("25000"), kvarh=D("48000"))),
    # demand above 105 % of the declared value: the excess line at double price
    ("LI-TOU", dict(basic_charge_method="demand", pf_standard="0.85", contract_capacity_kva=D("630")),
     dict(kwh_sharp=D("0"), kwh_peak=D("12345.67"), kwh_flat=D("23456.78"), kwh_valley=D("34567.89"),
          kvarh=D("51234.56"), max_demand_kw=D("455.55"), declared_demand_kw=D("380"))),
    # declared demand below 40 % of the capacity: approved at 40 %
    ("LI-TOU", dict(basic_charge_method="demand", pf_standard="0.80", contract_capacity_kva=D("2000")),
     dict(kwh_sharp=D("1000"), kwh_peak=D("2000"), kwh_flat=D("3000"), kwh_valley=D("4000"), kvarh=D("100"),
          max_demand_kw=D("500"), declared_demand_kw=D("500"))),
    ("LI-FLAT", dict(basic_charge_method="capacity", pf_standard="0.90", contract_capacity_kva=D("1250")),
     dict(kwh_sharp=D("0"), kwh_peak=D("0"), kwh_flat=D("0"), kwh_valley=D("0"), kwh_total=D("98765.43"),
          kvarh=D("20000"))),
    ("GC-TOU", dict(basic_charge_method="none", pf_standard="0.85", contract_capacity_kva=D("200")),
     dict(kwh_sharp=D("111.11"), kwh_peak=D("2222.22"), kwh_flat=D("3333.33"), kwh_valley=D("4444.44"),
          kvarh=D("7777.77"))),
    ("GC-TOU", dict(basic_charge_method="none", pf_standard="none", contract_capacity_kva=D("100")),
     dict(kwh_sharp=D("0"), kwh_peak=D("1000"), kwh_flat=D("1000"), kwh_valley=D("1000"), kvarh=D("0"))),
    # non-TOU without a total: the sum of the registers is billed
    ("GC-FLAT", dict(basic_charge_method="none", pf_standard="0.80", contract_capacity_kva=D("160")),
     dict(kwh_sharp=D("10"), kwh_peak=D("20"), kwh_flat=D("30"), kwh_valley=D("40.55"), kwh_total=None,
          kvarh=D("80.25"))),
    ("GC-FLAT", dict(basic_charge_method="none", pf_standard="none", contract_capacity_kva=D("160")),
     dict(kwh_sharp=D("0"), kwh_peak=D("0"), kwh_flat=D("0"), kwh_valley=D("0"), kwh_total=D("0"), kvarh=D("0"))),
]


@pytest.fixture
def catalogue():
    TariffFactory(code="LI-TOU")
    TariffFactory(code="LI-FLAT", is_tou=False, price_single=D("0.6532"), capacity_price=D("28.5"),
                  demand_price=None)
    TariffFactory(code="GC-TOU", name="一般工商业 分时", category="single_part", usage_category="commercial",
                  price_sharp=D("1.234567"), price_peak=D("0.987654"), price_flat=D("0.654321"),
                  price_valley=D("0.321987"), capacity_price=None, demand_price=None)
    TariffFactory(code="GC-FLAT", name="一般工商业 单一", category="single_part", usage_category="commercial",
                  is_tou=False, price_single=D("0.7013"), capacity_price=None, demand_price=None,
                  funds=[("renewable", "可再生能源电价附加", D("0.019"))])


def expected_load(code: str, terms: dict, quantities: dict) -> Load:
    """The calculator's input written out by hand (not through the service's own mapping)."""
    tou = code.endswith("TOU")
    parts = {p: quantities.get(f"kwh_{p}", D("0")) for p in TOU_PARTS}
    total = quantities.get("kwh_total")
    if total is None:
        total = sum(parts.values(), D("0"))
    return Load(kwh={p: v for p, v in parts.items() if v} if tou else {}, kwh_total=None if tou else total,
                kvarh=quantities["kvarh"], max_demand_kw=quantities.get("max_demand_kw", D("400")),
                declared_demand_kw=quantities.get("declared_demand_kw", D("380")),
                capacity_kva=terms["contract_capacity_kva"], pf_standard=terms["pf_standard"],
                basic_method="demand" if terms["basic_charge_method"] == "demand" else "capacity")


def test_run_writes_exactly_what_the_calculator_computes(catalogue, make_staff):
    clerk = make_staff("clerk")
    customers = []
    for i, (code, terms, quantities) in enumerate(CASES):
        cu = CustomerFactory(number=f"32000000{i:02d}", tariff_code=code, **terms)
        MeterReadingFactory(customer=cu, period=OCT, **quantities)
        customers.append(cu)

    run = run_billing(OCT, actor=clerk, chunk_size=3)  # three chunks

    assert (run.total, run.created, run.skipped, run.errors) == (len(CASES), len(CASES), 0, [])
    kinds = set()
    for cu, (code, terms, quantities) in zip(customers, CASES, strict=True):
        result = calculate(spec_from_tariff(tariff_in_force(code, OCT)), expected_load(code, terms, quantities))
        bill = Bill.objects.get(customer=cu)
        assert (bill.number, bill.period, bill.issued_on, bill.due_on, bill.status, bill.source) == (
            f"B202610-{cu.number}", OCT, date(2026, 11, 5), date(2026, 11, 20), "open", "run")
        assert (bill.tariff_code, bill.kwh, bill.kvarh, bill.max_demand_kw, bill.power_factor,
                bill.pf_adjustment_rate) == (code, result.kwh, result.kvarh, quantities.get("max_demand_kw", D("400")),
                                             result.power_factor, result.pf_adjustment_rate)
        assert (bill.energy_charge, bill.basic_charge, bill.pf_adjustment, bill.surcharges, bill.total,
                bill.paid_amount) == (result.energy_charge, result.basic_charge, result.pf_adjustment_amount,
                                      result.surcharges, result.total, D("0"))
        assert bill.created_by == clerk
        lines = list(BillLine.objects.filter(bill=bill).order_by("sort")
                     .values_list("sort", "item", "label", "quantity", "unit", "unit_price", "amount"))
        assert lines == [(i, ln.item, ln.label, ln.quantity, ln.unit, ln.unit_price, ln.amount)
                         for i, ln in enumerate(result.lines)]
        assert sum(ln[-1] for ln in lines) == bill.total
        history = list(bill.history.values_list("history_type", "history_user_id", "history_change_reason",
                                                "total", "number"))
        assert history == [("+", clerk.pk, None, result.total, bill.number)]
        # the history row holds every column of the bill as saved
        assert list(bill.history.values(*BILL_FIELDS)) == list(Bill.objects.filter(pk=bill.pk).values(*BILL_FIELDS))
        events = list(TimelineEvent.objects.filter(customer=cu).values_list("kind", "title", "detail", "actor_id"))
        assert events == [("bill.issued", f"Bill {bill.number} issued for 2026-10: {result.total} yuan",
                           "Due on 2026-11-20.", clerk.pk)]
        kinds.update(ln.item for ln in result.lines)
        kinds.add((result.basic_method, terms["pf_standard"]))
    # the cases cover every line kind and every PF standard
    assert {"energy", "energy_sharp", "energy_valley", "basic_capacity", "basic_demand", "basic_demand_excess",
            "pf_adjustment", "fund_water", "fund_renewable"} <= kinds
    assert {k[1] for k in kinds if isinstance(k, tuple)} == {"0.90", "0.85", "0.80", "none"}


def test_rerun_writes_nothing_in_constant_queries(catalogue):
    for i, (code, terms, quantities) in enumerate(CASES):
        MeterReadingFactory(customer=CustomerFactory(number=f"32000000{i:02d}", tariff_code=code, **terms),
                            period=OCT, **quantities)
    run_billing(OCT)
    counts = (Bill.objects.count(), BillLine.objects.count(), Bill.history.count(),
              TimelineEvent.objects.filter(kind="bill.issued").count())
    with CaptureQueriesContext(connection) as ctx:
        again = run_billing(OCT)
    assert (again.total, again.created, again.skipped, again.done, again.status) == (len(CASES), 0, len(CASES),
                                                                                   len(CASES), "done")
    assert counts == (Bill.objects.count(), BillLine.objects.count(), Bill.history.count(),
                      TimelineEvent.objects.filter(kind="bill.issued").count())
    # run created, marked running, readings counted, readings to bill listed (none), run finished
    assert len(ctx.captured_queries) == 5, [q["sql"] for q in ctx.captured_queries]


def test_writes_per_chunk_do_not_grow_with_the_readings(catalogue):
    def queries(n: int, first: int) -> int:
        for i in range(n):
            code, terms, quantities = CASES[i % len(CASES)]
            MeterReadingFactory(customer=CustomerFactory(number=f"33{first + i:08d}", tariff_code=code, **terms),
                                period=OCT, **quantities)
        with CaptureQueriesContext(connection) as ctx:
            run = run_billing(OCT, chunk_size=100)
        assert run.created == n
        return len(ctx.captured_queries)

    assert queries(3, 0) == queries(24, 100)


def test_given_readings_are_billed_once(catalogue):
    readings = [MeterReadingFactory(customer=CustomerFactory(number=f"32000000{i:02d}", tariff_code=code, **terms),
                                    period=OCT, **quantities)
                for i, (code, terms, quantities) in enumerate(CASES[:3])]
    first = run_billing(OCT, readings=readings[:2])
    assert (first.total, first.created, first.skipped) == (2, 2, 0)
    again = run_billing(OCT, readings=readings, chunk_size=2)
    assert (again.total, again.created, again.skipped, again.done) == (3, 1, 2, 3)
    assert Bill.objects.filter(period=OCT).count() == 3


def test_bill_rows_name_every_column():
    """write_bills sends every bill column (a new field must be added to BILL_COLUMNS)."""
    assert sorted(("id", *BILL_COLUMNS)) == sorted(f.column for f in Bill._meta.concrete_fields)
