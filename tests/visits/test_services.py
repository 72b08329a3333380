"""Occasions, manual plans, reschedule, record, escalation, care: business rules with exact figures."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.customers import constants as cc
from powerkam.customers.models import TimelineEvent
from powerkam.service.visits import constants as c
from powerkam.service.visits import services
from powerkam.service.visits.models import (
    CareRecord,
    MustVisitOccasion,
    Visit,
    VisitPolicy,
    VisitReschedule,
)
from tests.factories import CustomerFactory

from .conftest import TODAY
from .helpers import done_visit

pytestmark = pytest.mark.django_db


# --- Must-visit occasions -----------------------------------------------------------------------

def test_occasion_creates_exactly_its_customers_visits(key_account, org_tree, team):
    a = key_account(cc.KeyAccountTier.PREMIUM, unit="s1", usage_category=cc.UsageCategory.LARGE_INDUSTRY)
    b = key_account(cc.KeyAccountTier.MEDIUM, unit="s2", usage_category=cc.UsageCategory.LARGE_INDUSTRY)
    key_account(cc.KeyAccountTier.PREMIUM, unit="s3", manager=team["other_manager"],
                usage_category=cc.UsageCategory.LARGE_INDUSTRY)  # other region
    key_account(cc.KeyAccountTier.PREMIUM, unit="s1", usage_category=cc.UsageCategory.GENERAL_COMMERCIAL)  # other category
    CustomerFactory(is_key_account=False, org_unit=org_tree["s1"], primary_manager=team["manager"])  # not a KA
    occasion = services.declare_occasion(
        name="2027年1月电价调整", kind=c.OccasionKind.TARIFF_CHANGE, starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31), org_units=[org_tree["north"]], usage_categories=["large_industry"],
        actor=team["admin"], today=TODAY)
    visits = Visit.objects.filter(occasion=occasion)
    assert sorted(visits.values_list("customer_id", flat=True)) == sorted([a.pk, b.pk])
    v = visits.get(customer=a)
    assert (v.source, v.due_on, v.planned_on, v.assignee) == (c.VisitSource.OCCASION, date(2026, 12, 31),
                                                             date(2026, 12, 1), team["manager"])
    assert Task.objects.filter(key=f"visit:{v.pk}", kind=Task.Kind.VISIT).count() == 1
    # Idempotent: materialising again (the nightly job) adds nothing.
    assert services.materialize_occasion(occasion, today=TODAY) == 0
    assert services.nightly(TODAY)["occasion_visits"] == 0
    assert visits.count() == 2
    # A key account that joins the group later is picked up by the nightly run.
    c_late = key_account(cc.KeyAccountTier.GENERAL, unit="s2", usage_category=cc.UsageCategory.LARGE_INDUSTRY)
    assert services.nightly(TODAY)["occasion_visits"] == 1
    assert visits.filter(customer=c_late).exists()


def test_occasion_for_all_key_accounts_and_tiers(key_account, team):
    p = key_account(cc.KeyAccountTier.PREMIUM)
    m = key_account(cc.KeyAccountTier.MEDIUM, unit="s3", manager=team["other_manager"])
    all_ka = services.declare_occasion(name="春节", kind="holiday", starts_on=TODAY, ends_on=TODAY + timedelta(days=10),
                                       all_key_accounts=True, today=TODAY)
    assert set(all_ka.visits.values_list("customer_id", flat=True)) == {p.pk, m.pk}
    assert set(all_ka.visits.values_list("planned_on", flat=True)) == {TODAY}
    premium_only = services.declare_occasion(name="寒潮", kind="severe_weather", starts_on=TODAY,
                                             ends_on=TODAY + timedelta(days=3), tiers=["premium"], today=TODAY)
    assert list(premium_only.visits.values_list("customer_id", flat=True)) == [p.pk]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"starts_on": date(2026, 12, 10), "ends_on": date(2026, 12, 1)}, "ends_on"),
    ({"starts_on": date(2026, 11, 1), "ends_on": date(2026, 11, 20)}, "ends_on"),  # in the past
    ({"tiers": ["gold"]}, "tiers"),
    ({"all_key_accounts": False, "tiers": []}, "all_key_accounts"),
    ({"name": " "}, "name"),
])
def test_bad_occasion_is_refused_and_writes_nothing(key_account, kwargs, field):
    key_account()
    args = {"name": "调价", "kind": "tariff_change", "starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31),
            "all_key_accounts": True, "today": TODAY} | kwargs
    with pytest.raises(ValidationError) as exc:
        services.declare_occasion(**args)
    assert field in exc.value.message_dict
    assert MustVisitOccasion.objects.count() == 0
    assert Visit.objects.count() == 0


# --- Manual plan: the past is refused -------------------------------------------------------------

def test_visit_in_the_past_is_refused_nothing_written(key_account, team):
    customer = key_account()
    with pytest.raises(ValidationError) as exc:
        services.plan_visit(customer=customer, planned_on=date(2026, 11, 22), actor=team["manager"], today=TODAY)
    assert exc.value.message_dict["planned_on"] == [
        "A visit cannot be planned in the past (2026-11-22 is before today, 2026-11-23)."]
    assert Visit.objects.count() == 0
    assert Task.objects.count() == 0


def test_manual_plan_today_is_fine(key_account, team):
    customer = key_account()
    visit = services.plan_visit(customer=customer, planned_on=TODAY, purpose="催办", actor=team["manager"], today=TODAY)
    assert (visit.source, visit.assignee, visit.due_on) == (c.VisitSource.MANUAL, team["manager"], TODAY)
    assert Task.objects.get(key=f"visit:{visit.pk}").due_at.date() == TODAY
    assert visit.history.first().history_user == team["manager"]


# --- Reschedule --------------------------------------------------------------------------------------

def test_reschedule_is_audited_and_moves_the_task(key_account, team):
    customer = key_account()
    visit = services.plan_visit(customer=customer, planned_on=date(2026, 11, 30), actor=team["manager"], today=TODAY)
    services.reschedule_visit(visit, new_date=date(2026, 12, 4), reason="客户厂长出差", actor=team["specialist"],
                              today=TODAY)
    visit.refresh_from_db()
    assert (visit.planned_on, visit.due_on) == (date(2026, 12, 4), date(2026, 11, 30))  # the deadline does not move
    row = VisitReschedule.objects.get(visit=visit)
    assert (row.from_date, row.to_date, row.reason, row.by) == (date(2026, 11, 30), date(2026, 12, 4), "客户厂长出差",
                                                                team["specialist"])
    last = visit.history.first()
    assert (last.planned_on, last.history_user, last.history_change_reason) == (date(2026, 12, 4), team["specialist"],
                                                                                "客户厂长出差")
    assert visit.history.count() == 2
    assert Task.objects.get(key=f"visit:{visit.pk}").due_at.date() == date(2026, 12, 4)


@pytest.mark.parametrize(("new_date", "reason", "field"), [
    (date(2026, 11, 20), "x", "new_date"),
    (date(2026, 11, 30), "x", "new_date"),  # same day
    (date(2026, 12, 5), "  ", "reason"),
])
def test_bad_reschedule_changes_nothing(key_account, team, new_date, reason, field):
    visit = services.plan_visit(customer=key_account(), planned_on=date(2026, 11, 30), today=TODAY)
    with pytest.raises(ValidationError) as exc:
        services.reschedule_visit(visit, new_date=new_date, reason=reason, actor=team["manager"], today=TODAY)
    assert field in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.planned_on == date(2026, 11, 30)
    assert not VisitReschedule.objects.exists()


# --- Record --------------------------------------------------------------------------------------------

def test_record_visit_closes_task_creates_follow_ups_timeline_next_plan(key_account, team, contact):
    customer = key_account(cc.KeyAccountTier.MEDIUM)
    met = contact(customer=customer, name="周电工", email="zhou@example.com")
    services.generate_plans(TODAY)
    visit = Visit.objects.get(customer=customer)
    services.record_visit(
        visit, done_on=TODAY, participants=[team["manager"], team["specialist"]], contacts_met=[met],
        findings="2号变压器温升偏高", customer_needs="希望明年增容500kVA",
        follow_ups=[services.FollowUp(team["specialist"], date(2026, 12, 1), "联系增容报装")],
        actor=team["manager"], today=TODAY)
    visit.refresh_from_db()
    assert (visit.status, visit.done_on, visit.recorded_by) == (c.VisitStatus.DONE, TODAY, team["manager"])
    assert set(visit.participants.all()) == {team["manager"], team["specialist"]}
    assert list(visit.contacts_met.all()) == [met]
    assert Task.objects.get(key=f"visit:{visit.pk}").status == Task.Status.DONE
    fu = Task.objects.get(key=f"visit:{visit.pk}:follow_up:1")
    assert (fu.kind, fu.assignee, fu.title, fu.due_at.date()) == (Task.Kind.FOLLOW_UP, team["specialist"],
                                                                  "联系增容报装", date(2026, 12, 1))
    event = TimelineEvent.objects.get(customer=customer, kind="visit.done")
    assert "2号变压器温升偏高" in event.detail and "周电工" in event.detail
    # The next regular visit: medium, 2026-11-23 + 3 months.
    nxt = Visit.objects.get(customer=customer, status=c.VisitStatus.PLANNED)
    assert nxt.due_on == date(2027, 2, 23)
    # The satisfaction survey (surveys module) was requested for this visit.
    from powerkam.service.surveys.models import SurveyInvitation

    inv = SurveyInvitation.objects.get(customer=customer)
    assert (inv.kind, inv.subject_id, inv.contact) == ("visit", visit.pk, met)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"done_on": TODAY + timedelta(days=1)}, "done_on"),
    ({"findings": "", "customer_needs": ""}, "findings"),
    ({"follow_ups": "past"}, "follow_ups"),
    ({"contacts_met": "foreign"}, "contacts_met"),
])
def test_bad_record_changes_nothing(key_account, team, contact, kwargs, field):
    customer = key_account()
    visit = services.plan_visit(customer=customer, planned_on=TODAY, today=TODAY)
    args = {"done_on": TODAY, "findings": "正常", "actor": team["manager"], "today": TODAY} | kwargs
    if kwargs.get("follow_ups") == "past":
        args["follow_ups"] = [services.FollowUp(team["manager"], TODAY - timedelta(days=1), "补资料")]
    if kwargs.get("contacts_met") == "foreign":
        args["contacts_met"] = [contact()]
    with pytest.raises(ValidationError) as exc:
        services.record_visit(visit, **args)
    assert field in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.status == c.VisitStatus.PLANNED
    assert Task.objects.get(key=f"visit:{visit.pk}").status == Task.Status.OPEN
    assert not Task.objects.filter(kind=Task.Kind.FOLLOW_UP).exists()
    assert not TimelineEvent.objects.filter(kind="visit.done").exists()


def test_recording_twice_is_refused(key_account, team):
    visit = services.plan_visit(customer=key_account(), planned_on=TODAY, today=TODAY)
    services.record_visit(visit, done_on=TODAY, findings="a", actor=team["manager"], today=TODAY,
                          request_survey=False)
    with pytest.raises(ValidationError):
        services.record_visit(visit, done_on=TODAY, findings="b", actor=team["manager"], today=TODAY)


# --- Overdue escalation ------------------------------------------------------------------------------

def test_overdue_visit_escalates_to_the_unit_supervisor_once(key_account, team):
    customer = key_account(unit="s1")  # s1 is under north, whose supervisor is 张主管
    south = key_account(unit="s3", manager=team["other_manager"])
    v1 = services.plan_visit(customer=customer, planned_on=date(2026, 11, 10), today=date(2026, 11, 1))
    v2 = services.plan_visit(customer=south, planned_on=date(2026, 11, 20), today=date(2026, 11, 1))
    # 7 days after 2026-11-10 is 11-17: on 11-17 it is not yet escalated, on 11-18 it is.
    assert services.escalate_overdue(date(2026, 11, 17))["escalated"] == 0
    counts = services.escalate_overdue(date(2026, 11, 18))
    assert counts == {"overdue": 1, "escalated": 1, "no_supervisor": 0}
    task = Task.objects.get(key=f"visit:{v1.pk}:escalation")
    assert (task.assignee, task.priority, task.customer) == (team["supervisor"], Task.Priority.HIGH, customer)
    assert "2026-11-10" in task.title
    # Idempotent.
    assert services.escalate_overdue(date(2026, 11, 19))["escalated"] == 0
    assert Task.objects.filter(key__endswith=":escalation").count() == 1
    # The south visit escalates to the south supervisor once it is 7 days late.
    services.escalate_overdue(date(2026, 11, 28))
    assert Task.objects.get(key=f"visit:{v2.pk}:escalation").assignee == team["south_supervisor"]
    # Recording the visit closes the escalation.
    services.record_visit(v1, done_on=date(2026, 11, 28), findings="补访", actor=team["manager"],
                          today=date(2026, 11, 28), request_survey=False)
    assert Task.objects.get(key=f"visit:{v1.pk}:escalation").status == Task.Status.DONE


def test_escalation_days_are_configurable(key_account, team):
    VisitPolicy.objects.filter(pk=1).update(escalate_after_days=2)
    v = services.plan_visit(customer=key_account(), planned_on=date(2026, 11, 10), today=date(2026, 11, 1))
    assert services.escalate_overdue(date(2026, 11, 13))["escalated"] == 1
    assert Task.objects.filter(key=f"visit:{v.pk}:escalation").exists()


# --- Care records ----------------------------------------------------------------------------------------

def test_care_record_goes_on_the_timeline(key_account, team, contact):
    customer = key_account()
    ct = contact(customer=customer, name="吴总", birthday=date(1975, 11, 23))
    record = services.add_care_record(customer=customer, kind="birthday", occurred_on=TODAY, summary="送生日贺卡",
                                      contact=ct, actor=team["manager"], today=TODAY)
    assert record.history.first().history_user == team["manager"]
    event = TimelineEvent.objects.get(customer=customer, kind="care.birthday")
    assert event.title == "Birthday greeting · 吴总"
    assert event.detail == "送生日贺卡"


def test_bad_care_record_is_refused(key_account, team, contact):
    customer = key_account()
    with pytest.raises(ValidationError) as exc:
        services.add_care_record(customer=customer, kind="birthday", occurred_on=TODAY + timedelta(days=1),
                                 summary="", contact=contact(), today=TODAY)
    assert set(exc.value.message_dict) == {"occurred_on", "summary", "contact"}
    assert CareRecord.objects.count() == 0


def test_month_day_window_and_next_anniversary():
    assert services.next_anniversary(date(1980, 2, 29), date(2027, 2, 1)) == date(2027, 2, 28)
    assert services.next_anniversary(date(1980, 1, 5), date(2026, 12, 20)) == date(2027, 1, 5)


def test_upcoming_birthdays_and_anniversaries_in_scope(key_account, team, contact):
    from powerkam.service.visits.selectors import upcoming_anniversaries, upcoming_birthdays

    mine = key_account(opened_on=date(2016, 12, 10))
    other = key_account(unit="s3", manager=team["other_manager"], opened_on=date(2018, 12, 1))
    key_account(opened_on=date(2016, 2, 10))  # not in the window
    soon = contact(customer=mine, name="吴总", birthday=date(1975, 12, 20))
    contact(customer=mine, name="钱工", birthday=date(1980, 6, 1))
    contact(customer=other, name="孙总", birthday=date(1970, 12, 1))
    rows = upcoming_birthdays(team["manager"], TODAY)
    assert [(r["contact"].name, r["on"]) for r in rows] == [("吴总", date(2026, 12, 20))]
    assert soon.pk == rows[0]["contact"].pk
    ann = upcoming_anniversaries(team["manager"], TODAY)
    assert [(r["customer"].pk, r["on"], r["years"]) for r in ann] == [(mine.pk, date(2026, 12, 10), 10)]
    assert {r["contact"].name for r in upcoming_birthdays(team["admin"], TODAY)} == {"吴总", "孙总"}


def test_done_visit_helper_feeds_last_done(key_account):
    customer = key_account(cc.KeyAccountTier.PREMIUM)
    done_visit(customer, date(2026, 8, 31))
    services.generate_plans(TODAY)
    assert Visit.objects.get(customer=customer, status="planned").due_on == date(2027, 2, 28)


def test_occasion_declared_in_the_admin_plans_its_visits(key_account, org_tree, make_staff, login):
    key_account(unit="s1")
    key_account(unit="s3")
    admin_user = make_staff("admin", org_tree["company"], is_staff=True, is_superuser=True)
    today = timezone.localdate()
    r = login(admin_user).post("/admin/visits/mustvisitoccasion/add/", {
        "name": "寒潮预警", "kind": "severe_weather", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat(), "org_units": [org_tree["north"].pk],
        "tiers": "[]", "usage_categories": "[]", "industries": "[]", "notes": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    occasion = MustVisitOccasion.objects.get()
    assert occasion.visits.count() == 1
    assert occasion.visits.get().customer.org_unit == org_tree["s1"]
