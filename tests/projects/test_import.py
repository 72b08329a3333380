"""Import of open projects from a legacy spreadsheet (issue #12 §9): dry run, all or nothing,
row/column errors; a legacy number already imported is skipped."""

import pytest

from powerkam.core.models import Task
from powerkam.imports.services import run_import
from powerkam.projects import constants as c
from powerkam.projects.models import Project, StageRecord
from tests.imports.conftest import upload

from .conftest import d

pytestmark = pytest.mark.django_db

HEADERS = ["原系统编号", "业务类型", "客户编号", "申请人", "用电地址", "申请容量(kVA)", "电压等级", "供电方式",
           "受理日期", "当前环节", "环节开始日期", "跟踪人", "绿色通道"]


@pytest.fixture
def clerk(make_staff, org_tree):
    return make_staff("clerk", org_tree["north"], username="clerk1")


def _rows(people, customer, bad: dict | None = None):
    tracker = people["tracker"].username
    rows = [HEADERS,
            ["OLD-1", "新装", "", "城北新材料有限公司", "城北工业园 8 号", "1260", "10kV", "单电源", "2024-09-20",
             "答复供电方案", "2024-09-27", tracker, "否"],
            ["OLD-2", "增容", customer.number, "", "厂区", "800", "10kV", "双电源", "2024-09-02", "设计审查",
             "2024-09-26", tracker, "是"]]
    for (row, column), value in (bad or {}).items():
        rows[row][HEADERS.index(column)] = value
    return rows


def test_open_projects_are_imported_at_their_stage(clerk, people, customer):
    result = run_import("open_projects", *upload(_rows(people, customer)), actor=clerk, dry_run=False)
    assert result.ok and result.created == 2, result.errors
    first = Project.objects.get(legacy_number="OLD-1")
    assert first.stage == c.Stage.PLAN_REPLY and first.customer is None and first.tracker == people["tracker"]
    assert first.first_contact_owner == people["tracker"]  # no receiver column: the tracker
    st = first.current_stage
    assert st.started_on == d("2024-09-27") and st.deadline == d("2024-10-23")  # across Golden Week 2024
    assert Task.objects.filter(key=st.task_key).exists()
    assert first.history.first().history_user == clerk
    second = Project.objects.get(legacy_number="OLD-2")
    assert second.customer == customer and second.applicant_type == c.ApplicantType.EXISTING
    assert second.green_channel and second.supply_mode == c.SupplyMode.DUAL
    assert second.applicant_name == customer.name
    # Again: nothing twice.
    again = run_import("open_projects", *upload(_rows(people, customer)), actor=clerk, dry_run=False)
    assert again.ok and (again.created, again.unchanged) == (0, 2)
    assert Project.objects.count() == 2


def test_dry_run_writes_nothing(clerk, people, customer):
    result = run_import("open_projects", *upload(_rows(people, customer)), actor=clerk, dry_run=True)
    assert result.ok and result.created == 2
    assert not Project.objects.exists()


@pytest.mark.parametrize("cell,value,column,message", [
    ((2, "申请容量(kVA)"), "0", "申请容量(kVA)", "The capacity must be greater than 0 kVA."),
    ((2, "申请容量(kVA)"), "很大", "申请容量(kVA)", "The capacity must be a number of kVA, e.g. 630."),
    ((2, "环节开始日期"), "2024-08-01", "环节开始日期", "The stage cannot start before the application was accepted"),
    ((2, "当前环节"), "中间检查", "当前环节", None),
    ((2, "跟踪人"), "nobody", "跟踪人", "No active staff member with login name or employee number nobody."),
    ((1, "原系统编号"), "OLD-2", "原系统编号", "OLD-2 appears more than once in the file (first on row 2)."),
])
def test_one_bad_row_and_nothing_is_written(clerk, people, customer, cell, value, column, message):
    rows = _rows(people, customer, {cell: value})
    if value == "中间检查":  # a low-voltage project has no intermediate inspection
        rows[2][HEADERS.index("电压等级")] = "0.4kV"
    result = run_import("open_projects", *upload(rows), actor=clerk, dry_run=False)
    assert not result.ok
    errors = {(e.row, e.column): e.message for e in result.errors}
    row = 3 if cell[0] == 2 or value == "OLD-2" else 2
    assert (row, column) in errors, errors
    if message:
        assert errors[(row, column)].startswith(message)
    assert not Project.objects.exists() and not StageRecord.objects.exists()


def test_a_voltage_the_timing_table_lacks_is_a_row_error(clerk, people, customer):
    from powerkam.projects.models import TimingRule

    TimingRule.objects.filter(voltage_level="35kV", application_type="new").delete()
    result = run_import("open_projects", *upload(_rows(people, customer, {(1, "电压等级"): "35kV"})), actor=clerk,
                        dry_run=False)
    errors = {(e.row, e.column): e.message for e in result.errors}
    assert "The timing table has no rules for 35 kV" in errors[(2, "电压等级")]
    assert not Project.objects.exists()
