"""Stage deadlines and the two clocks, in working days on the official holiday calendar
(core.workdays; issue #12 §2–3).

- A stage started on day S with a limit of N working days and P paused working days is due on
  the (N + P)-th working day after S: a pause moves the grid-side deadline by exactly the
  paused working days.
- The stall warning falls on the ceil(N × warn% / 100) + P-th working day after S (the day the
  stage has used its share of its time); level-1 escalation the day after the deadline; the
  next level `NEXT_LEVEL_AFTER_WORKDAYS` working days after the deadline.
- A deadline computed over a year whose holidays are not entered is provisional (stored flag,
  docs/decisions/0003), and recomputed when the year is entered.
- Grid-side time of a stage = working days from its start to its end minus the paused ones;
  customer-side time = the paused working days, or the whole stage for a customer-side stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from powerkam.core import workdays

from . import constants as c


@dataclass(frozen=True)
class StageClock:
    deadline: date | None
    warn_on: date | None
    escalate_next_on: date | None
    provisional: bool


NO_DEADLINE = StageClock(None, None, None, False)


def warn_after(limit: int, warn_percent: int) -> int:
    """Working days after the start on which the stall warning falls (at least 1, at most the limit)."""
    return min(limit, max(1, math.ceil(limit * warn_percent / 100)))


def stage_clock(started_on: date, limit: int | None, *, warn_percent: int = c.DEFAULT_WARN_PERCENT,
                paused_workdays: int = 0) -> StageClock:
    """The deadline, warning day and next-level escalation day of a stage; no deadline when the
    stage has no limit (the customer's time)."""
    if limit is None:
        return NO_DEADLINE
    with workdays.tracking() as calc:
        deadline = workdays.add_workdays(started_on, limit + paused_workdays)
    warn_on = workdays.add_workdays(started_on, warn_after(limit, warn_percent) + paused_workdays)
    escalate_next_on = workdays.add_workdays(deadline, c.NEXT_LEVEL_AFTER_WORKDAYS)
    return StageClock(deadline, warn_on, escalate_next_on, calc.provisional)


def paused_workdays(started_on: date, ended_on: date) -> int:
    """Working days in a pause from `started_on` to `ended_on` (those after the pause began, up
    to and including its last day): the days the deadline moves."""
    return max(0, workdays.workdays_between(started_on, ended_on))


def clocks(started_on: date, ended_on: date, *, side: str, paused: int) -> tuple[int, int]:
    """(grid-side, customer-side) working days of a stage from its start to `ended_on`."""
    elapsed = max(0, workdays.workdays_between(started_on, ended_on))
    if side == c.Side.CUSTOMER:
        return 0, elapsed
    paused = min(paused, elapsed)
    return elapsed - paused, paused
