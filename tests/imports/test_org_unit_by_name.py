"""Org units in an import are given by code or by name, and the template lists the codes
(issue #10 item 8)."""

import io

import pytest
from openpyxl import load_workbook

from powerkam.customers.models import Customer
from powerkam.imports.services import run_import, template_xlsx
from tests.factories import OrgUnitFactory

from .conftest import customer_rows, upload

pytestmark = pytest.mark.django_db


def test_a_unit_by_name_or_by_code(clerk, org_tree):
    rows = customer_rows(2)
    rows[1][9] = "城北二所"  # the name of S2
    rows[2][9] = "S1"
    result = run_import("customers", *upload(rows), actor=clerk, dry_run=False)
    assert result.ok, result.errors
    units = dict(Customer.objects.values_list("number", "org_unit__code"))
    assert units == {"3200000001": "S2", "3200000002": "S1"}


def test_an_unknown_or_shared_name_is_refused_with_a_clear_message(clerk, org_tree):
    OrgUnitFactory(code="S9", name="城北一所", parent=org_tree["south"])  # a second unit of that name
    rows = customer_rows(2)
    rows[1][9] = "城北一所"
    rows[2][9] = "不存在的所"
    result = run_import("customers", *upload(rows), actor=clerk, dry_run=True)
    messages = {e.row: e.message for e in result.errors}
    assert messages[2] == "More than one org unit is named “城北一所”: give its code instead."
    assert messages[3].startswith("Unknown org unit “不存在的所”: give its code or its name")
    assert "供电单位" in messages[3]


def test_the_template_lists_the_codes(org_tree):
    wb = load_workbook(io.BytesIO(template_xlsx("customers")))
    units = [row for row in wb["供电单位"].iter_rows(min_row=2, values_only=True)]
    assert ("S1", "城北一所") in [(code, name) for code, name, _kind, _parent in units]
    assert len(units) == 6
    assert "供电单位" not in load_workbook(io.BytesIO(template_xlsx("contacts"))).sheetnames
