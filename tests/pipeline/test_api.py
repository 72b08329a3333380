"""The pipeline API: the same rules as the pages (1+1, bad input, discount approval), scoped."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from powerkam.pipeline.models import GovernmentProject, Opportunity, Quote

from .conftest import item, kind, stage

pytestmark = pytest.mark.django_db


def client(user) -> APIClient:
    c = APIClient()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def project_body(org_tree, people, **changes):
    body = {"name": "API 数据中心", "gov_status": "approved", "approval_doc_no": "发改〔2026〕1号",
            "approval_date": "2026-03-01", "org_unit": org_tree["s1"].pk, "expected_load_kw": "5000",
            "primary_manager": people["m1"].pk, "secondary_manager": people["m2"].pk}
    body.update(changes)
    return body


def test_the_1_plus_1_rule_in_the_api(org_tree, people):
    api = client(people["sup"])
    r = api.post("/api/v1/government-projects/", project_body(org_tree, people, secondary_manager=people["m1"].pk),
                 format="json")
    assert r.status_code == 400 and "secondary_manager" in r.json()
    r = api.post("/api/v1/government-projects/", project_body(org_tree, people, secondary_manager=None), format="json")
    assert r.status_code == 400 and "secondary_manager" in r.json()
    r = api.post("/api/v1/government-projects/", project_body(org_tree, people, expected_load_kw="-3"), format="json")
    assert r.status_code == 400 and "expected_load_kw" in r.json()
    r = api.post("/api/v1/government-projects/", project_body(org_tree, people, approval_date="2999-01-01"),
                 format="json")
    assert r.status_code == 400 and "approval_date" in r.json()
    assert not GovernmentProject.objects.exists()
    r = api.post("/api/v1/government-projects/", project_body(org_tree, people), format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert len(r.json()["milestones"]) == 5
    assert client(people["m2"]).get(f"/api/v1/government-projects/{pk}/").status_code == 200
    assert client(people["south"]).get(f"/api/v1/government-projects/{pk}/").status_code == 404
    r = api.patch(f"/api/v1/government-projects/{pk}/", {"secondary_manager": None}, format="json")
    assert r.status_code == 400


def test_opportunity_and_quote_through_the_api(people):
    api = client(people["m1"])
    body = {"title": "无功补偿改造", "prospect_name": "某水泥厂", "kind": kind("pf_correction").pk,
            "close_on": "2999-12-31", "expected_annual_revenue_yuan": "90000"}
    assert api.post("/api/v1/opportunities/", {**body, "probability": 101}, format="json").status_code == 400
    assert api.post("/api/v1/opportunities/", {**body, "close_on": "2000-01-01"}, format="json").status_code == 400
    assert not Opportunity.objects.exists()
    r = api.post("/api/v1/opportunities/", body, format="json")
    assert r.status_code == 201, r.content
    opp = r.json()
    assert opp["probability"] == 10 and opp["owner"] == people["m1"].pk
    r = api.post(f"/api/v1/opportunities/{opp['id']}/move/", {"stage": stage("lost").pk}, format="json")
    assert r.status_code == 400 and "loss_reason" in r.json()
    r = api.post("/api/v1/quotes/", {"opportunity": opp["id"], "lines": [
        {"item": item("PF-01").pk, "quantity": "-2"}]}, format="json")
    assert r.status_code == 400 and not Quote.objects.exists()
    r = api.post("/api/v1/quotes/", {"opportunity": opp["id"], "lines": [
        {"item": item("PF-01").pk, "quantity": "2", "discount_pct": "25"}]}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending"
    quote = r.json()["id"]
    assert api.post(f"/api/v1/quotes/{quote}/accept/").status_code == 400
    assert client(people["sup"]).post(f"/api/v1/quotes/{quote}/decide/", {"approve": True},
                                      format="json").status_code == 200
    assert api.post(f"/api/v1/quotes/{quote}/accept/").status_code == 200
    assert Opportunity.objects.get().stage.code == "won"
    assert client(people["south"]).get(f"/api/v1/quotes/{quote}/").status_code == 404


def test_weekly_report_through_the_api(project, people):
    r = client(people["m1"]).post(f"/api/v1/government-projects/{project.pk}/report/",
                                  {"week": date.today().isoformat(), "milestone_progress": {"land": "已批"}},
                                  format="json")
    assert r.status_code == 200, r.content
    assert project.weekly_reports.count() == 1
