"""The 360 page's load tab links to the usage advice letter — only when the customer has the
daily figures of the last 12 whole months the letter reads, and only for a customer the reader
sees (the tab and the letter both answer 404 outside the scope)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory

from .analysis_data import put_daily, regular_series

pytestmark = pytest.mark.django_db


def _tab(client, customer):
    return client.get(reverse("consumption_analysis:customer_tab", args=[customer.pk]))


def test_the_tab_links_the_letter_when_there_are_figures(make_staff, login):
    manager = make_staff("manager")
    with_data = CustomerFactory(org_unit=manager.org_unit, primary_manager=manager)
    without = CustomerFactory(org_unit=manager.org_unit, primary_manager=manager)
    first_of_month = timezone.localdate().replace(day=1)
    put_daily(with_data, first_of_month - timedelta(days=90), regular_series(first_of_month - timedelta(days=90), 60))
    put_daily(without, first_of_month, regular_series(first_of_month, 1))  # this month only: not in the letter
    client = login(manager)
    letter = reverse("consumption:advice", args=[with_data.pk])
    html = _tab(client, with_data).content.decode()
    assert 'id="advice-link"' in html and f'href="{letter}"' in html
    assert client.get(letter).status_code == 200
    assert 'id="advice-link"' not in _tab(client, without).content.decode()


def test_outside_the_scope_neither_tab_nor_letter(make_staff, login):
    manager, other = make_staff("manager"), make_staff("manager")
    customer = CustomerFactory(org_unit=manager.org_unit, primary_manager=manager)
    client = login(other)
    assert _tab(client, customer).status_code == 404
    assert client.get(reverse("consumption:advice", args=[customer.pk])).status_code == 404
