"""Fill a .po catalogue from JSON files mapping msgid → translation (used when the catalogue
is regenerated with `manage.py makemessages`). Usage: merge_translations.py PO JSON [JSON…]

A key "context\u0004msgid" (gettext's separator) translates only the entry with that msgctxt
(pgettext); a plain msgid key translates entries without a context."""

import json
import sys

import polib

po = polib.pofile(sys.argv[1])
mapping: dict[str, str] = {}
for path in sys.argv[2:]:
    mapping.update(json.load(open(path, encoding="utf-8")))
filled = 0
for entry in po:
    text = mapping.get(f"{entry.msgctxt}\x04{entry.msgid}") if entry.msgctxt else mapping.get(entry.msgid)
    if not text:
        continue
    if entry.msgid_plural:
        entry.msgstr_plural = {0: text}
    else:
        entry.msgstr = text
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    filled += 1
po.metadata["Language"] = "zh_Hans"
po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
po.save()
missing = [e.msgid for e in po if not (e.msgstr or any(e.msgstr_plural.values()))]
print(f"filled {filled}, untranslated {len(missing)}")
for m in missing[:20]:
    print("  missing:", m)
