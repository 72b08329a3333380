"""Stopping supply for non-payment follows the legal procedure (供电营业规则 第六十六、六十七、
六十九条; issue #10 item 3): written notice → approval by a supervisor of the customer's unit →
stop notice delivered 3–7 days before the stop → the customer told again 30 minutes before →
stopped → restored after payment. Each step keeps its date, is audited, is on the timeline and
gives the next person a task; a step out of order or outside its window is refused."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.receivables import services, stop_supply
from powerkam.receivables.ladder import run_ladder
from powerkam.receivables.models import StopSupplyCase

D = date(2026, 3, 20)  # due date
S = StopSupplyCase.Status


def at(text: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture
def overdue(world, bill_maker):
    bill = bill_maker(world["c1"], "5000.00", D)
    run_ladder(D + timedelta(days=14))  # the written collection notice
    return bill


def _approved(bill, world, stop="2026-04-10 09:00"):
    case = stop_supply.open_case(bill, actor=world["m1"], today=D + timedelta(days=15))
    case = stop_supply.request_approval(case, scheduled_stop_at=at(stop), actor=world["m1"], now=at("2026-04-04 10:00"))
    return stop_supply.decide(case, approve=True, approver=world["sup"], note="ok", now=at("2026-04-04 15:00"))


def test_no_case_without_a_written_notice(world, bill_maker):
    bill = bill_maker(world["c1"], "100.00", D)
    run_ladder(D + timedelta(days=8))  # warning only, no written notice yet
    with pytest.raises(ValidationError, match="written collection notice"):
        stop_supply.open_case(bill, actor=world["m1"])
    assert not StopSupplyCase.objects.exists()


def test_the_whole_procedure_with_dates_tasks_timeline_and_audit(overdue, world):
    case = _approved(overdue, world)
    assert case.status == S.APPROVED and case.decided_by == world["sup"]
    approval = Task.objects.get(key=f"stopcase:{case.pk}:approval")
    assert approval.assignee == world["sup"] and approval.kind == "approval" and approval.status == "done"
    deliver = Task.objects.get(key=f"stopcase:{case.pk}:deliver")
    assert deliver.assignee == world["m1"] and deliver.due_at.date() == date(2026, 4, 7)

    case = stop_supply.deliver_stop_notice(case, delivered_on=date(2026, 4, 5), actor=world["m1"])
    remind = Task.objects.get(key=f"stopcase:{case.pk}:remind")
    assert remind.due_at == at("2026-04-10 08:30")
    case = stop_supply.record_reminder(case, reminded_at=at("2026-04-10 08:25"), actor=world["m1"])
    case = stop_supply.record_stop(case, stopped_at=at("2026-04-10 09:05"), actor=world["m1"])
    assert case.status == S.STOPPED

    services.record_payment(customer=world["c1"], amount="5000.00", channel="counter", received_on=date(2026, 4, 12),
                            today=date(2026, 4, 12))
    case.refresh_from_db()
    assert case.paid_on == date(2026, 4, 12) and case.status == S.STOPPED
    restore = Task.objects.get(key=f"stopcase:{case.pk}:restore")
    assert restore.assignee == world["m1"] and restore.due_at.date() == date(2026, 4, 15)  # within 3 days
    case = stop_supply.restore(case, restored_at=at("2026-04-12 16:00"), actor=world["m1"])
    assert case.status == S.RESTORED
    assert Task.objects.get(key=f"stopcase:{case.pk}:restore").status == "done"

    assert [h.status for h in case.history.order_by("history_date", "history_id")] == [
        "notice_issued", "approval_requested", "approved", "notice_delivered", "reminded", "stopped", "stopped",
        "restored"]
    titles = list(TimelineEvent.objects.filter(customer=world["c1"], kind="stop_supply").order_by("occurred_at", "pk")
                  .values_list("title", flat=True))
    assert len(titles) == 8 and titles[-1].startswith("Supply restored")
    stopped = TimelineEvent.objects.get(customer=world["c1"], kind="stop_supply", title__startswith="Supply stopped")
    assert stopped.occurred_at == at("2026-04-10 09:05")


@pytest.mark.parametrize(("delivered", "ok"), [
    (date(2026, 4, 2), False),   # 8 days before
    (date(2026, 4, 3), True),    # 7 days before
    (date(2026, 4, 7), True),    # 3 days before
    (date(2026, 4, 8), False),   # 2 days before
])
def test_stop_notice_is_delivered_3_to_7_days_before_the_stop(overdue, world, delivered, ok):
    case = _approved(overdue, world)
    if ok:
        assert stop_supply.deliver_stop_notice(case, delivered_on=delivered, actor=world["m1"]).status == S.STOP_NOTICE_DELIVERED
    else:
        with pytest.raises(ValidationError) as exc:
            stop_supply.deliver_stop_notice(case, delivered_on=delivered, actor=world["m1"])
        assert "3 to 7 days before the stop" in exc.value.message_dict["delivered_on"][0]
        case.refresh_from_db()
        assert case.status == S.APPROVED and case.stop_notice_delivered_on is None


def test_only_a_supervisor_of_the_customers_unit_approves(overdue, world, org_tree, make_staff):
    case = stop_supply.open_case(overdue, actor=world["m1"], today=D + timedelta(days=15))
    case = stop_supply.request_approval(case, scheduled_stop_at=at("2026-04-10 09:00"), actor=world["m1"],
                                        now=at("2026-04-04 10:00"))
    south = make_staff("supervisor", org_tree["south"])
    for person in (world["m1"], south):
        with pytest.raises(ValidationError, match="supervisor of the customer's unit"):
            stop_supply.decide(case, approve=True, approver=person)
    with pytest.raises(ValidationError, match="reason for the rejection"):
        stop_supply.decide(case, approve=False, approver=world["sup"])
    case = stop_supply.decide(case, approve=False, approver=world["sup"], note="customer promised to pay")
    assert case.status == S.REJECTED
    with pytest.raises(ValidationError, match="cannot be taken now"):
        stop_supply.deliver_stop_notice(case, delivered_on=date(2026, 4, 5), actor=world["m1"])
    with pytest.raises(ValidationError, match="cannot be taken now"):  # rejected is final
        stop_supply.request_approval(case, scheduled_stop_at=at("2026-04-20 09:00"), actor=world["m1"],
                                     now=at("2026-04-05 10:00"))
    second = stop_supply.open_case(overdue, actor=world["m1"], today=date(2026, 4, 6))  # a new case may follow
    assert second.status == S.NOTICE_ISSUED


def test_reminder_at_least_30_minutes_before_and_no_stop_before_the_notified_time(overdue, world):
    case = stop_supply.deliver_stop_notice(_approved(overdue, world), delivered_on=date(2026, 4, 5), actor=world["m1"])
    with pytest.raises(ValidationError, match="at least 30 minutes before"):
        stop_supply.record_reminder(case, reminded_at=at("2026-04-10 08:45"), actor=world["m1"])
    with pytest.raises(ValidationError):  # the day before is not "again before the stop"
        stop_supply.record_reminder(case, reminded_at=at("2026-04-09 17:00"), actor=world["m1"])
    with pytest.raises(ValidationError, match="cannot be taken now"):  # no stop without the reminder
        stop_supply.record_stop(case, stopped_at=at("2026-04-10 09:00"), actor=world["m1"])
    case = stop_supply.record_reminder(case, reminded_at=at("2026-04-10 08:30"), actor=world["m1"])
    with pytest.raises(ValidationError, match="before the notified time"):
        stop_supply.record_stop(case, stopped_at=at("2026-04-10 08:55"), actor=world["m1"])


def test_an_important_user_is_reported_to_the_authority(overdue, world):
    world["c1"].importance_level = "first"
    world["c1"].save()
    case = _approved(overdue, world)
    with pytest.raises(ValidationError) as exc:
        stop_supply.deliver_stop_notice(case, delivered_on=date(2026, 4, 5), actor=world["m1"])
    assert "authority_reported_on" in exc.value.message_dict
    case = stop_supply.deliver_stop_notice(case, delivered_on=date(2026, 4, 5), authority_reported_on=date(2026, 4, 5),
                                           actor=world["m1"])
    assert case.authority_reported_on == date(2026, 4, 5)


def test_payment_before_the_stop_cancels_the_case(overdue, world):
    case = _approved(overdue, world)
    services.record_payment(customer=world["c1"], amount="5000.00", channel="counter", received_on=date(2026, 4, 6),
                            today=date(2026, 4, 6))
    case.refresh_from_db()
    assert case.status == S.CANCELLED and case.paid_on == date(2026, 4, 6)
    assert Task.objects.get(key=f"stopcase:{case.pk}:deliver").status == "cancelled"


def test_case_page_shows_steps_and_the_next_form_per_role(overdue, world, login):
    case = _approved(overdue, world)
    client = login(world["m1"])
    page = client.get(f"/receivables/stop-cases/{case.pk}/")
    html = page.content.decode()
    assert 'id="step-deliver"' in html and 'id="step-decide"' not in html
    r = client.post(f"/receivables/stop-cases/{case.pk}/", {"step": "deliver", "delivered_on": "2026-04-09"})
    assert r.status_code == 200 and "3 to 7 days before the stop" in r.content.decode()
    r = client.post(f"/receivables/stop-cases/{case.pk}/", {"step": "deliver", "delivered_on": "2026-04-05"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.STOP_NOTICE_DELIVERED
    assert login(world["m2"]).get(f"/receivables/stop-cases/{case.pk}/").status_code == 404  # out of scope
    bill_page = client.get(f"/receivables/bills/{overdue.pk}/").content.decode()
    assert "2026-04-05" in bill_page and f"/receivables/stop-cases/{case.pk}/" in bill_page


def test_api_takes_the_same_steps(overdue, world, login):
    client = login(world["m1"])
    r = client.post(f"/api/v1/receivables/bills/{overdue.pk}/stop-case/", content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = client.post(f"/api/v1/receivables/stop-cases/{pk}/request/",
                    {"scheduled_stop_at": (timezone.now() + timedelta(days=5)).isoformat()}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "approval_requested"
    r = client.post(f"/api/v1/receivables/stop-cases/{pk}/decide/", {"approve": True}, content_type="application/json")
    assert r.status_code == 400 and "approver" in r.json()
    sup = login(world["sup"])
    r = sup.post(f"/api/v1/receivables/stop-cases/{pk}/decide/", {"approve": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [c["id"] for c in client.get("/api/v1/receivables/stop-cases/").json()["results"]] == [pk]
    assert login(world["m2"]).get(f"/api/v1/receivables/stop-cases/{pk}/").status_code == 404


def test_supervisor_decides_on_the_case_page(overdue, world, login):
    case = stop_supply.open_case(overdue, actor=world["m1"], today=D + timedelta(days=15))
    manager = login(world["m1"])
    r = manager.post(f"/receivables/stop-cases/{case.pk}/", {"step": "request", "scheduled_stop_at": "2026-04-01T09:00"})
    assert r.status_code == 200 and "at the earliest" in r.content.decode()  # the past: refused, nothing written
    case.refresh_from_db()
    assert case.status == S.NOTICE_ISSUED
    stop = timezone.localtime(timezone.now() + timedelta(days=6)).strftime("%Y-%m-%dT09:00")
    assert manager.post(f"/receivables/stop-cases/{case.pk}/", {"step": "request", "scheduled_stop_at": stop}).status_code == 302
    assert 'id="step-decide"' not in manager.get(f"/receivables/stop-cases/{case.pk}/").content.decode()
    supervisor = login(world["sup"])
    page = supervisor.get(f"/receivables/stop-cases/{case.pk}/").content.decode()
    assert 'id="step-decide"' in page
    r = supervisor.post(f"/receivables/stop-cases/{case.pk}/", {"step": "decide", "approve": "1", "note": "同意"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.APPROVED and case.decided_by == world["sup"]
