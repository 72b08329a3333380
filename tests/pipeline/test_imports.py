"""Imports of government projects and opportunities: dry run writes nothing, a bad row refuses
the whole file with row/column errors, a good file is upserted by number."""

import csv
import io

import pytest

from powerkam.core.models import Task
from powerkam.imports.services import run_import
from powerkam.pipeline.models import GovernmentProject, Opportunity, ProjectMilestone

pytestmark = pytest.mark.django_db


def _csv(rows) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


PROJECT_HEADER = ["项目编号", "项目名称", "立项状态", "立项批复文号", "立项日期", "单位", "预计负荷kW", "主经理", "副经理"]


def _project_rows(people, bad=None):
    rows = [PROJECT_HEADER,
            ["GP-1", "数据中心", "已立项", "发改〔2026〕1号", "2026-03-02", "S1", "5000", people["m1"].username,
             people["m2"].username],
            ["GP-2", "高铁新城", "未立项", "", "", "城北二所", "", "", ""]]
    for (r, i), v in (bad or {}).items():
        rows[r][i] = v
    return rows


def test_projects_dry_run_then_commit(people):
    result = run_import("government_projects", _csv(_project_rows(people)), "p.csv", actor=people["sup"], dry_run=True)
    assert result.ok and result.created == 2 and not GovernmentProject.objects.exists(), result.summary()["errors"]
    result = run_import("government_projects", _csv(_project_rows(people)), "p.csv", actor=people["sup"], dry_run=False)
    assert result.committed and GovernmentProject.objects.count() == 2
    assert ProjectMilestone.objects.filter(project__number="GP-1").count() == 5
    again = run_import("government_projects", _csv(_project_rows(people)), "p.csv", actor=people["sup"], dry_run=True)
    assert again.unchanged == 2


@pytest.mark.parametrize("bad, column", [
    ({(1, 8): "m1_same"}, "副经理"),            # unknown manager
    ({(1, 6): "-5"}, "预计负荷kW"),             # negative load
    ({(1, 4): "2999-01-01"}, "立项日期"),       # approval date in the future
    ({(1, 5): "S3"}, "单位"),                   # a unit outside the supervisor's subtree
])
def test_a_bad_project_row_refuses_the_file(people, bad, column):
    if "m1_same" in bad.values():
        bad = {(1, 8): people["m1"].username}
    result = run_import("government_projects", _csv(_project_rows(people, bad)), "p.csv", actor=people["sup"],
                        dry_run=False)
    assert not result.committed and not GovernmentProject.objects.exists()
    assert any(e["column"] == column and e["row"] == 2 for e in result.summary()["errors"]), result.summary()["errors"]


OPP_HEADER = ["商机编号", "标题", "潜在客户", "商机类型", "阶段", "赢单概率", "预计年收入元", "预计成交日期", "负责人",
              "下一步", "下一步日期"]


def test_opportunities_import_with_next_step_tasks_and_bad_rows(people):
    rows = [OPP_HEADER, ["OP-1", "光伏", "物流园", "pv_storage", "lead", "", "800000", "2999-12-01",
                         people["m1"].username, "踏勘", "2999-01-05"]]
    result = run_import("opportunities", _csv(rows), "o.csv", actor=people["sup"], dry_run=False)
    assert result.committed, result.summary()["errors"]
    o = Opportunity.objects.get()
    assert o.probability == 10 and o.org_unit == people["m1"].org_unit
    assert Task.objects.filter(key__startswith=f"pipeline:opp:{o.pk}:next:", assignee=people["m1"]).exists()
    bad = [OPP_HEADER, ["OP-2", "储能", "园区", "pv_storage", "lead", "150", "1", "2999-12-01", "", "", ""],
           ["OP-3", "储能", "园区", "pv_storage", "lead", "", "1", "2000-01-01", "", "", ""]]
    result = run_import("opportunities", _csv(bad), "o.csv", actor=people["sup"], dry_run=False)
    cols = {(e["row"], e["column"]) for e in result.summary()["errors"]}
    assert (2, "赢单概率") in cols and (3, "预计成交日期") in cols
    assert Opportunity.objects.count() == 1
