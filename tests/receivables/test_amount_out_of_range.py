"""A payment amount larger than the amount columns hold (1e12 yuan and up, 1e30, Infinity) is
refused on the amount field like any other bad amount — not a 500 from Decimal.quantize or
from the database. Nothing is written."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from powerkam.receivables import services
from powerkam.receivables.models import Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", ["1e30", "1e12", "1000000000000.00", "Infinity", "-Infinity", "1E+40"])
def test_amount_beyond_the_columns(world, bill_maker, amount):
    bill_maker(world["c1"], "1000.00", date(2026, 4, 20))
    with pytest.raises(ValidationError) as exc:
        services.record_payment(customer=world["c1"], amount=amount, channel="counter", received_on=date(2026, 4, 1),
                                today=date(2026, 4, 30))
    assert "amount" in exc.value.message_dict
    assert not Payment.objects.exists()


def test_largest_amount_still_accepted(world, bill_maker):
    bill_maker(world["c1"], "1000.00", date(2026, 4, 20))
    payment = services.record_payment(customer=world["c1"], amount="999999999999.99", channel="counter",
                                      received_on=date(2026, 4, 1), is_advance=True, today=date(2026, 4, 30))
    assert str(payment.amount) == "999999999999.99"
