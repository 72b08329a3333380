"""Compile the .po catalogues into .mo with polib (no system gettext needed)."""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src" / "powerkam"

count = 0
for po_path in ROOT.glob("**/locale/*/LC_MESSAGES/*.po"):
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        continue
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    count += 1
print(f"compiled {count} message catalogue(s)")
