"""The pipeline pages: they render for the roles that use them, forms refuse bad input field by
field, and the board, the forecast and the weekly meeting page issue a constant number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from powerkam.pipeline import services
from powerkam.pipeline.models import GovernmentProject, Opportunity

from .conftest import approved_fields, competitor, kind, stage

pytestmark = pytest.mark.django_db


def _opps(people, n, today):
    for i in range(n):
        services.save_opportunity(
            actor=people["m1"], title=f"机会{i}", prospect_name=f"客户{i}", kind=kind("pv_storage"),
            stage=stage(["lead", "qualified", "proposal"][i % 3]), close_on=today + timedelta(days=30 + i),
            expected_annual_revenue_yuan=Decimal(1000 * (i + 1)), competitors=[competitor()])


def _projects(org_tree, people, n, today):
    for i in range(n):
        p = services.save_project(actor=people["m1"], **approved_fields(org_tree, people, name=f"项目{i}"))
        services.set_milestone(p, p.milestones.first().milestone, planned_on=today - timedelta(days=3),
                               actual_on=None, actor=people["m1"])
        if i % 2:
            services.submit_report(p, week=today, actor=people["m1"], next_steps="推进")


@pytest.mark.parametrize("name", ["pipeline:board", "pipeline:opportunities", "pipeline:projects", "pipeline:weekly",
                                  "pipeline:forecast", "pipeline:opportunity_create", "pipeline:project_create"])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_pages_render(org_tree, people, login, name, lang):
    today = timezone.localdate()
    _opps(people, 3, today)
    _projects(org_tree, people, 2, today)
    c = login(people["sup"])
    r = c.get(reverse(name), HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 200


def test_detail_pages_and_exports(org_tree, people, login):
    today = timezone.localdate()
    _opps(people, 2, today)
    _projects(org_tree, people, 1, today)
    c = login(people["sup"])
    p = GovernmentProject.objects.first()
    o = Opportunity.objects.first()
    for url in (reverse("pipeline:project", args=[p.pk]), reverse("pipeline:report", args=[p.pk]),
                reverse("pipeline:opportunity", args=[o.pk]), reverse("pipeline:quote_create", args=[o.pk])):
        assert c.get(url).status_code == 200, url
    for url in (reverse("pipeline:weekly") + "?export=xlsx", reverse("pipeline:opportunities") + "?export=csv",
                reverse("pipeline:projects") + "?export=xlsx", reverse("pipeline:forecast") + "?export=xlsx"):
        r = c.get(url)
        assert r.status_code == 200 and "attachment" in r["Content-Disposition"], url
    assert login(people["south"]).get(reverse("pipeline:project", args=[p.pk])).status_code == 404


def test_project_form_refuses_one_manager_twice(org_tree, people, login):
    c = login(people["m1"])
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in approved_fields(org_tree, people).items()}
    data["secondary_manager"] = people["m1"].pk
    r = c.post(reverse("pipeline:project_create"), data)
    assert r.status_code == 200 and 'data-field="secondary_manager"' in r.content.decode()
    data["secondary_manager"] = ""
    r = c.post(reverse("pipeline:project_create"), data)
    assert 'data-field="secondary_manager"' in r.content.decode()
    data.update(secondary_manager=people["m2"].pk, approval_date=(timezone.localdate() + timedelta(days=3)).isoformat())
    r = c.post(reverse("pipeline:project_create"), data)
    assert 'data-field="approval_date"' in r.content.decode()
    assert not GovernmentProject.objects.exists()
    data["approval_date"] = "2026-01-05"
    r = c.post(reverse("pipeline:project_create"), data)
    assert r.status_code == 302 and GovernmentProject.objects.count() == 1


def test_board_drag_moves_the_card(people, login):
    today = timezone.localdate()
    _opps(people, 1, today)
    o = Opportunity.objects.get()
    r = login(people["m1"]).post(reverse("pipeline:opportunity_move", args=[o.pk]), {"stage": stage("negotiation").pk},
                                 HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'class="pk-board' in r.content.decode()
    o.refresh_from_db()
    assert o.stage.code == "negotiation" and o.probability == 75


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["pipeline:board", "pipeline:forecast", "pipeline:weekly", "pipeline:opportunities",
                                  "pipeline:projects"])
def test_constant_query_counts(org_tree, people, login, name):
    today = timezone.localdate()
    c = login(people["sup"])
    _opps(people, 3, today)
    _projects(org_tree, people, 2, today)
    small = _count(c, reverse(name))
    _opps(people, 12, today)
    _projects(org_tree, people, 6, today)
    assert _count(c, reverse(name)) == small
