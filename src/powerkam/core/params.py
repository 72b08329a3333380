"""Reading ids from query strings and forms (`?customer=12`, `?org_unit=3`)."""

from __future__ import annotations

# A database integer key is at most a signed 64-bit value (PostgreSQL bigint, SQLite INTEGER);
# a larger number reaching a query fails in the driver (OverflowError, "out of range").
MAX_ID = 2**63 - 1


def record_id(value) -> int | None:
    """The id in `value` (ASCII digits, 1 … 2⁶³−1), or None for anything else: blank, text,
    "²" (a digit to str.isdigit, not to int), a negative or out-of-range number. A filter given
    no valid id is simply not applied, or matches nothing, as the caller decides."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
