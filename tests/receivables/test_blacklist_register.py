"""The blacklist register (issue #10 item 3): who, why, since when and by whom; staff list a
customer by hand; a removal is requested and approved by a supervisor of the customer's unit;
the list is scoped and exported."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.receivables import stop_supply
from powerkam.receivables.ladder import run_ladder
from powerkam.receivables.models import BlacklistEntry

D = date(2026, 3, 20)


@pytest.fixture
def listed(world, bill_maker):
    bill_maker(world["c1"], "900.00", D)
    run_ladder(D + timedelta(days=30))  # the ladder lists c1
    by_hand = stop_supply.add_to_blacklist(world["c2"], reason="转移资产逃避电费", actor=world["m2"],
                                           today=D + timedelta(days=31))
    return {**world, "ladder_entry": BlacklistEntry.objects.get(customer=world["c1"]), "by_hand": by_hand}


def test_register_shows_who_why_since_when_and_by_whom(listed, login):
    page = login(listed["sup"]).get("/receivables/blacklist/")
    html = page.content.decode()
    assert page.context["page"].paginator.count == 2
    assert "转移资产逃避电费" in html and listed["m2"].display_name in html
    assert "Receivables ladder (30 days overdue)" in html and "2026-04-19" in html
    csv = b"".join(login(listed["sup"]).get("/receivables/blacklist/?export=csv").streaming_content).decode()
    assert listed["c1"].number in csv and "转移资产逃避电费" in csv


def test_register_respects_the_scope(listed, login):
    page = login(listed["m1"]).get("/receivables/blacklist/")
    assert [e.customer for e in page.context["page"].object_list] == [listed["c1"]]
    api = login(listed["m1"]).get("/api/v1/receivables/blacklist/").json()["results"]
    assert [r["customer_number"] for r in api] == [listed["c1"].number]


def test_adding_by_hand_needs_a_reason_and_no_duplicate(listed):
    with pytest.raises(ValidationError, match="reason"):
        stop_supply.add_to_blacklist(listed["c1"], reason=" ", actor=listed["m1"])
    with pytest.raises(ValidationError, match="already on the blacklist"):
        stop_supply.add_to_blacklist(listed["c2"], reason="again", actor=listed["m2"])
    assert BlacklistEntry.objects.count() == 2


def test_removal_is_approved_by_a_supervisor_of_the_unit(listed, org_tree, make_staff):
    entry = stop_supply.request_removal(listed["by_hand"], reason="已结清并提供担保", actor=listed["m2"])
    assert entry.removal == "requested" and entry.lifted_on is None
    task = Task.objects.get(key__startswith=f"blacklist:{entry.pk}:removal:")
    assert task.assignee == listed["sup"] and task.kind == "approval"
    with pytest.raises(ValidationError, match="supervisor of the customer's unit"):
        stop_supply.decide_removal(entry, approve=True, approver=listed["m2"])
    with pytest.raises(ValidationError, match="supervisor of the customer's unit"):
        stop_supply.decide_removal(entry, approve=True, approver=make_staff("supervisor", org_tree["south"]))
    entry = stop_supply.decide_removal(entry, approve=True, approver=listed["sup"], note="同意")
    assert entry.removal == "approved" and entry.lifted_on is not None and entry.removal_decided_by == listed["sup"]
    assert Task.objects.get(pk=task.pk).status == "done"
    assert entry.history.count() == 3  # listed, removal requested, removal approved
    assert TimelineEvent.objects.filter(customer=listed["c2"], kind="blacklist").count() == 3


def test_removal_through_the_page(listed, login):
    entry = listed["ladder_entry"]
    manager = login(listed["m1"])
    manager.post(f"/receivables/blacklist/{entry.pk}/removal/", {"reason": "客户已缴清"})
    entry.refresh_from_db()
    assert entry.removal == "requested"
    manager.post(f"/receivables/blacklist/{entry.pk}/removal/", {"approve": "1", "note": "self-approval"})
    entry.refresh_from_db()
    assert entry.removal == "requested" and entry.lifted_on is None  # a manager cannot approve
    login(listed["sup"]).post(f"/receivables/blacklist/{entry.pk}/removal/", {"approve": "1", "note": "ok"})
    entry.refresh_from_db()
    assert entry.removal == "approved" and entry.lifted_on is not None
    listing = login(listed["sup"]).get("/receivables/blacklist/")
    assert listing.context["page"].paginator.count == 1  # only the current entries by default


def test_page_adds_an_entry_with_field_errors(listed, login):
    client = login(listed["clerk"])
    r = client.post("/receivables/blacklist/", {"customer_number": "NOPE", "reason": "x"})
    assert "No customer with this number in your scope." in r.content.decode()
    BlacklistEntry.objects.filter(customer=listed["c1"]).update(lifted_on=D)
    r = client.post("/receivables/blacklist/", {"customer_number": listed["c1"].number, "reason": "屡次拖欠"})
    assert r.status_code == 302
    assert BlacklistEntry.objects.get(customer=listed["c1"], lifted_on__isnull=True).listed_by == listed["clerk"]
