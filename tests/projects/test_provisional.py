"""A stage deadline counted over 2027, whose holidays are not entered yet, is provisional; it is
recomputed, with the stage's task, when the 2027 arrangement is entered (issue #9 item 8;
docs/decisions/0003). The 2027 rows are a labelled test fixture (tests/calendar_fixture.py)."""

import pytest

from powerkam.core import holidays
from powerkam.core.models import Task
from powerkam.projects import constants as c
from powerkam.projects.models import ProjectEvent, StageRecord
from tests.calendar_fixture import arrangement_xlsx

from .conftest import d

pytestmark = pytest.mark.django_db


def test_a_2027_deadline_is_provisional_then_recomputed(accept, walk, people):
    p = accept(d("2026-11-20"), supply_mode=c.SupplyMode.DUAL)
    p = walk(p, d("2026-11-20"), d("2026-11-23"))  # plan reply (30 working days) from Mon 23 Nov 2026
    st = p.current_stage
    # 24–27 Nov 4, Dec 5 weeks → 28 (to Thu 31 Dec), Fri 1 Jan 2027 guessed a working day 29, Mon 4 Jan 30.
    assert st.deadline == d("2027-01-04") and st.deadline_provisional
    assert p.due_provisional
    task = Task.objects.get(key=st.task_key)
    assert task.due_provisional and task.due_at.date() == d("2027-01-04")
    # An earlier, finished stage is final and stays so.
    survey = StageRecord.objects.get(project=p, stage=c.Stage.SURVEY)
    assert not survey.deadline_provisional

    outcome = holidays.import_arrangement(arrangement_xlsx(), actor=people["company_sup"])
    assert outcome["recomputed"]["projects"] == 1
    st.refresh_from_db()
    p.refresh_from_db()
    task.refresh_from_db()
    # 1–3 Jan 2027 are holidays in the fixture: the 29th working day is Mon 4 Jan, the 30th Tue 5 Jan.
    assert st.deadline == d("2027-01-05") and not st.deadline_provisional
    assert p.due_on == d("2027-01-05") and not p.due_provisional
    assert task.due_at.date() == d("2027-01-05") and not task.due_provisional
    event = ProjectEvent.objects.get(project=p, kind=c.EventKind.DEADLINE_RECOMPUTED)
    assert "2027-01-04 → 2027-01-05" in event.note
