"""How figures are written on every page, export-free (issue #10 item 6): one place for the
template filters (core/templatetags/pk_numbers.py) and the charts (static/powerkam/numbers.js
follows the same rules).

- Thousands separators everywhere: 1,234,567.89 (the comma in both languages; the Chinese
  convention of grouping by four digits is expressed with 万 instead).
- Money to 2 places; kWh to at most 2 places, trailing zeros dropped.
- Large figures (at least 10,000) in the "wan" forms: 万元 / 万kWh with 2 places in Chinese
  (123.46万元). In English there is no such unit, and "12.3k" hides the yuan; the English
  forms are the plain separated figures with their unit (1,234,567.89 yuan).
- Tables keep exact separated figures (they line up and match the exports); the wan forms are
  for summary cards, totals, credit limits and chart axes and tooltips.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import translation

WAN = Decimal(10000)
CENT = Decimal("0.01")


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def money(value: Any) -> str:
    """1234567.891 → "1,234,567.89"; "" for no value."""
    d = _dec(value)
    if d is None:
        return ""
    return f"{d.quantize(CENT, ROUND_HALF_UP):,.2f}"


def kwh(value: Any) -> str:
    """1234567.50 → "1,234,567.5"; whole figures without decimals; "" for no value."""
    d = _dec(value)
    if d is None:
        return ""
    d = d.quantize(CENT, ROUND_HALF_UP)
    if d == d.to_integral_value():
        return f"{d:,.0f}"
    return f"{d:,.2f}".rstrip("0")


def wan_yuan(value: Any) -> str:
    """Chinese: "123.46万元" from 10,000 up, "9,876.00元" below; English: "1,234,567.89 yuan"."""
    d = _dec(value)
    if d is None:
        return ""
    if not chinese():
        return f"{money(d)} yuan"
    if abs(d) >= WAN:
        return f"{money(d / WAN)}万元"
    return f"{money(d)}元"


def wan_kwh(value: Any) -> str:
    """Chinese: "123.46万kWh" from 10,000 up, "9,876 kWh" below; English: "1,234,567 kWh"."""
    d = _dec(value)
    if d is None:
        return ""
    if chinese() and abs(d) >= WAN:
        return f"{money(d / WAN)}万kWh"
    return f"{kwh(d)} kWh"
