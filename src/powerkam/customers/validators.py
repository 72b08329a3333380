"""Identity number validators: GB 32100-2015 (unified social credit code), GB 11643-1999 (ID)."""

import re
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015 Annex: the 31-character set (no I, O, S, V, Z) and the weights of positions 1–17.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{9}[0-9A-HJ-NPQRTUWXY]$")


_USCC_VALUES = {ch: value for value, ch in enumerate(USCC_CHARSET)}


def uscc_check_char(first17: str) -> str:
    # (a dict and map() instead of str.index in a generator: an import checks two codes per row)
    if len(first17) != len(USCC_WEIGHTS):
        raise ValueError(f"a unified social credit code's check character is computed from 17 characters, not {len(first17)}")
    try:
        total = sum(map(mul, map(_USCC_VALUES.__getitem__, first17), USCC_WEIGHTS))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a character of GB 32100") from None
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    return bool(USCC_RE.match(code or "")) and uscc_check_char(code[:17]) == code[17]


def validate_uscc(code: str) -> None:
    code = (code or "").strip()
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters (got %(n)s)."),
                              code="uscc_length", params={"n": len(code)})
    if not USCC_RE.match(code):
        raise ValidationError(_("The unified social credit code contains characters GB 32100 does not allow (I, O, S, V, Z or lower case)."),
                              code="uscc_chars")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("The check character of the unified social credit code is wrong (GB 32100): expected %(c)s."),
                              code="uscc_check", params={"c": uscc_check_char(code[:17])})


# GB 11643-1999 citizen identity number: weights and the check table.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    value = (value or "").strip().upper()
    if not ID_RE.match(value):
        raise ValidationError(_("An identity card number has 17 digits and a check digit or X."), code="id_format")
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(_("The check digit of the identity card number is wrong (GB 11643)."), code="id_check")


def mask_id_number(value: str) -> str:
    """Show the first 6 and last 4 characters: 110105********1234."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


RATIO_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def validate_ratio(value: str) -> None:
    """A CT or PT ratio written as the nameplate shows it: '200/5', '10000/100'."""
    m = RATIO_RE.match(value or "")
    if not m or float(m.group(2)) == 0 or float(m.group(1)) == 0:
        raise ValidationError(_("Write the ratio as primary/secondary, for example 200/5."), code="ratio")
