"""The project page and its actions (issue #12 items 1, 4, 5, 7): intake with the one-time notice,
ticking documents off, stage advance, pause and resume (two clocks), licence warning and the
supervisor override, defects recorded and cleared, the Gantt data; bad input shows field errors
and writes nothing; the customer 360 tab."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from powerkam.projects import constants as c
from powerkam.projects.models import Defect, Project, ProjectDocument

from .web_helpers import accepted

pytestmark = pytest.mark.django_db


def _intake(**overrides) -> dict:
    data = {"application_type": "new", "applicant_type": "new", "applicant_name": "城东数据中心有限公司",
            "site_address": "城东大道 1 号", "requested_capacity_kva": "2500", "voltage_level": "10kV",
            "supply_mode": "single", "usage_category": "large_industry", "industry": "I"}
    data.update(overrides)
    return data


def test_intake_makes_the_receiver_first_contact_owner_and_opens_the_notice(login, people):
    client = login(people["specialist"])
    assert client.get("/projects/new/").status_code == 200
    response = client.post("/projects/new/", _intake(tracker=people["tracker"].pk, green_channel="on"))
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/notice/"
    assert project.first_contact_owner == people["specialist"] and project.tracker == people["tracker"]
    assert project.green_channel and project.stage == c.Stage.ACCEPTED
    notice = client.get(response["Location"])
    html = notice.content.decode()
    assert notice.status_code == 200
    documents = list(project.documents.values_list("name", flat=True))
    assert documents and all(name in html for name in documents)
    assert "notice.css" in html and "data-print" in html  # print CSS and the print button
    for line in c.NOTICE_COMMITMENTS:
        assert str(line)[:20] in html


@pytest.mark.parametrize(("overrides", "field"), [
    ({"requested_capacity_kva": "0"}, "requested_capacity_kva"),
    ({"requested_capacity_kva": "很大"}, "requested_capacity_kva"),
    ({"site_address": ""}, "site_address"),
    ({"applicant_type": "existing"}, "customer"),
    ({"customer": "NO-SUCH"}, "customer"),
])
def test_bad_intake_gets_a_field_error_and_writes_nothing(login, people, overrides, field):
    response = login(people["specialist"]).post("/projects/new/", _intake(tracker=people["tracker"].pk, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not Project.objects.exists()


def test_intake_for_a_customer_of_the_360_page(login, people, customer):
    client = login(people["specialist"])
    form = client.get(f"/projects/new/?customer={customer.pk}").context["form"]
    assert form.initial["customer"] == customer.number and form.initial["applicant_type"] == "existing"
    tab = client.get(f"/projects/customers/{customer.pk}/tab/")
    assert tab.status_code == 200 and "customer-projects" in tab.content.decode()
    assert login(people["other"]).get(f"/projects/customers/{customer.pk}/tab/").status_code == 404


def test_documents_ticked_off_and_a_second_tick_refused(login, people, org_tree):
    project = accepted(people, org_tree, timezone.localdate() - timedelta(days=3))
    doc = project.documents.first()
    client = login(people["specialist"])
    response = client.post(f"/projects/{project.pk}/documents/", {"document": doc.pk})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.received_on == timezone.localdate() and doc.received_by == people["specialist"]
    again = client.post(f"/projects/{project.pk}/documents/", {"document": doc.pk})
    assert again.status_code == 400 and "already received" in again.content.decode()
    other = ProjectDocument.objects.exclude(project=project).first()
    assert other is None or client.post(f"/projects/{project.pk}/documents/", {"document": other.pk}).status_code == 400


def test_advance_pause_and_resume_show_both_clocks(login, people, org_tree):
    today = timezone.localdate()
    project = accepted(people, org_tree, today - timedelta(days=20))
    client = login(people["specialist"])
    ended = (today - timedelta(days=19)).isoformat()
    assert client.post(f"/projects/{project.pk}/advance/", {"stage": "accepted", "ended_on": ended}).status_code == 302
    # Out of order: the project is at survey now; an end before the stage began is refused.
    stale = client.post(f"/projects/{project.pk}/advance/", {"stage": "accepted", "ended_on": ended})
    assert stale.status_code == 400 and stale.context["advance_form"].errors.get("stage")
    early = client.post(f"/projects/{project.pk}/advance/", {"stage": "survey",
                                                             "ended_on": (today - timedelta(days=25)).isoformat()})
    assert early.status_code == 400 and early.context["advance_form"].errors
    project.refresh_from_db()
    assert project.stage == c.Stage.SURVEY
    pause_on = (today - timedelta(days=14)).isoformat()
    assert client.post(f"/projects/{project.pk}/pause/", {"pause-reason": "documents",
                                                          "pause-started_on": pause_on}).status_code == 302
    page = client.get(f"/projects/{project.pk}/")
    assert page.context["project"].is_paused and "resume-form" in page.content.decode()
    assert client.post(f"/projects/{project.pk}/resume/", {"resume-ended_on": (today - timedelta(days=7)).isoformat()
                                                           }).status_code == 302
    page = client.get(f"/projects/{project.pk}/")
    survey = next(k for k in page.context["clocks"] if k.record.stage == c.Stage.SURVEY)
    assert survey.customer_workdays == survey.record.paused_workdays > 0
    assert survey.grid_workdays + survey.customer_workdays > 0
    gantt = json.loads(page.content.decode().split('id="gantt-data" type="application/json">')[1].split("</script>")[0])
    assert [b["kind"] for b in gantt["bars"]].count("pause") == 1
    assert len(gantt["rows"]) == len(project.flow)


def test_licence_warning_blocks_acceptance_until_a_supervisor_overrides(login, people, org_tree):
    today = timezone.localdate()
    project = accepted(people, org_tree, today - timedelta(days=40))
    client = login(people["specialist"])
    flow = list(project.flow)
    for i, stage in enumerate(flow[: flow.index(c.Stage.ACCEPTANCE)]):
        day = (today - timedelta(days=39 - i)).isoformat()
        assert client.post(f"/projects/{project.pk}/advance/", {"stage": stage, "ended_on": day}).status_code == 302
    expired = {"contractor-role": "builder", "contractor-name": "某某电力工程公司", "contractor-licence_class": "5",
               "contractor-licence_valid_from": "2020-01-01", "contractor-licence_valid_to": "2021-01-01"}
    assert client.post(f"/projects/{project.pk}/contractors/", expired).status_code == 302
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'id="licence-warning"' in page and "2021-01-01" in page
    refused = client.post(f"/projects/{project.pk}/advance/", {"stage": "acceptance"})
    assert refused.status_code == 400 and "2021-01-01" in str(refused.context["advance_form"].non_field_errors())
    # A licence that ends before it starts: field error, nothing changed.
    bad = dict(expired, **{"contractor-licence_valid_to": "2019-01-01"})
    response = client.post(f"/projects/{project.pk}/contractors/", bad)
    assert response.status_code == 400 and response.context["contractor_form"].errors.get("licence_valid_to")
    # The specialist cannot override; the station supervisor can, with a reason.
    assert "override-form" not in page
    sup = login(people["station_sup"])
    assert "override-form" in sup.get(f"/projects/{project.pk}/").content.decode()
    assert sup.post(f"/projects/{project.pk}/override/", {"override-reason": ""}).status_code == 400
    assert sup.post(f"/projects/{project.pk}/override/", {"override-reason": "换证中，已核实"}).status_code == 302
    assert client.post(f"/projects/{project.pk}/advance/", {"stage": "acceptance"}).status_code == 302


def test_defects_recorded_cleared_once_and_energisation_names_the_open_one(login, people, org_tree):
    today = timezone.localdate()
    project = accepted(people, org_tree, today - timedelta(days=40))
    Project.objects.filter(pk=project.pk).update(stage=c.Stage.ACCEPTANCE)
    client = login(people["specialist"])
    response = client.post(f"/projects/{project.pk}/defects/", {"defect-item": "接地电阻超标", "defect-severity": "major",
                                                                "defect-responsible_party": "builder"})
    assert response.status_code == 302
    defect = Defect.objects.get()
    Project.objects.filter(pk=project.pk).update(stage=c.Stage.ENERGISATION)
    refused = client.post(f"/projects/{project.pk}/advance/", {"stage": "energisation"})
    assert refused.status_code == 400 and "接地电阻超标" in refused.content.decode()
    assert client.post(f"/projects/{project.pk}/defects/clear/", {"defect": defect.pk, "note": "复检合格"}).status_code == 302
    twice = client.post(f"/projects/{project.pk}/defects/clear/", {"defect": defect.pk})
    assert twice.status_code == 400 and "already cleared" in twice.content.decode()
    assert client.post(f"/projects/{project.pk}/defects/", {"defect-item": ""}).status_code == 400
    assert Defect.objects.count() == 1


def test_read_only_roles_see_the_page_without_actions(login, people, org_tree):
    project = accepted(people, org_tree, date(2026, 11, 2))
    page = login(people["executive"]).get(f"/projects/{project.pk}/")
    assert page.status_code == 200 and "advance-form" not in page.content.decode()
    assert login(people["executive"]).post(f"/projects/{project.pk}/advance/", {"stage": "accepted"}).status_code == 403


def test_project_page_runs_a_constant_number_of_queries(login, people, org_tree, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    project = accepted(people, org_tree, date(2026, 11, 2))
    client = login(people["specialist"])
    client.get(f"/projects/{project.pk}/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/projects/{project.pk}/").status_code == 200
    count = len(ctx.captured_queries)
    client.post(f"/projects/{project.pk}/advance/", {"stage": "accepted", "ended_on": "2026-11-03"})
    client.post(f"/projects/{project.pk}/documents/", {"document": project.documents.first().pk,
                                                       "received_on": "2026-11-03"})
    with django_assert_num_queries(count):
        client.get(f"/projects/{project.pk}/")
