"""A number cell far beyond any capacity (1e30, 1E+40) is a row error "The number is too
large." on its cell, like any other bad number — not an import that "stopped unexpectedly"
because Decimal.quantize ran out of digits."""

import pytest

from tests.imports.conftest import customer_rows
from tests.imports.test_bad_input import assert_refused, commit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["1e30", "1E+40", "99999999999999999999999999999999"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_huge_capacity(clerk, value, fmt):
    rows = customer_rows(3)
    rows[1][7] = value
    result = commit(rows, clerk, fmt=fmt)
    assert_refused(result, "too large")
    assert (result.errors[0].row, result.errors[0].column) == (2, "合同容量(kVA)")
