"""Complaint analysis, worked example: ten complaints verified in 1..10 hours."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from powerkam.service.tickets import selectors, services

from .conftest import at

pytestmark = pytest.mark.django_db


def test_stage_durations_sla_and_breakdowns(customer, people):
    start = at("2026-11-02 09:00")
    for k in range(1, 11):
        t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                                 subject=f"c{k}", cause="billing" if k <= 6 else "metering",
                                 about_staff=people["worker"] if k <= 3 else None, now=start)
        services.advance(t, actor=people["clerk"], stage="verify", result_note="ok", now=start + timedelta(hours=k))
    # Verify is 2 working days (due 11-04 17:30): all ten are within SLA. One consultation closes in 5 h.
    simple = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="consultation",
                                channel="web", subject="q", now=start)
    services.advance(simple, actor=people["clerk"], stage="accept", result_note="ok", now=start + timedelta(hours=1))
    services.advance(simple, actor=people["clerk"], stage="handle", result_note="ok", now=start + timedelta(hours=5))

    p = selectors.AnalysisParams(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    r = selectors.complaint_analysis(people["admin"], p)
    verify = next(s for s in r["stage_durations"] if s["key"] == "verify")
    assert (verify["count"], verify["avg_hours"], verify["p90_hours"], verify["max_hours"], verify["sla_pct"]) == (
        10, Decimal("5.5"), Decimal("9.0"), Decimal("10.0"), Decimal("100.0"))
    assert next(s for s in r["stage_durations"] if s["key"] == "review")["count"] == 0
    assert [(x["key"], x["count"]) for x in r["by_cause"]] == [("billing", 6), ("metering", 4)]
    assert [(x["label"], x["count"]) for x in r["by_person"]] == [("Worker Wang", 3)]
    assert [(x["key"], x["count"], x["closed"]) for x in r["by_type"]] == [("complaint", 10, 0), ("consultation", 1, 1)]
    assert r["by_type"][1]["avg_close_hours"] == Decimal("5.0")
    assert r["monthly"] == [{"month": date(2026, 11, 1), "count": 11, "complaints": 10, "closed": 1,
                             "avg_close_hours": Decimal("5.0")}]
    assert r["totals"]["complaints"] == 10 and r["totals"]["tickets"] == 11
    # The period filter excludes them; the unit filter too.
    empty = selectors.complaint_analysis(people["admin"], selectors.AnalysisParams(date(2026, 10, 1), date(2026, 10, 31)))
    assert empty["totals"]["complaints"] == 0 and empty["totals"]["sla_pct"] is None
