"""Entering a year's holiday arrangement, and what follows from it (issue #9 item 8).

The State Council publishes each year's arrangement (国务院办公厅关于YYYY年部分节假日安排的通知)
around November–December: the public holidays and the adjusted working weekends (调休上班).
Until an administrator enters it, the calendar answers Monday–Friday for that year and every
deadline computed over it is provisional (core.workdays.tracking). This module:

- `calendar_warning(today)`: the year administrators must enter — from 1 November of year Y
  while Y+1 is not covered (and any day of a year that is itself not covered);
- `import_arrangement(file, actor=…)`: the xlsx import (template: `arrangement_template_xlsx()`),
  validated and all-or-nothing; it replaces the year's days, marks the year covered and
  recomputes the open provisional deadlines;
- `mark_year_covered(year, actor=…)`: the same end for days entered one by one in the admin;
- `register_recompute(...)`: each app that stores provisional deadlines registers how to count
  and recompute its open ones (through its own service: timelines and tasks stay consistent).
  Few deadlines are recomputed inline; many go to a background job.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from . import workdays, workqueue
from .models import Holiday, HolidayYear

log = logging.getLogger("powerkam.calendar")

WARN_FROM_MONTH = 11  # the State Council notice for Y+1 usually appears in November of Y
NAME_MAX = Holiday._meta.get_field("name").max_length


def recompute_inline_limit() -> int:
    """Open provisional deadlines recomputed within the request; more go to a background job."""
    return int(os.environ.get("POWERKAM_CALENDAR_RECOMPUTE_INLINE", "2000"))


# --- the warning -------------------------------------------------------------------------------

def calendar_warning(today: date) -> int | None:
    """The year whose holidays administrators must enter now, or None: this year if it is not
    covered; next year from 1 November on while it is not covered."""
    years = [today.year] + ([today.year + 1] if today.month >= WARN_FROM_MONTH else [])
    for year in years:
        if not workdays.is_covered(year):
            return year
    return None


def is_calendar_admin(user) -> bool:
    """Administrators keep the calendar (DOMAIN.md "Who uses it")."""
    from powerkam.org.api import is_admin

    return is_admin(user)


# --- recompute registry ------------------------------------------------------------------------

@dataclass(frozen=True)
class Recompute:
    name: str
    count: Callable[[], int]
    run: Callable[..., int]  # run(actor=Staff | None) -> how many were recomputed


RECOMPUTERS: dict[str, Recompute] = {}


def register_recompute(name: str, count: Callable[[], int], run: Callable[..., int]) -> None:
    """Register an app's open provisional deadlines: `count()` how many, `run(actor=)` recompute
    them through the app's service (from AppConfig.ready)."""
    RECOMPUTERS[name] = Recompute(name, count, run)


register_recompute("tasks", workqueue.count_provisional_tasks,
                   lambda actor=None: workqueue.recompute_provisional_tasks(by=actor))


def pending_recompute() -> int:
    return sum(r.count() for r in RECOMPUTERS.values())


def recompute_provisional(actor=None) -> dict[str, int]:
    """Recompute every app's open provisional deadlines now. Idempotent."""
    return {name: r.run(actor=actor) for name, r in RECOMPUTERS.items()}


@task()
def recompute_provisional_task(actor_id: int | None = None) -> dict:
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    workdays.clear_cache()  # a worker process: the year may have been entered by another process
    return recompute_provisional(actor)


def schedule_recompute(actor=None) -> dict:
    """Recompute inline when there are few open provisional deadlines, else enqueue the job.
    Returns {"pending": n, "recomputed": {...}} or {"pending": n, "job": id}."""
    pending = pending_recompute()
    if pending <= recompute_inline_limit():
        return {"pending": pending, "recomputed": recompute_provisional(actor)}
    result = recompute_provisional_task.enqueue(getattr(actor, "pk", None))
    return {"pending": pending, "job": str(result.id)}


# --- marking a year covered ----------------------------------------------------------------------

def _audited(obj, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        obj._history_user = actor


@transaction.atomic
def mark_year_covered(year: int, *, actor=None, notice: str = "", source: str = Holiday.Source.ADMIN) -> dict:
    """Declare `year`'s arrangement complete in the holiday table (audited), then recompute the
    open provisional deadlines. Marking a covered year again only updates the notice."""
    row = HolidayYear.objects.select_for_update().filter(year=year).first() or HolidayYear(year=year)
    row.source, row.notice = source, (notice or row.notice or "")[:120]
    row.covered_at = timezone.now()
    row.covered_by = actor if getattr(actor, "pk", None) else None
    _audited(row, actor)
    row.save()
    workdays.clear_cache()
    log.info("holiday year %s covered by %s", year, getattr(actor, "pk", None))
    return schedule_recompute(actor)


# --- the xlsx import -----------------------------------------------------------------------------

KIND_HOLIDAY = {"holiday", "放假", "节假日", "假日", "休息"}
KIND_WORKDAY = {"adjusted working day", "working day", "workday", "调休上班", "上班", "补班", "调休"}
HEADERS = {
    "date": {"日期", "date"},
    "kind": {"类型", "kind", "type"},
    "name": {"名称", "节日", "name", "holiday"},
}


@dataclass
class Arrangement:
    year: int | None = None
    days: list[tuple[date, bool, str]] = field(default_factory=list)  # (date, is_workday, name)
    errors: list[str] = field(default_factory=list)


def _norm(value) -> str:
    return str(value or "").strip().lower().replace("*", "").replace(" ", " ")


def _cell_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        parts = text.replace("年", "-").replace("月", "-").replace("日", "").split("-")
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2])) if len(parts) == 3 else None
        except ValueError:
            return None


