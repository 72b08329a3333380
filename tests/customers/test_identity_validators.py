"""GB 32100-2015 unified social credit codes and GB 11643-1999 ID numbers."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from powerkam.customers.validators import (
    USCC_CHARSET,
    is_valid_uscc,
    mask_id_number,
    uscc_check_char,
    validate_id_number,
    validate_ratio,
    validate_uscc,
)
from tests.factories import make_id_number, make_uscc


@pytest.mark.parametrize("code,valid", [
    ("91350100M000100Y43", True),   # the worked example printed in GB 32100-2015
    ("91350100M000100Y44", False),  # wrong check character
    ("91110000600037341L", True),
    ("91350100M000100Y4", False),   # 17 characters
    ("91350100M000I00Y43", False),  # I is not in the GB 32100 character set
    ("91350100m000100y43", False),  # lower case
])
def test_uscc_check_character(code, valid):
    assert is_valid_uscc(code) is valid


def test_validate_uscc_names_the_expected_check_character():
    with pytest.raises(ValidationError) as exc:
        validate_uscc("91350100M000100Y44")
    assert exc.value.error_list[0].code == "uscc_check"
    assert exc.value.error_list[0].params == {"c": "3"}


@given(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9), st.integers(0, 999999))
def test_any_body_with_its_check_character_is_valid(org, region):
    body = f"91{region:06d}{org}"
    assert is_valid_uscc(body + uscc_check_char(body))


@given(st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9))
def test_a_single_changed_character_is_always_detected(org):
    body = f"91320100{org}"
    code = body + uscc_check_char(body)
    for i in range(2, 17):
        for replacement in "0A":
            if code[i] != replacement and not (2 <= i < 8 and not replacement.isdigit()):
                changed = code[:i] + replacement + code[i + 1:]
                assert not is_valid_uscc(changed)


def test_factory_codes_are_valid():
    assert all(is_valid_uscc(make_uscc(n)) for n in range(200))


def test_id_number_check_digit():
    validate_id_number("11010519491231002X")  # the GB 11643 example
    validate_id_number(make_id_number(7))
    with pytest.raises(ValidationError):
        validate_id_number("110105194912310021")


def test_id_number_masking_keeps_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("") == ""


@pytest.mark.parametrize("ratio,ok", [("200/5", True), ("10000/100", True), ("200", False), ("0/5", False), ("a/b", False)])
def test_ratio_format(ratio, ok):
    if ok:
        validate_ratio(ratio)
    else:
        with pytest.raises(ValidationError):
            validate_ratio(ratio)
