"""Manager portfolios and the 1:15 customer-manager rule (seed 003-篇6)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from powerkam.customers.constants import LifecycleStatus
from powerkam.org.selectors import PORTFOLIO_MIN_CUSTOMERS, portfolio_far_above, portfolio_flag
from tests.factories import CustomerFactory

URL = reverse("org:portfolios")


@pytest.mark.parametrize("size,flag", [
    (0, "below"), (14, "below"), (15, "ok"), (38, "ok"), (40, "ok"), (41, "far_above"), (100, "far_above"),
])
def test_1_15_flags(size, flag):
    """At least 15 customers; more than the default ceiling of 40 is far above."""
    assert PORTFOLIO_MIN_CUSTOMERS == 15 and portfolio_far_above() == 40
    assert portfolio_flag(size) == flag


@pytest.mark.parametrize("ceiling,size,flag", [(60, 41, "ok"), (60, 60, "ok"), (60, 61, "far_above"),
                                               (20, 21, "far_above")])
def test_far_above_ceiling_is_a_setting(settings, ceiling, size, flag):
    settings.POWERKAM_PORTFOLIO_FAR_ABOVE = ceiling
    assert portfolio_flag(size) == flag


@pytest.fixture
def team(org_tree, make_staff):
    t = org_tree
    small = make_staff("manager", t["s1"], full_name="少少")
    right = make_staff("specialist", t["s1"], full_name="正好")
    busy = make_staff("manager", t["s3"], full_name="忙忙")
    for i in range(3):
        CustomerFactory(org_unit=t["s1"], primary_manager=small, is_key_account=i == 0)
    CustomerFactory(org_unit=t["s1"], primary_manager=small, lifecycle_status=LifecycleStatus.CLOSED)
    for i in range(12):
        CustomerFactory(org_unit=t["s1"], primary_manager=right, is_key_account=i < 2)
    for _ in range(3):  # right is secondary on three of small's customers
        CustomerFactory(org_unit=t["s1"], primary_manager=small, secondary_manager=right, is_key_account=True)
    for _ in range(41):
        CustomerFactory(org_unit=t["s3"], primary_manager=busy)
    return {"small": small, "right": right, "busy": busy,
            "sup_north": make_staff("supervisor", t["north"]), "admin": make_staff("admin", t["company"]),
            "exec": make_staff("executive", t["company"])}


def rows_by_name(response):
    return {r.staff.display_name: r for r in response.context["rows"]}


@pytest.mark.django_db
class TestPortfolioPage:
    def test_counts_and_flags(self, team, login):
        rows = rows_by_name(login(team["admin"]).get(URL))
        small, right, busy = rows["少少"], rows["正好"], rows["忙忙"]
        assert (small.primary, small.secondary, small.key_accounts, small.flag) == (6, 0, 4, "below")
        assert (right.primary, right.secondary, right.key_accounts, right.total, right.flag) == (12, 3, 5, 15, "ok")
        assert (busy.primary, busy.total, busy.flag) == (41, 41, "far_above")
        assert set(rows) == {"少少", "正好", "忙忙"}  # only managers and specialists

    def test_page_follows_the_configured_ceiling(self, team, login, settings):
        settings.POWERKAM_PORTFOLIO_FAR_ABOVE = 50
        r = login(team["admin"]).get(URL)
        assert rows_by_name(r)["忙忙"].flag == "ok" and r.context["counts"]["far_above"] == 0
        assert r.context["far_above"] == 50

    def test_supervisor_sees_its_subtree(self, team, login):
        assert set(rows_by_name(login(team["sup_north"]).get(URL))) == {"少少", "正好"}

    def test_manager_sees_itself(self, team, login):
        assert set(rows_by_name(login(team["busy"]).get(URL))) == {"忙忙"}

    def test_filter_by_org_unit(self, team, org_tree, login):
        r = login(team["admin"]).get(URL, {"org_unit": org_tree["south"].pk})
        assert set(rows_by_name(r)) == {"忙忙"}

    def test_flags_are_shown(self, team, login):
        html = login(team["exec"]).get(URL).content.decode()
        assert 'data-flag="below"' in html and 'data-flag="far_above"' in html and 'data-flag="ok"' in html

    def test_query_count_does_not_grow_with_staff(self, team, org_tree, make_staff, login):
        client = login(team["admin"])
        client.get(URL)
        with CaptureQueriesContext(connection) as few:
            client.get(URL)
        for _ in range(10):
            CustomerFactory(org_unit=org_tree["s2"], primary_manager=make_staff("manager", org_tree["s2"]))
        with CaptureQueriesContext(connection) as many:
            r = client.get(URL)
        assert len(r.context["rows"]) == 13
        assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
class TestPortfolioExport:
    def test_xlsx(self, team, login):
        r = login(team["admin"]).get(reverse("org:portfolios_export"), {"fmt": "xlsx"})
        ws = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True).active
        rows = {row[0]: row for row in ws.iter_rows(values_only=True)}
        assert rows["正好"][4:8] == (12, 3, 15, 5)

    def test_csv_scoped(self, team, login):
        r = login(team["sup_north"]).get(reverse("org:portfolios_export"), {"fmt": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
        assert {row[0] for row in rows[1:]} == {"少少", "正好"}


@pytest.mark.django_db
class TestPortfolioDetail:
    def test_lists_the_customers(self, team, login):
        r = login(team["sup_north"]).get(reverse("org:portfolio_detail", args=[team["right"].pk]))
        assert r.context["page"].paginator.count == 15
        assert reverse("org:reassign", args=[r.context["page"].object_list[0].pk]) in r.content.decode()

    def test_out_of_scope_staff_is_404(self, team, login):
        assert login(team["sup_north"]).get(reverse("org:portfolio_detail", args=[team["busy"].pk])).status_code == 404
