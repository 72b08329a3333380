"""Every template's example values pass their own validation (issue #10 item 8): the example row
shown on the template's explanation sheet, pasted under the headers, survives its own
importer's dry run with no error. The examples name a station, a customer, a substation and a
line, and a payment needs an open bill; those exist here as they would in the company's data."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from powerkam.billing.models import Bill
from powerkam.customers.models import Substation, SupplyLine
from powerkam.imports.registry import kind_names
from powerkam.imports.services import run_import, template_xlsx
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(org_tree, make_staff):
    admin = make_staff("admin", org_tree["company"], username="admin1")
    make_staff("manager", org_tree["s1"], username="manager1")
    make_staff("manager", org_tree["s1"], username="manager2")  # the 1+1 example of a government project
    customer = CustomerFactory(number="3100000001", org_unit=org_tree["s1"], contract_capacity_kva=800)
    Bill.objects.create(customer=customer, number="B202609-3100000001", period=date(2026, 9, 1),
                        issued_on=date(2026, 10, 5), due_on=date(2026, 10, 20), total=Decimal("2000.00"),
                        energy_charge=Decimal("2000.00"))  # open: the example payment pays part of it
    line = SupplyLine.objects.create(substation=Substation.objects.create(name="1号110kV变电站"), name="10kV线路1")
    return {"admin": admin, "line": line}


def example_file(kind: str) -> io.BytesIO:
    help_sheet = load_workbook(io.BytesIO(template_xlsx(kind)))["说明"]
    headers = [c.value for c in help_sheet[1]]
    example_col = headers.index("示例")
    rows = [r for r in help_sheet.iter_rows(min_row=2, values_only=True) if r and r[0] and r[1]]
    wb = Workbook()
    ws = wb.active
    ws.append([r[0] for r in rows])
    ws.append([r[example_col] for r in rows])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.mark.parametrize("kind", kind_names())
def test_the_example_row_passes_the_dry_run(archive, kind):
    result = run_import(kind, example_file(kind), f"{kind}.xlsx", actor=archive["admin"], dry_run=True)
    assert result.ok, [(e.row, e.column, e.message) for e in result.errors]