def parse_arrangement(content: bytes) -> Arrangement:
    """Read and validate an arrangement file (nothing is written): one year, no date twice,
    adjusted working days on Saturdays or Sundays, holidays on any day, a name on every row."""
    from openpyxl import load_workbook

    result = Arrangement()
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not xlsx
        result.errors.append(_("The file is not an xlsx workbook. Download the template and fill it in."))
        return result
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    while rows and not any(v not in (None, "") for v in rows[0]):
        rows.pop(0)
    if not rows:
        result.errors.append(_("The file is empty."))
        return result
    header = [_norm(v) for v in rows[0]]
    position = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                position[key] = i
                break
    if len(position) < len(HEADERS):
        result.errors.append(_("The first row must name the columns 日期, 类型 and 名称 (date, kind, name)."))
        return result
    seen: dict[date, int] = {}
    years: dict[int, int] = {}
    for number, values in enumerate(rows[1:], start=2):
        cells = {k: (values[i] if i < len(values) else None) for k, i in position.items()}
        if all(v in (None, "") for v in cells.values()):
            continue
        day = _cell_date(cells["date"])
        kind = _norm(cells["kind"])
        name = str(cells["name"] or "").strip()
        ok = True
        if day is None:
            result.errors.append(_("Row %(row)s: the date is missing or not a date (write it as 2027-01-01).")
                                 % {"row": number})
            ok = False
        if kind in KIND_HOLIDAY:
            is_workday = False
        elif kind in KIND_WORKDAY:
            is_workday = True
        else:
            result.errors.append(_("Row %(row)s: the kind must be 放假 (holiday) or 调休上班 (adjusted working day).")
                                 % {"row": number})
            ok = False
        if not name:
            result.errors.append(_("Row %(row)s: give the holiday's name (e.g. 春节).") % {"row": number})
            ok = False
        elif len(name) > NAME_MAX:
            result.errors.append(_("Row %(row)s: the name is longer than %(n)s characters.")
                                 % {"row": number, "n": NAME_MAX})
            ok = False
        if day is not None:
            years.setdefault(day.year, number)
            if day in seen:
                result.errors.append(_("Row %(row)s: %(date)s is already on row %(other)s.")
                                     % {"row": number, "date": day.isoformat(), "other": seen[day]})
                ok = False
            else:
                seen[day] = number
        if ok and is_workday and day.weekday() < 5:
            result.errors.append(_("Row %(row)s: %(date)s is a weekday; an adjusted working day (调休上班) is "
                                   "always a Saturday or a Sunday.") % {"row": number, "date": day.isoformat()})
            ok = False
        if ok:
            result.days.append((day, is_workday, name))
    if len(years) > 1:
        first, *others = sorted(years, key=years.get)
        for year in others:
            result.errors.append(_("Row %(row)s: %(year)s is not %(first)s; one file holds one year's arrangement.")
                                 % {"row": years[year], "year": year, "first": first})
    if not seen and not result.errors:
        result.errors.append(_("The file has no dates."))
    elif seen and not any(not w for _d, w, _n in result.days) and not result.errors:
        result.errors.append(_("The file has no holiday; an arrangement lists at least the public holidays."))
    if years:
        result.year = min(years, key=years.get)
    return result


@transaction.atomic
def import_arrangement(content: bytes, *, actor=None, notice: str = "") -> dict:
    """Import a year's arrangement from an xlsx file: all or nothing. The year's rows are replaced
    by the file's (audited, entered by an administrator), the year is marked covered and the open
    provisional deadlines are recomputed. Raises ValidationError with every problem found."""
    parsed = parse_arrangement(content)
    if parsed.errors:
        raise ValidationError(parsed.errors)
    year = parsed.year
    for old in Holiday.objects.filter(date__year=year):
        _audited(old, actor)
        old.delete()
    for day, is_workday, name in sorted(parsed.days):
        row = Holiday(date=day, is_workday=is_workday, name=name, source=Holiday.Source.ADMIN)
        _audited(row, actor)
        row.save()
    workdays.clear_cache()
    outcome = mark_year_covered(year, actor=actor, notice=notice)
    return {"year": year, "days": len(parsed.days), **outcome}


def arrangement_template_xlsx() -> bytes:
    """The import template: the three columns and an example row of each kind (to be replaced)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "节假日安排"
    ws.append(["日期", "类型", "名称"])
    ws.append(["2027-01-01", "放假", "元旦"])
    ws.append(["2027-02-20", "调休上班", "春节"])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 16
    help_ws = wb.create_sheet("说明")
    for line in (
        "按国务院办公厅关于该年部分节假日安排的通知填写，每行一天：",
        "日期：YYYY-MM-DD，全部日期须在同一年；",
        "类型：放假（法定节假日及连休的每一天，可在任何一天）或 调休上班（须为星期六或星期日）；",
        "名称：节日名称，如 元旦、春节、清明节、劳动节、端午节、中秋节、国庆节。",
        "示例行（2027 年）仅为格式示例，请替换为通知的实际内容。",
    ):
        help_ws.append([line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
