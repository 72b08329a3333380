"""Potential key accounts without a score (issue #15 item 3): a customer the latest scoring run has
not scored (or before any run) is found from its bills, capacity requests, connection projects and
opportunities, with the reason, and gets the one-click visit; a shrinking one is not found."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.projects.models import Project
from powerkam.scoring import selectors, services
from powerkam.service.visits.models import Visit
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

TODAY = date(2026, 11, 15)  # the growth window: billing months 2025-11 … 2026-10 against 2024-11 … 2025-10


def _project(n, customer, owner, kva, *, status="open", energised_on=None):
    return Project.objects.create(
        number=f"P{n}", application_type="increase", applicant_type="existing", customer=customer,
        applicant_name="a", site_address="x", requested_capacity_kva=D(kva), voltage_level="10kV",
        org_unit=customer.org_unit, first_contact_owner=owner, tracker=owner, accepted_on=date(2025, 1, 5),
        status=status, energised_on=energised_on)


@pytest.fixture
def shop(org_tree, make_staff):
    mgr = make_staff("manager", org_tree["s1"], username="mgr")
    cs = {}
    for number in ("GROWER", "SHRINKER", "SMALLGROWER", "ASKS", "ASKED_RECENTLY", "ASKED_LONG_AGO", "ASKS_LITTLE",
                   "KA_GROWER"):
        cs[number] = CustomerFactory(number=number, org_unit=org_tree["s1"], primary_manager=mgr,
                                     contract_capacity_kva=D("1000"), is_key_account=number == "KA_GROWER")
    # +30 % on 130,000 kWh: on track; −23 %: not; +50 % on 15,000 kWh: too small to matter
    for number, before, after in (("GROWER", 100000, 130000), ("SHRINKER", 130000, 100000),
                                  ("SMALLGROWER", 10000, 15000), ("KA_GROWER", 100000, 200000)):
        make_bill(cs[number], date(2025, 3, 1), before)
        make_bill(cs[number], date(2026, 3, 1), after)
    # capacity increases of a 1,000 kVA customer: 300 kVA open (30 %), 400 kVA energised 3 months ago,
    # 400 kVA energised 14 months ago (too old), 150 kVA open (15 %: too little)
    _project(1, cs["ASKS"], mgr, "300")
    _project(2, cs["ASKED_RECENTLY"], mgr, "400", status="energised", energised_on=TODAY - timedelta(days=90))
    _project(3, cs["ASKED_LONG_AGO"], mgr, "400", status="energised", energised_on=date(2025, 9, 1))
    _project(4, cs["ASKS_LITTLE"], mgr, "150")
    return {"mgr": mgr, **cs}


def test_without_any_scoring_run(shop):
    assert selectors.latest_run() is None
    found = list(selectors.potential_key_accounts(shop["mgr"], today=TODAY))
    assert sorted(r.number for r in found) == ["ASKED_RECENTLY", "ASKS", "GROWER"]
    assert all(r.score is None for r in found)
    selectors.attach_potential_reasons(shop["mgr"], found, None, today=TODAY)
    reasons = {r.number: r.reasons for r in found}
    assert reasons["GROWER"] == ["kWh grew 30.0 % over 12 months (130000.00 kWh), from the bills: not scored yet"]
    assert reasons["ASKS"] == ["Open capacity increase project P1: 300.00 kVA requested"]
    assert reasons["ASKED_RECENTLY"] == [
        f"Capacity increase project P2 energised on {TODAY - timedelta(days=90)}: 400.00 kVA more"]


def test_a_customer_the_run_did_not_score_still_appears(shop, org_tree):
    # a run that scored everyone there was (capacity only: nobody near the cut-off, growth kept)
    model = services.save_model(name="cap", cutoffs={"key_account_cutoff": "60", "medium_cutoff": "75",
                                                     "premium_cutoff": "90"},
                                criteria=[{"code": "capacity", "weight": "1", "normalisation": "thresholds",
                                           "thresholds": "100000:100"}])
    services.publish_model(model)
    run = services.run_scoring(model, TODAY.replace(day=1))
    # a customer arriving after the run: growing, never scored
    late = CustomerFactory(number="LATE", org_unit=org_tree["s1"], primary_manager=shop["mgr"])
    make_bill(late, date(2025, 5, 1), 200000)
    make_bill(late, date(2026, 5, 1), 300000)
    found = list(selectors.potential_key_accounts(shop["mgr"], today=TODAY))
    assert sorted(r.number for r in found) == ["ASKED_RECENTLY", "ASKS", "GROWER", "LATE"]
    by = {r.number: r for r in found}
    assert by["GROWER"].score == D("0.00") and by["GROWER"].growth_pct == D("30.0")  # the run's figures
    assert by["LATE"].score is None
    selectors.attach_potential_reasons(shop["mgr"], found, run, today=TODAY)
    assert by["GROWER"].reasons == ["kWh grew 30.0 % over 12 months (130000.00 kWh)"]
    assert by["LATE"].reasons == ["kWh grew 50.0 % over 12 months (300000.00 kWh), from the bills: not scored yet"]


def test_page_shows_unscored_rows_and_plans_the_visit(shop, login, django_assert_max_num_queries):
    client = login(shop["mgr"])
    with django_assert_max_num_queries(20):
        html = client.get("/scoring/potential/").content.decode()
    assert "No scoring run yet" in html and "not scored" in html
    assert f'id="potential-{shop["ASKS"].pk}"' in html and "P1: 300.00 kVA" in html
    assert f'id="potential-{shop["SHRINKER"].pk}"' not in html
    r = client.post(f"/scoring/potential/{shop['ASKS'].pk}/visit/", {})
    assert r.status_code == 302
    assert Visit.objects.get(customer=shop["ASKS"]).assignee == shop["mgr"]
    api = client.get("/api/v1/scoring/potential/").json()
    row = next(x for x in api["results"] if x["number"] == "ASKS")
    assert row["score"] is None and row["reasons"] == ["Open capacity increase project P1: 300.00 kVA requested"]


def test_page_query_count_does_not_grow(shop, org_tree, login):
    client = login(shop["mgr"])
    with CaptureQueriesContext(connection) as first:
        client.get("/scoring/potential/")
    for i in range(10, 16):
        cu = CustomerFactory(number=f"X{i}", org_unit=org_tree["s1"], primary_manager=shop["mgr"],
                             contract_capacity_kva=D("1000"))
        _project(i, cu, shop["mgr"], "500")
        make_bill(cu, date(2025, 3, 1), 100000)
        make_bill(cu, date(2026, 3, 1), 150000)
    with CaptureQueriesContext(connection) as second:
        client.get("/scoring/potential/")
    assert len(first) == len(second)
