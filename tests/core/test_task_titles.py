"""Task titles are shown in the reader's language whatever language created them (issue #10 §2):
a generated title is stored as msgid + parameters and rendered on the page, in the API and in
exports; a title a user typed is shown as typed."""

import csv
import io
from datetime import date, datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_noop, override

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.phrases import phrase
from powerkam.receivables.ladder import STEP_DETAILS, STEP_TITLES, Step
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(org_tree, make_staff):
    return make_staff("manager", org_tree["s1"], full_name="Wang Wu")


@pytest.fixture
def customer(org_tree, manager):
    return CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager, name="ACME Steel")


def _page(client, lang):
    return client.get("/queue/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_a_ladder_task_created_in_english_reads_chinese_in_the_chinese_ui(login, manager, customer):
    with override("en"):  # the nightly job ran in an English process
        workqueue.open_tasks_bulk([{
            "kind": Task.Kind.LADDER_STEP, "assignee": manager, "customer": customer, "key": "ladder:bill:1:remind",
            "title": phrase(STEP_TITLES[Step.REMINDER], n="B-001", c=customer.name, d=date(2026, 12, 10)),
            "detail": phrase(STEP_DETAILS[Step.REMINDER]), "due_at": date(2026, 12, 5)}])
    task = Task.objects.get()
    assert task.title == "Reminder: bill B-001 of ACME Steel is due on 2026-12-10"  # as created, for search
    client = login(manager)
    zh = _page(client, "zh-hans")
    assert "提醒：ACME Steel 的电费账单 B-001 将于 2026-12-10 到期" in zh
    assert "致电客户，确认缴费日期" in zh
    assert "Reminder: bill" not in zh
    assert "Reminder: bill B-001 of ACME Steel is due on 2026-12-10" in _page(client, "en")


def test_a_ticket_task_created_in_chinese_reads_english_in_the_api_and_export(login, org_tree, make_staff, customer):
    from powerkam.service.tickets import services

    clerk = make_staff("clerk", org_tree["s1"])
    with override("zh-hans"):
        ticket = services.open_ticket(actor=clerk, customer=customer, ticket_type="complaint", channel="phone",
                                      subject="Low voltage", cause="power_quality")
    task = Task.objects.get(kind=Task.Kind.TICKET_STEP)
    assert task.title == f"核实：{ticket.number} Low voltage"
    client = login(task.assignee)
    api = client.get(f"/api/v1/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert api["title"] == f"Verify: {ticket.number} Low voltage"
    response = client.get("/queue/", {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert f"Verify: {ticket.number} Low voltage" in [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    with override("zh-hans"):
        assert task.display_title == f"核实：{ticket.number} Low voltage"


def test_an_escalation_task_is_wholly_in_one_language(org_tree, make_staff, customer):
    from powerkam.service.tickets import services

    clerk = make_staff("clerk", org_tree["s1"])
    make_staff("supervisor", org_tree["s1"], full_name="Station Sup")
    opened = timezone.make_aware(datetime(2026, 9, 1, 9, 0))
    with override("zh-hans"):
        services.open_ticket(actor=clerk, customer=customer, ticket_type="complaint", channel="phone",
                             subject="Low voltage", cause="power_quality", now=opened)
    with override("en"):
        services.run_escalations(timezone.make_aware(datetime(2026, 9, 30, 9, 0)))
    task = Task.objects.filter(key__contains=":esc").order_by("id").first()
    assert task is not None
    with override("zh-hans"):
        assert task.display_title.startswith("升级（") and "核实" in task.display_title
        assert "Stage" not in task.display_detail and "环节负责人" in task.display_detail
    with override("en"):
        assert task.display_title.startswith("Escalation (") and "Verify of" in task.display_title
        assert "Stage owner" in task.display_detail


def test_a_title_typed_by_a_user_is_shown_as_typed(manager):
    task = workqueue.open_task(kind=Task.Kind.FOLLOW_UP, assignee=manager, title="给客户回电话 call back")
    for lang in ("en", "zh-hans"):
        with override(lang):
            assert task.display_title == "给客户回电话 call back"
    assert task.title_msgid == ""


def test_a_phrase_survives_a_translation_with_broken_placeholders(manager):
    task = workqueue.open_task(kind=Task.Kind.OTHER, assignee=manager,
                               title=phrase(gettext_noop("Untranslated %(x)s"), x="data"))
    with override("zh-hans"):
        assert task.display_title == "Untranslated data"


def test_existing_generated_titles_are_backfilled_from_either_language(manager, customer):
    rows = [
        ("受理：TK-9 停电咨询", "", "Accept: TK-9 停电咨询", "受理：TK-9 停电咨询"),
        ("Reminder: bill B-7 of ACME Steel is due on 2026-12-10", "",
         "Reminder: bill B-7 of ACME Steel is due on 2026-12-10", "提醒：ACME Steel 的电费账单 B-7 将于 2026-12-10 到期"),
        ("走访逾期：ACME Steel（计划 2026-11-01，Wang Wu）", "该走访已超过计划日期 3 天。",
         "Overdue visit: ACME Steel (planned 2026-11-01, Wang Wu)", "走访逾期：ACME Steel（计划 2026-11-01，Wang Wu）"),
        ("Call back Mr Li", "", "Call back Mr Li", "Call back Mr Li"),
    ]
    for i, (title, detail, _en, _zh) in enumerate(rows):
        Task.objects.create(kind=Task.Kind.OTHER, assignee=manager, title=title, detail=detail, key=f"k{i}")
    migration = import_module("powerkam.core.migrations.0007_firstrun_task_title_backfill")
    migration.backfill(apps, None)
    for i, (_title, _detail, en, zh) in enumerate(rows):
        task = Task.objects.get(key=f"k{i}")
        with override("en"):
            assert task.display_title == en
        with override("zh-hans"):
            assert task.display_title == zh
    overdue = Task.objects.get(key="k2")
    with override("en"):
        assert overdue.display_detail == "The visit is 3 days past its planned day."
