"""The Chinese catalogue passes `msgfmt -c`'s format check: every entry flagged python-format has
the same %-placeholders in its translation as in its msgid (a translation that loses or breaks
one fails when the text is formatted, or falls back to English), and text that is never
%-formatted but only looks like it ("% of the limit") is flagged no-python-format, as the
source says with `# xgettext:no-python-format`."""

import re
from collections import Counter
from pathlib import Path

import polib
import pytest

import powerkam

PO = Path(powerkam.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# A printf-style directive as gettext's python-format check reads it: %(name)flags width.precision conversion.
DIRECTIVE = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[diouxXeEfFgGcrsa%])")


def directives(text: str) -> Counter:
    return Counter((m["name"], m["conv"]) for m in DIRECTIVE.finditer(text) if m["conv"] != "%")


def _entries():
    return [e for e in polib.pofile(str(PO)) if "python-format" in e.flags and not e.obsolete and e.msgstr]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.msgid[:40])
def test_python_format_entries_keep_their_placeholders(entry):
    assert directives(entry.msgstr) == directives(entry.msgid)


def test_percent_words_that_are_not_formatted_are_flagged_so():
    flagged = {e.msgid: e.flags for e in polib.pofile(str(PO))
               if e.msgid in ("minimum score (% of maximum)", "warn at % of time")}
    assert flagged and all("no-python-format" in flags and "python-format" not in flags for flags in flagged.values())
