"""Potential key accounts from connection projects and opportunities (issue #15 item 3 via #12
and #13): found for a large open project or opportunity, not for a small or closed one; the
reasons name them; a constant number of queries per page."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.pipeline.models import Opportunity, OpportunityKind, OpportunityStage
from powerkam.projects.models import Project
from powerkam.scoring import selectors, services
from tests.factories import CustomerFactory

RUN = date(2026, 11, 1)


def _project(n, customer, owner, kva, *, kind="increase", status="open"):
    return Project.objects.create(
        number=f"P{n}", application_type=kind, applicant_type="existing", customer=customer, applicant_name="a",
        site_address="x", requested_capacity_kva=D(kva), voltage_level="10kV", org_unit=customer.org_unit,
        first_contact_owner=owner, tracker=owner, accepted_on=date(2026, 10, 1), status=status)


def _opp(n, customer, owner, kva, revenue, stage="negotiation"):
    return Opportunity.objects.create(
        number=f"O{n}", title="t", customer=customer, kind=OpportunityKind.objects.get(code="charging"),
        stage=OpportunityStage.objects.get(code=stage), probability=40, expected_kva=D(kva),
        expected_annual_revenue_yuan=D(revenue), close_on=date(2026, 12, 1), owner=owner, org_unit=customer.org_unit)


@pytest.fixture
def world(org_tree, make_staff):
    mgr = make_staff("manager", org_tree["s1"], username="mgr")
    cs = {k: CustomerFactory(number=k, org_unit=org_tree["s1"], primary_manager=mgr)
          for k in ("BIGPROJ", "SMALLPROJ", "DONEPROJ", "BIGOPP", "RICHOPP", "LOSTOPP", "NOTHING")}
    _project(1, cs["BIGPROJ"], mgr, "1250")
    _project(2, cs["SMALLPROJ"], mgr, "200")
    _project(3, cs["DONEPROJ"], mgr, "2000", status="energised")
    _project(4, cs["SMALLPROJ"], mgr, "5000", kind="reduction")      # a reduction is no growth
    _opp(1, cs["BIGOPP"], mgr, "1000", "10000")
    _opp(2, cs["RICHOPP"], mgr, "0", "600000")
    _opp(3, cs["LOSTOPP"], mgr, "5000", "900000", stage="lost")
    # a capacity-only model where nobody scores near the cut-off
    model = services.save_model(name="cap", cutoffs={"key_account_cutoff": "60", "medium_cutoff": "75",
                                                     "premium_cutoff": "90"},
                                criteria=[{"code": "capacity", "weight": "1", "normalisation": "thresholds",
                                           "thresholds": "100000:100"}])
    services.publish_model(model)
    services.run_scoring(model, RUN)
    return {"mgr": mgr, **cs}


def test_found_for_large_open_projects_and_opportunities(world):
    found = list(selectors.potential_key_accounts(world["mgr"]))
    assert sorted(r.number for r in found) == ["BIGOPP", "BIGPROJ", "RICHOPP"]
    selectors.attach_potential_reasons(world["mgr"], found, selectors.latest_run())
    reasons = {r.number: r.reasons for r in found}
    assert reasons["BIGPROJ"] == ["Open capacity increase project P1: 1250.00 kVA requested"]
    assert reasons["BIGOPP"] == ["Open opportunity O1: 1000.00 kVA, 10000.00 yuan a year expected (40 %)"]
    assert "600000.00 yuan" in reasons["RICHOPP"][0]


def test_another_managers_customer_is_not_listed(world, org_tree, make_staff):
    other = make_staff("manager", org_tree["s3"])
    assert list(selectors.potential_key_accounts(other)) == []


def test_page_shows_the_reasons_in_constant_queries(world, login):
    client = login(world["mgr"])
    with CaptureQueriesContext(connection) as first:
        page = client.get("/scoring/potential/").content.decode()
    assert "P1: 1250.00 kVA" in page and "O1:" in page
    for i in range(10, 15):
        c = CustomerFactory(number=f"X{i}", org_unit=world["BIGPROJ"].org_unit, primary_manager=world["mgr"])
        _project(i, c, world["mgr"], "900")
        _opp(i, c, world["mgr"], "900", "0")
    services.run_scoring(selectors.latest_run().model, RUN)
    with CaptureQueriesContext(connection) as second:
        client.get("/scoring/potential/")
    assert len(first) == len(second)
    api = client.get("/api/v1/scoring/potential/").json()
    assert any("P1" in t for r in api["results"] for t in r["reasons"])
