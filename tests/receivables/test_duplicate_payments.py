"""The same payment cannot be recorded twice by a double click or a retry (issue #9 item 7): a
request key per rendered form (or the API's Idempotency-Key) gives the second request the first
one's payment, also when both arrive at the same instant; a second payment of the same customer
with the same reference needs an explicit confirmation."""

import re
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from powerkam.receivables import services
from powerkam.receivables.models import Payment
from tests.receivables.test_concurrency import _run_together

DAY = date(2026, 4, 1)
TODAY = date(2026, 4, 30)


def _form(customer, **extra):
    return {"customer_number": customer.number, "amount": "100.00", "channel": "counter",
            "received_on": "2026-04-01", "reference": "", **extra}


@pytest.fixture
def owing(world, bill_maker):
    bill_maker(world["c1"], "1000.00", date(2026, 4, 20))
    return world


@pytest.mark.django_db
def test_each_rendered_form_carries_a_fresh_key(owing, login):
    client = login(owing["clerk"])
    keys = [re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', client.get("/receivables/").content.decode())
            for _ in range(2)]
    assert all(keys) and keys[0].group(1) != keys[1].group(1)


@pytest.mark.django_db
def test_double_click_on_the_form_records_one_payment(owing, login):
    client = login(owing["clerk"])
    data = _form(owing["c1"], idempotency_key="k" * 32)
    first = client.post("/receivables/", data)
    second = client.post("/receivables/", data)
    payment = Payment.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/receivables/payments/{payment.pk}/"
    assert payment.allocated_amount == payment.amount


@pytest.mark.django_db
def test_api_retry_with_the_same_key_returns_the_first_payment(owing, login):
    client = login(owing["clerk"])
    body = {"customer": owing["c1"].pk, "amount": "100.00", "channel": "online", "received_on": "2026-04-01"}
    first = client.post("/api/v1/payments/", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = client.post("/api/v1/payments/", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    # The key in the body works the same way; a key reused for another amount is refused.
    other = client.post("/api/v1/payments/", {**body, "amount": "5.00", "idempotency_key": "retry-1"})
    assert other.status_code == 400 and "idempotency_key" in other.json()
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_recorder(owing, login):
    body = {"customer": owing["c1"].pk, "amount": "100.00", "channel": "online", "received_on": "2026-04-01"}
    login(owing["clerk"]).post("/api/v1/payments/", body, HTTP_IDEMPOTENCY_KEY="same")
    login(owing["sup"]).post("/api/v1/payments/", body, HTTP_IDEMPOTENCY_KEY="same")
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_same_reference_on_the_form_asks_for_confirmation(owing, login):
    client = login(owing["clerk"])
    client.post("/receivables/", _form(owing["c1"], reference="BANK-778", idempotency_key="a" * 32))
    warned = client.post("/receivables/", _form(owing["c1"], reference="bank-778 ", idempotency_key="b" * 32))
    page = warned.content.decode()
    assert warned.status_code == 200 and 'name="confirm_duplicate"' in page and "BANK-778" in page
    assert Payment.objects.count() == 1
    confirmed = client.post("/receivables/", _form(owing["c1"], reference="bank-778", idempotency_key="b" * 32,
                                                   confirm_duplicate="on"))
    assert confirmed.status_code == 302 and Payment.objects.count() == 2


@pytest.mark.django_db
def test_same_reference_on_the_api_is_a_409_until_confirmed(owing, login):
    client = login(owing["clerk"])
    body = {"customer": owing["c1"].pk, "amount": "100.00", "channel": "online", "received_on": "2026-04-01",
            "reference": "BANK-778"}
    assert client.post("/api/v1/payments/", body).status_code == 201
    conflict = client.post("/api/v1/payments/", body)
    assert conflict.status_code == 409 and conflict.json()["code"] == "duplicate_reference"
    assert Payment.objects.count() == 1
    assert client.post("/api/v1/payments/", {**body, "confirm_duplicate": True},
                       content_type="application/json").status_code == 201
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_a_reversed_payment_does_not_block_its_reference(owing):
    first = services.record_payment(customer=owing["c1"], amount="100.00", channel="counter", received_on=DAY,
                                    reference="R-1", actor=owing["clerk"], today=TODAY)
    services.reverse_payment(first, reason="wrong customer", actor=owing["clerk"])
    services.record_payment(customer=owing["c1"], amount="100.00", channel="counter", received_on=DAY,
                            reference="R-1", actor=owing["clerk"], today=TODAY)
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_the_database_refuses_a_second_payment_with_the_same_key(owing):
    first = services.record_payment(customer=owing["c1"], amount="100.00", channel="counter", received_on=DAY,
                                    actor=owing["clerk"], today=TODAY, idempotency_key="k1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(number="X-1", customer=owing["c1"], channel="counter", amount="1.00",
                               received_on=DAY, created_by=owing["clerk"], idempotency_key=first.idempotency_key)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_with_one_key_record_one_payment(world, bill_maker):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")
    bill_maker(world["c1"], "1000.00", date(2026, 4, 20))
    for round_no in range(5):
        def post(round_no=round_no):
            return services.record_payment(
                customer=world["c1"], amount="10.00", channel="counter", received_on=DAY, reference=f"R{round_no}",
                actor=world["clerk"], today=TODAY, idempotency_key=f"key-{round_no}")

        results, errors = _run_together(post, post)
        assert errors == [None, None]
        assert results[0].pk == results[1].pk
    assert Payment.objects.count() == 5


@pytest.mark.django_db
def test_double_click_on_refund_refunds_once(owing, login):
    advance = services.record_payment(customer=owing["c1"], amount="1100.00", channel="counter", received_on=DAY,
                                      is_advance=True, actor=owing["clerk"], today=TODAY)
    client = login(owing["clerk"])
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"',
                    client.get(f"/receivables/payments/{advance.pk}/").content.decode()).group(1)
    for _ in range(2):
        client.post(f"/receivables/payments/{advance.pk}/refund/", {"amount": "50.00", "reason": "overpaid",
                                                                     "idempotency_key": key})
    advance.refresh_from_db()
    assert advance.refunds.count() == 1 and advance.refunded_amount == 50
    api = client.post(f"/api/v1/payments/{advance.pk}/refund/", {"amount": "20.00", "reason": "again"},
                      HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(f"/api/v1/payments/{advance.pk}/refund/", {"amount": "20.00", "reason": "again"},
                        HTTP_IDEMPOTENCY_KEY="r-1")
    advance.refresh_from_db()
    assert api.status_code == again.status_code == 200 and advance.refunded_amount == 70
