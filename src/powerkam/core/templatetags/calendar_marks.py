"""The "provisional" mark beside a deadline computed over a year whose holidays are not entered
(issue #9 item 8): `{% load calendar_marks %}{% provisional_mark ticket.due_provisional ticket.due_at %}`."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from powerkam.core import workdays

register = template.Library()


@register.filter
def in_uncovered_year(value) -> bool:
    """True for a date (or moment) in a year whose holidays are not entered: a planned visit's day."""
    if value is None:
        return False
    return not workdays.is_covered(_year(value))


def _year(value) -> int:
    from datetime import datetime

    from django.utils import timezone

    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.year


@register.simple_tag
def provisional_mark(provisional, value=None) -> str:
    if not provisional:
        return ""
    year = workdays.uncovered_year_for(value)
    return format_html(
        '<span class="badge text-bg-warning provisional-mark" data-provisional="1" title="{}">{}</span>',
        _("%(year)s holidays are not entered yet; counted Monday to Friday") % {"year": year},
        _("Provisional"))
