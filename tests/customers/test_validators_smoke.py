import pytest

from powerkam.customers.validators import is_valid_uscc
from tests.factories import make_uscc


@pytest.mark.parametrize("code,valid", [
    ("91350100M000100Y43", True),   # the worked example printed in GB 32100-2015
    ("91350100M000100Y44", False),
    ("91110000600037341L", True),
])
def test_uscc_check_character(code, valid):
    assert is_valid_uscc(code) is valid


def test_factory_codes_are_valid():
    assert all(is_valid_uscc(make_uscc(n)) for n in range(200))
