"""Bills and payments for the analysis tests, built with exact amounts."""

from datetime import date
from decimal import Decimal

from powerkam.billing.models import Bill
from powerkam.receivables.models import Payment

_seq = {"bill": 0, "payment": 0}


def D(value) -> Decimal:
    return Decimal(str(value))


def make_bill(customer, period: date, kwh, *, energy=None, basic="100.00", pf="0.00", surcharges=None,
              paid="0.00", due_on: date | None = None, status=None) -> Bill:
    """A bill; energy defaults to kWh × 0.60 and surcharges to kWh × 0.03 (yuan); due on the 20th
    of the following month; status paid when fully paid, else open."""
    _seq["bill"] += 1
    kwh = D(kwh)
    energy = D(energy) if energy is not None else (kwh * D("0.60")).quantize(D("0.01"))
    surcharges = D(surcharges) if surcharges is not None else (kwh * D("0.03")).quantize(D("0.01"))
    basic, pf, paid = D(basic), D(pf), D(paid)
    total = energy + basic + pf + surcharges
    if due_on is None:
        due_on = date(period.year + (period.month == 12), period.month % 12 + 1, 20)
    if status is None:
        status = Bill.Status.PAID if paid >= total else Bill.Status.OPEN
    return Bill.objects.create(
        customer=customer, number=f"AB{_seq['bill']:08d}", period=period, issued_on=period, due_on=due_on,
        kwh=kwh, energy_charge=energy, basic_charge=basic, pf_adjustment=pf, surcharges=surcharges, total=total,
        paid_amount=paid, status=status)


def make_payment(customer, received_on: date, amount, channel=Payment.Channel.BANK_TRANSFER,
                 status=Payment.Status.POSTED) -> Payment:
    """A payment record as the receivables service leaves it (allocation is not what these tests check)."""
    _seq["payment"] += 1
    return Payment.objects.create(number=f"APAY{_seq['payment']:08d}", customer=customer, channel=channel,
                                  amount=D(amount), received_on=received_on, status=status)
