"""Text stored now and shown later in the reader's language (issue #10 §2: "task titles are
shown in the reader's language whatever language created them").

A nightly job writes a task in whatever language its process runs; the reader may use the other
one. So a generated title is stored as its English msgid with its parameters (JSON), and
rendered with gettext when shown — on a page, in the API, in an export:

    from django.utils.translation import gettext_noop
    workqueue.open_task(..., title=phrase(gettext_noop("Overdue visit: %(customer)s"), customer=cu.name))

A parameter that is itself a UI word (a stage or level label: a lazy translation such as a
TextChoices label) is stored as that word's msgid and translated too; anything else (names,
numbers, dates) is data and stored as text. A context (`pgettext`) travels in the msgid as
gettext itself stores it, "context\\x04msgid".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

CONTEXT_SEP = "\x04"


def msgid_of(text: Promise | str) -> str:
    """The msgid behind a lazy translation (with its context, if any); plain text as is."""
    if not isinstance(text, Promise):
        return str(text)
    args = getattr(text, "_args", ())  # gettext_lazy(msgid) / pgettext_lazy(context, msgid)
    if len(args) in (1, 2) and all(isinstance(a, str) for a in args):
        return CONTEXT_SEP.join(args)
    with translation.override(None):  # no catalogue: gettext gives the msgid back
        return str(text)


def translate(msgid: str) -> str:
    context, sep, message = msgid.rpartition(CONTEXT_SEP)
    return translation.pgettext(context, message) if sep else translation.gettext(message)


def _stored(value: Any) -> Any:
    if type(value) is str:  # the common case (names, "-"), before the isinstance chain below
        return value
    if isinstance(value, dict) and "t" in value:  # stored already (a data-quality finding's parameters)
        return value
    if isinstance(value, Phrase):
        return {"t": value.msgid, "p": value.stored_params()}
    if isinstance(value, Promise):
        return {"t": msgid_of(value)}
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):  # a list of phrases or values (e.g. a task's findings)
        return [_stored(v) for v in value]
    return str(value)


def _shown(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return render(value["t"], value.get("p") or {})
    if isinstance(value, list):
        return "; ".join(str(_shown(v)) for v in value)
    return value


def render_items(params: dict | None, name: str = "items") -> list[str]:
    """The list parameter `name` of a stored phrase, each item in the active language (a task
    whose detail lists several things shows them as a list); [] when there is none."""
    items = (params or {}).get(name)
    return [str(_shown(v)) for v in items] if isinstance(items, list) else []


def render(msgid: str, params: dict | None = None) -> str:
    """The stored phrase in the active language; a translation whose placeholders do not fit
    falls back to the English text rather than breaking the page."""
    values = {k: _shown(v) for k, v in (params or {}).items()}
    text = translate(msgid)
    if not values:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        english = msgid.rpartition(CONTEXT_SEP)[2]
        try:
            return english % values
        except (KeyError, ValueError, TypeError):
            return english


@dataclass(frozen=True)
class Phrase:
    """A msgid and its parameters; str() renders it in the active language."""

    msgid: str
    params: dict = field(default_factory=dict)

    def stored_params(self) -> dict:
        return {k: _stored(v) for k, v in self.params.items()}

    def __str__(self) -> str:
        return render(self.msgid, self.stored_params())


def phrase(msgid: Promise | str, **params: Any) -> Phrase:
    """A phrase from a msgid (gettext_noop text, or a lazy translation) and its parameters."""
    return Phrase(msgid_of(msgid), params)
