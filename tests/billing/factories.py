"""Billing factories: a two-part TOU large-industry tariff with the three national funds, bills."""

from datetime import date
from decimal import Decimal

import factory

from powerkam.billing.models import Bill, MeterReading, Tariff, TariffSurcharge
from tests.factories import CustomerFactory

FUNDS = (
    ("water", "国家重大水利工程建设基金", Decimal("0.00196875")),
    ("resettle", "大中型水库移民后期扶持资金", Decimal("0.0062")),
    ("renewable", "可再生能源电价附加", Decimal("0.019")),
)


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = "大工业 1-10kV 分时"
    category = "two_part"
    usage_category = "large_industry"
    voltage_band = "1-10kV"
    effective_from = date(2026, 1, 1)
    effective_to = None
    is_tou = True
    price_sharp = Decimal("1.1")
    price_peak = Decimal("0.95")
    price_flat = Decimal("0.62")
    price_valley = Decimal("0.32")
    capacity_price = Decimal("25")
    demand_price = Decimal("36")

    @factory.post_generation
    def funds(self, create, extracted, **kwargs):
        if not create:
            return
        for i, (code, name, price) in enumerate(FUNDS if extracted is None else extracted):
            TariffSurcharge.objects.create(tariff=self, code=code, name=name, price=price, sort=i)


class MeterReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeterReading

    customer = factory.SubFactory(CustomerFactory)
    period = date(2026, 10, 1)
    kwh_sharp = Decimal("5000")
    kwh_peak = Decimal("20000")
    kwh_flat = Decimal("30000")
    kwh_valley = Decimal("25000")
    kvarh = Decimal("48000")
    max_demand_kw = Decimal("400")
    declared_demand_kw = Decimal("380")


class BillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bill

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"B{n:08d}")
    period = date(2026, 10, 1)
    issued_on = date(2026, 11, 5)
    due_on = date(2026, 11, 20)
    tariff_code = "T000"
    kwh = Decimal("1000")
    total = Decimal("700.00")
