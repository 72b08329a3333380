"""Every scoring and KPI page answers for the roles that use it, in a fixed number of queries."""

from datetime import date

import pytest

from powerkam.scoring import services
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory


@pytest.fixture
def scored(org_tree, make_staff):
    mgr = make_staff("manager", org_tree["s1"], username="m1")
    customers = []
    for i in range(6):
        cu = CustomerFactory(number=f"P{i}", org_unit=org_tree["s1" if i % 2 else "s3"], primary_manager=mgr,
                             is_key_account=i == 0, ka_tier="general" if i == 0 else "")
        make_bill(cu, date(2025, 3, 1), 1000 * (i + 1))
        make_bill(cu, date(2026, 3, 1), 1500 * (i + 1) * (i + 1))
        customers.append(cu)
    model = services.new_version_from(None)
    services.publish_model(model)
    run = services.run_scoring(model, date(2026, 11, 1))
    return {"model": model, "run": run, "customers": customers, "manager": mgr}


PAGES = ["/scoring/", "/scoring/proposals/", "/scoring/proposals/?status=all", "/scoring/key-accounts/",
         "/scoring/potential/", "/scoring/pareto/", "/kpis/", "/kpis/team/", "/kpis/work-quality/",
         "/kpis/reports/", "/kpis/work-quality/visits/late/", "/kpis/work-quality/outage_notices/late/",
         "/kpis/work-quality/complaint_stages/late/", "/kpis/work-quality/collection_steps/late/"]


@pytest.mark.parametrize("role", ["admin", "supervisor", "executive", "manager"])
def test_pages_answer(scored, org_tree, make_staff, login, role):
    user = make_staff(role, org_tree["company"] if role != "supervisor" else org_tree["north"])
    client = login(user)
    for url in PAGES + [f"/scoring/models/{scored['model'].pk}/", f"/scoring/customers/{scored['customers'][1].pk}/"]:
        response = client.get(url)
        # a manager sees only their own portfolio: another manager's customer is "not found"
        expected = 404 if role == "manager" and url.startswith("/scoring/customers/") else 200
        assert response.status_code == expected, (url, response.status_code)


def test_key_account_export(scored, org_tree, make_staff, login):
    client = login(make_staff("admin", org_tree["company"]))
    response = client.get("/scoring/key-accounts/?export=xlsx")
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/kpis/", "/kpis/team/", "/kpis/work-quality/", "/scoring/key-accounts/",
                                 "/scoring/proposals/"])
def test_constant_queries(scored, org_tree, make_staff, login, url, django_assert_max_num_queries):
    """The page costs the same with 6 customers or 12 (and 1 manager or 3)."""
    client = login(make_staff("admin", org_tree["company"]))
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for i in range(6):
        extra = make_staff("manager", org_tree["s2"], username=f"x{i}")
        cu = CustomerFactory(number=f"Q{i}", org_unit=org_tree["s2"], primary_manager=extra, is_key_account=True,
                             ka_tier="medium")
        make_bill(cu, date(2026, 3, 1), 5000)
    services.run_scoring(scored["model"], date(2026, 11, 1))
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before), url
