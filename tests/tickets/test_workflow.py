"""The complaint flow verify → review → rectify → revisit → archive, first-contact
responsibility, reopen on an unhappy revisit, and bad input that changes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.service.tickets import services
from powerkam.service.tickets.models import Ticket, TicketEvent, TicketStage
from tests.factories import ContactFactory, CustomerFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def test_intake_makes_the_clerk_first_contact_owner_and_opens_verify_with_a_task(complaint, people):
    t = complaint
    assert t.first_contact_owner == people["clerk"]
    assert t.assignee == people["clerk"]
    assert (t.status, t.stage) == ("in_progress", "verify")
    assert t.number.startswith("TK20260930-")
    assert t.org_unit == t.customer.org_unit
    st = t.current_stage
    assert st.due_at == at("2026-10-09 17:30")
    task = Task.objects.get(key=f"ticket:{t.pk}:verify")
    assert (task.kind, task.assignee, task.status) == ("ticket_step", people["clerk"], "open")
    assert task.due_at == at("2026-10-09 17:30")
    assert [e.kind for e in t.events.all()] == ["intake", "stage_started"]
    assert TimelineEvent.objects.filter(customer=t.customer, kind="ticket").count() == 1
    assert t.history.count() >= 1


def test_simple_ticket_goes_open_in_progress_closed(customer, people):
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="consultation", channel="wechat",
                             subject="Tariff question", now=at("2026-11-02 09:00"))
    assert (t.status, t.stage) == ("open", "accept")
    assert t.due_at == at("2026-11-02 13:00")  # 4 working hours
    services.advance(t, actor=people["clerk"], stage="accept", result_note="Accepted", now=at("2026-11-02 10:00"))
    t.refresh_from_db()
    assert (t.status, t.stage) == ("in_progress", "handle")
    services.advance(t, actor=people["clerk"], stage="handle", result_note="Explained the TOU tariff",
                     now=at("2026-11-03 10:00"))
    t.refresh_from_db()
    assert (t.status, t.stage, t.current_stage) == ("closed", "", None)
    assert t.hours_to_close == 25
    assert not Task.objects.filter(key__startswith=f"ticket:{t.pk}:", status="open").exists()


def test_five_stages_with_different_owners_keep_the_first_contact_owner(complaint, people):
    t = complaint
    owners = [people["worker"], people["other"], people["station_sup"], people["worker"]]
    when = ["2026-10-08 09:00", "2026-10-08 15:00", "2026-10-12 10:00", "2026-10-13 10:00"]
    services.assign(t, to=people["worker"], actor=people["clerk"], note="Field check", now=at("2026-09-30 11:00"))
    for stage, owner, moment in zip(["verify", "review", "rectify", "revisit"], owners, when, strict=True):
        services.advance(t, actor=people["worker"], stage=stage, result_note=f"{stage} done", next_owner=owner,
                         outcome="satisfied" if stage == "revisit" else "", now=at(moment))
        t.refresh_from_db()
        assert t.first_contact_owner == people["clerk"]
        assert t.assignee == owner
    assert t.stage == "archive"
    services.advance(t, actor=people["worker"], stage="archive", result_note="Filed", now=at("2026-10-13 11:00"))
    t.refresh_from_db()
    assert t.status == "closed"
    assert t.first_contact_owner == people["clerk"]
    stages = list(t.stages.order_by("started_at", "id").values_list("stage", "owner__full_name", "sla_met"))
    assert stages == [
        ("verify", "Worker Wang", True), ("review", "Worker Wang", True), ("rectify", "Worker Li", True),
        ("revisit", "Station Sup", True), ("archive", "Worker Wang", True),
    ]
    # Every stage's task was opened for its owner and is closed now.
    tasks = Task.objects.filter(key__startswith=f"ticket:{t.pk}:").order_by("id")
    assert [(k.key.split(":")[2], k.status) for k in tasks] == [
        ("verify", "done"), ("review", "done"), ("rectify", "done"), ("revisit", "done"), ("archive", "done")]
    assert tasks[0].assignee == people["worker"]  # reassigned with the stage


def test_reassignment_never_changes_the_first_contact_owner(complaint, people):
    services.assign(complaint, to=people["worker"], actor=people["station_sup"])
    services.assign(complaint, to=people["other"], actor=people["worker"])
    complaint.refresh_from_db()
    assert complaint.first_contact_owner == people["clerk"]
    assert complaint.assignee == people["other"]
    assert complaint.current_stage.owner == people["other"]
    assert Task.objects.get(key=f"ticket:{complaint.pk}:verify").assignee == people["other"]
    assert list(complaint.events.filter(kind="assigned").values_list("target__full_name", flat=True)) == [
        "Worker Wang", "Worker Li"]


def _to_revisit(t, people):
    for stage, moment in (("verify", "2026-10-08 09:00"), ("review", "2026-10-08 10:00"),
                          ("rectify", "2026-10-09 10:00")):
        services.advance(t, actor=people["clerk"], stage=stage, result_note="ok", now=at(moment))
    t.refresh_from_db()
    return t


def test_unsatisfied_revisit_reopens_at_rectify_with_a_new_deadline_and_task(complaint, people):
    t = _to_revisit(complaint, people)
    services.advance(t, actor=people["clerk"], stage="revisit", result_note="Still flickers", outcome="unsatisfied",
                     now=at("2026-10-10 09:00"))
    t.refresh_from_db()
    assert (t.stage, t.reopen_count, t.status) == ("rectify", 1, "in_progress")
    st = t.current_stage
    assert st.round == 2
    # 5 working days from Sat 10-10 (a working day): 10-12, 13, 14, 15, 16.
    assert st.due_at == at("2026-10-16 17:30")
    task = Task.objects.get(key=f"ticket:{t.pk}:rectify:r2")
    assert task.status == "open" and task.due_at == st.due_at
    assert Task.objects.get(key=f"ticket:{t.pk}:rectify").status == "done"
    assert t.events.filter(kind="reopened").count() == 1
    revisit = t.stages.get(stage="revisit")
    assert revisit.outcome == "unsatisfied" and revisit.result_note == "Still flickers"


def test_closed_ticket_reopens_at_rectify(complaint, people):
    t = _to_revisit(complaint, people)
    services.advance(t, actor=people["clerk"], stage="revisit", result_note="Happy", outcome="satisfied")
    services.advance(t, actor=people["clerk"], stage="archive", result_note="Filed")
    t.refresh_from_db()
    assert t.status == "closed" and t.closed_at
    with pytest.raises(ValidationError) as err:
        services.reopen(t, actor=people["clerk"], reason=" ")
    assert "reason" in err.value.message_dict
    services.reopen(t, actor=people["clerk"], reason="Customer called again")
    t.refresh_from_db()
    assert (t.status, t.stage, t.reopen_count, t.closed_at) == ("in_progress", "rectify", 1, None)


@pytest.mark.parametrize("kwargs, field", [
    ({"result_note": ""}, "result_note"),
    ({"result_note": "   "}, "result_note"),
    ({"stage": "rectify"}, "stage"),          # tampered / stale stage
    ({"stage": "nonsense"}, "stage"),
    ({"outcome": "satisfied"}, "outcome"),    # only a revisit has an outcome
])
def test_bad_advance_changes_nothing(complaint, people, kwargs, field):
    args = {"stage": "verify", "result_note": "checked", **kwargs}
    before = (TicketStage.objects.count(), TicketEvent.objects.count(), Task.objects.count(),
              complaint.history.count())
    with pytest.raises(ValidationError) as err:
        services.advance(complaint, actor=people["clerk"], **args)
    assert field in err.value.message_dict
    complaint.refresh_from_db()
    assert complaint.stage == "verify"
    assert complaint.current_stage.completed_at is None
    assert (TicketStage.objects.count(), TicketEvent.objects.count(), Task.objects.count(),
            complaint.history.count()) == before


def test_revisit_without_outcome_is_refused(complaint, people):
    t = _to_revisit(complaint, people)
    with pytest.raises(ValidationError) as err:
        services.advance(t, actor=people["clerk"], stage="revisit", result_note="called")
    assert err.value.message_dict["outcome"] == ["Record whether the customer is satisfied."]


def test_unknown_customer_is_refused_and_nothing_written(people, org_tree):
    outside = CustomerFactory(org_unit=org_tree["s3"])  # the S1 clerk cannot see S3
    with pytest.raises(ValidationError) as err:
        services.open_ticket(actor=people["clerk"], customer=outside, ticket_type="complaint", channel="phone",
                             subject="x")
    assert err.value.message_dict["customer"] == ["Unknown customer: choose a customer you can see."]
    with pytest.raises(ValidationError) as err:
        services.open_ticket(actor=people["clerk"], customer=None, ticket_type="bogus", channel="fax", subject="")
    assert set(err.value.message_dict) == {"customer", "ticket_type", "channel", "subject"}
    assert not Ticket.objects.exists() and not Task.objects.exists() and not TicketEvent.objects.exists()


def test_contact_of_another_customer_and_about_staff_on_a_non_complaint(customer, people, org_tree):
    stranger = ContactFactory(customer=CustomerFactory(org_unit=org_tree["s1"]))
    with pytest.raises(ValidationError) as err:
        services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="praise", channel="counter",
                             subject="Thanks", contact=stranger, about_staff=people["worker"])
    assert set(err.value.message_dict) == {"contact", "about_staff"}
    assert not Ticket.objects.exists()


def test_complaint_about_a_staff_member_is_linked_to_that_person(customer, people):
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="95598",
                             subject="Rude on the phone", cause="staff_conduct", about_staff=people["worker"])
    assert list(people["worker"].complaints_about.all()) == [t]


def test_executive_is_read_only(customer, people):
    with pytest.raises(PermissionDenied):
        services.open_ticket(actor=people["executive"], customer=customer, ticket_type="complaint",
                             channel="phone", subject="x")


def test_advancing_a_closed_ticket_is_refused(customer, people):
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="praise", channel="counter",
                             subject="Thanks")
    services.advance(t, actor=people["clerk"], stage="accept", result_note="ok")
    services.advance(t, actor=people["clerk"], stage="handle", result_note="ok")
    with pytest.raises(ValidationError, match="closed"):
        services.advance(t, actor=people["clerk"], stage="handle", result_note="again")


def test_closing_a_ticket_requests_a_satisfaction_survey(customer, people):
    from django.contrib.contenttypes.models import ContentType

    from powerkam.service.surveys.models import SurveyInvitation

    ContactFactory(customer=customer, email="ops@example.com", is_primary=True)
    t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="fault_repair", channel="phone",
                             subject="Breaker tripped")
    services.advance(t, actor=people["clerk"], stage="accept", result_note="Crew sent")
    assert not SurveyInvitation.objects.exists()
    services.advance(t, actor=people["clerk"], stage="handle", result_note="Breaker replaced")
    inv = SurveyInvitation.objects.get()
    assert (inv.customer, inv.kind, inv.category) == (customer, "ticket", "fault_repair")
    assert (inv.subject_type, inv.subject_id) == (ContentType.objects.get_for_model(Ticket), t.pk)
