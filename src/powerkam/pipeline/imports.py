"""Imports of a government key project list and of opportunities (issue #13 item 8) through the
one import framework (powerkam/imports: template, dry run, all-or-nothing, row errors).

Both are upserts by their number. Every row is checked with the same rules as the pages
(services._project_errors, services._opportunity_errors) and the same scope: a unit or a
manager the importer may not pick, or an existing number outside their scope, is a row error.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.phrases import phrase
from powerkam.customers import constants as cc
from powerkam.imports.columns import ColumnSpec, col, parse_date, parse_decimal
from powerkam.imports.services import Importer, Plan
from powerkam.org.models import Staff
from powerkam.org.selectors import assignable_org_units, assignable_staff, manager_choices

from . import constants as c
from . import selectors, services
from .models import (
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    ProjectMilestone,
)

NOT_VISIBLE = gettext_lazy("Does not exist or is not visible to you.")


def parse_percent(value: Any, spec: ColumnSpec) -> int:
    number = parse_decimal(value, spec)
    if number != number.to_integral_value() or number > 100:
        raise ValueError(_("The probability is a percentage between 0 and 100."))
    return int(number)


PROJECT_COLUMNS = (
    col(GovernmentProject, "number", "项目编号", "Project number", required=True, example="GP-2026-001"),
    col(GovernmentProject, "name", "项目名称", "Project name", required=True, example="城北新区数据中心"),
    col(GovernmentProject, "gov_status", "立项状态", "Government status", choices=c.GovStatus, example="approved"),
    col(GovernmentProject, "approval_doc_no", "立项批复文号", "Approval document number",
        example="城发改〔2026〕12号"),
    col(GovernmentProject, "approval_date", "立项日期", "Approval date", parse_date, example="2026-03-02"),
    col(GovernmentProject, "approving_authority", "审批机关", "Approving authority"),
    col(GovernmentProject, "investor", "投资方", "Investor"),
    col(GovernmentProject, "site_address", "项目地址", "Site"),
    ColumnSpec("org_unit", "单位", "Org unit", required=True, max_length=100,
               help=gettext_lazy("Code or name of an org unit you may choose."), example="S1"),
    col(GovernmentProject, "industry", "行业", "Industry", choices=cc.Industry),
    col(GovernmentProject, "expected_load_kw", "预计负荷kW", "Expected load kW", parse_decimal),
    col(GovernmentProject, "expected_capacity_kva", "预计容量kVA", "Expected capacity kVA", parse_decimal),
    col(GovernmentProject, "expected_annual_kwh", "预计年用电量kWh", "Expected annual kWh", parse_decimal),
    col(GovernmentProject, "reliability", "供电可靠性", "Reliability", choices=c.Reliability),
    col(GovernmentProject, "expected_energisation_on", "预计送电日期", "Expected energisation", parse_date),
    col(GovernmentProject, "load_class", "负荷等级", "Load class", choices=c.LoadClass),
    col(GovernmentProject, "voltage_level", "电压等级", "Voltage level", choices=cc.VoltageLevel),
    col(GovernmentProject, "supply_mode", "供电方式", "Supply mode", choices=c.SupplyMode),
    ColumnSpec("primary_manager", "主经理", "Primary manager", max_length=150,
               help=gettext_lazy("User name or employee number."), example="manager1"),
    ColumnSpec("secondary_manager", "副经理", "Secondary manager", max_length=150,
               help=gettext_lazy("User name or employee number."), example="manager2"),
)

OPPORTUNITY_COLUMNS = (
    col(Opportunity, "number", "商机编号", "Opportunity number", required=True, example="OP-2026-001"),
    col(Opportunity, "title", "标题", "Title", required=True, example="屋顶光伏及储能"),
    ColumnSpec("customer_number", "客户编号", "Customer number", max_length=20,
               help=gettext_lazy("Number of an existing customer you may see; empty for a prospect.")),
    col(Opportunity, "prospect_name", "潜在客户", "Prospect", example="城北新能源科技有限公司"),
    ColumnSpec("kind", "商机类型", "Kind", required=True, max_length=60,
               help=gettext_lazy("Code or name of an opportunity kind."), example="pv_storage"),
    ColumnSpec("stage", "阶段", "Stage", max_length=60, help=gettext_lazy("Code or name of a stage."), example="lead"),
    ColumnSpec("probability", "赢单概率", "Probability", parse=parse_percent),
    col(Opportunity, "expected_kva", "预计容量kVA", "Expected kVA", parse_decimal),
    col(Opportunity, "expected_annual_kwh", "预计年用电量kWh", "Expected annual kWh", parse_decimal),
    col(Opportunity, "expected_annual_revenue_yuan", "预计年收入元", "Expected annual revenue yuan", parse_decimal),
    col(Opportunity, "close_on", "预计成交日期", "Expected close", parse_date, required=True,
        example="2029-06-30"),
    ColumnSpec("owner", "负责人", "Owner", max_length=150, help=gettext_lazy("User name or employee number.")),
    ColumnSpec("org_unit", "单位", "Org unit", max_length=100, help=gettext_lazy("Code or name of an org unit you may choose.")),
    col(Opportunity, "next_step", "下一步", "Next step"),
    col(Opportunity, "next_step_on", "下一步日期", "Next step on", parse_date),
    col(Opportunity, "loss_reason", "丢单原因", "Loss reason", choices=c.LossReason),
)


class _PipelineImporter(Importer):
    """Shared: references by code/name resolved for the whole batch, one query each."""

    def _units(self) -> dict[str, Any]:
        if not hasattr(self, "_unit_map"):
            units = assignable_org_units(self.actor) if self.actor else None
            from powerkam.org.models import OrgUnit

            qs = units if units is not None else OrgUnit.objects.all()
            self._unit_map = {}
            for u in qs:
                self._unit_map.setdefault(u.code, u)
                self._unit_map.setdefault(u.name, u)
        return self._unit_map

    def _people(self, keys: set[str], *, managers: bool) -> dict[str, Staff]:
        if not keys:
            return {}
        if self.actor is None:
            qs = Staff.objects.all()
        else:
            qs = manager_choices(self.actor) if managers else assignable_staff(self.actor)
        found = {}
        for s in qs.filter(Q(username__in=keys) | Q(employee_no__in=keys)):
            found[s.username] = s
            if s.employee_no:
                found[s.employee_no] = s
        return found

    def _check(self, row: int, obj, errors: dict[str, str], exclude=()) -> bool:
        try:
            obj.full_clean(exclude=list(exclude), validate_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages[0])
        for name, message in errors.items():
            self.error(row, name if name in self.headers else "", str(message))
        return not errors

    def finish(self) -> None:
        """Prospects are not the archive: no data-quality rules to re-evaluate."""


class GovernmentProjectImporter(_PipelineImporter):
    model = GovernmentProject
    FIELDS = [s.field for s in PROJECT_COLUMNS if s.field not in ("number", "org_unit", "primary_manager",
                                                                  "secondary_manager")]

    def validate(self, batch):
        rows = [(row, values, *self.parse_row(row, values)) for row, values in batch]
        numbers = {p["number"] for _r, _v, p, _ok in rows if p.get("number")}
        existing = {g.number: g for g in GovernmentProject.objects.filter(number__in=numbers)}
        visible = set(selectors.visible_projects(self.actor).filter(number__in=numbers).values_list("number", flat=True)) \
            if self.actor else set(existing)
        people = self._people({p[k] for _r, _v, p, _ok in rows for k in ("primary_manager", "secondary_manager")
                               if p.get(k)}, managers=True)
        seen = getattr(self, "_seen", set())
        self._seen = seen
        today = timezone.localdate()
        plans = []
        for row, values, parsed, ok in rows:
            if not ok:
                continue
            number = parsed["number"]
            if number in seen:
                self.error(row, "number", _("This number appears twice in the file."))
                continue
            seen.add(number)
            current = existing.get(number)
            if current is not None and number not in visible:
                self.error(row, "number", str(NOT_VISIBLE))
                continue
            errors: dict[str, str] = {}
            unit = self._units().get(parsed["org_unit"])
            if unit is None:
                errors["org_unit"] = str(NOT_VISIBLE)
            managers = {}
            for key in ("primary_manager", "secondary_manager"):
                if parsed.get(key):
                    managers[key] = people.get(parsed[key])
                    if managers[key] is None:
                        errors[key] = str(NOT_VISIBLE)
            obj = current or GovernmentProject(number=number, developed_by=self.actor)
            before = {f: getattr(obj, f) for f in (*self.FIELDS, "org_unit_id", "primary_manager_id",
                                                   "secondary_manager_id")}
            for f in self.FIELDS:
                if f in parsed:
                    setattr(obj, f, parsed[f])
            if unit is not None:
                obj.org_unit = unit
            for key, person in managers.items():
                if person is not None:
                    setattr(obj, key, person)
            errors.update({k: v for k, v in services._project_errors(obj, today).items() if k not in errors})
            if not self._check(row, obj, errors, exclude=["org_unit"] if unit is None else ()):
                continue
            changed = [f for f, v in before.items() if getattr(obj, f) != v]
            action = "create" if current is None else ("update" if changed else "unchanged")
            setattr(self.result, {"create": "created", "update": "updated", "unchanged": "unchanged"}[action],
                    getattr(self.result, {"create": "created", "update": "updated", "unchanged": "unchanged"}[action]) + 1)
            self.preview(row, action, values)
            plans.append(Plan(row, action, obj, [f.removesuffix("_id") for f in changed]))
        return plans

    def write(self, plans):
        super().write(plans)
        created = [p.obj.pk for p in plans if p.action == "create"]
        if created:
            milestones = list(Milestone.objects.filter(is_active=True))
            ProjectMilestone.objects.bulk_create([ProjectMilestone(project_id=pk, milestone=m)
                                                  for pk in created for m in milestones])


class OpportunityImporter(_PipelineImporter):
    model = Opportunity
    FIELDS = ["title", "prospect_name", "probability", "expected_kva", "expected_annual_kwh",
              "expected_annual_revenue_yuan", "close_on", "next_step", "next_step_on", "loss_reason"]

    def validate(self, batch):
        rows = [(row, values, *self.parse_row(row, values)) for row, values in batch]
        numbers = {p["number"] for _r, _v, p, _ok in rows if p.get("number")}
        existing = {o.number: o for o in Opportunity.objects.filter(number__in=numbers).select_related("stage")}
        visible = (set(selectors.visible_opportunities(self.actor).filter(number__in=numbers)
                       .values_list("number", flat=True)) if self.actor else set(existing))
        customers = self.customers_by_number({p["customer_number"] for _r, _v, p, _ok in rows
                                              if p.get("customer_number")})
        people = self._people({p["owner"] for _r, _v, p, _ok in rows if p.get("owner")}, managers=False)
        kinds = {}
        for k in OpportunityKind.objects.filter(is_active=True):
            kinds[k.code], kinds[k.name] = k, k
        stages = {}
        for s in OpportunityStage.objects.all():
            stages[s.code], stages[s.name] = s, s
        default_stage = min(stages.values(), key=lambda s: (s.outcome != c.StageOutcome.OPEN, s.order)) if stages else None
        seen = getattr(self, "_seen", set())
        self._seen = seen
        today = timezone.localdate()
        plans = []
        for row, values, parsed, ok in rows:
            if not ok:
                continue
            number = parsed["number"]
            if number in seen:
                self.error(row, "number", _("This number appears twice in the file."))
                continue
            seen.add(number)
            current = existing.get(number)
            if current is not None and number not in visible:
                self.error(row, "number", str(NOT_VISIBLE))
                continue
            errors: dict[str, str] = {}
            obj = current or Opportunity(number=number, created_on=today)
            before = {f: getattr(obj, f) for f in (*self.FIELDS, "customer_id", "kind_id", "stage_id", "owner_id",
                                                   "org_unit_id")}
            for f in self.FIELDS:
                if f in parsed:
                    setattr(obj, f, parsed[f])
            if parsed.get("customer_number"):
                customer = customers.get(parsed["customer_number"])
                if customer is None:
                    errors["customer_number"] = str(NOT_VISIBLE)
                else:
                    obj.customer = customer
            kind = kinds.get(parsed["kind"])
            if kind is None:
                errors["kind"] = _("Unknown opportunity kind.")
            else:
                obj.kind = kind
            stage = stages.get(parsed["stage"]) if parsed.get("stage") else (obj.stage if current else default_stage)
            if stage is None:
                errors["stage"] = _("Unknown stage.")
            else:
                obj.stage = stage
                if "probability" not in parsed and (current is None or current.stage_id != stage.pk):
                    obj.probability = stage.probability
                if stage.outcome != c.StageOutcome.OPEN:
                    obj.closed_on = obj.closed_on or today
                    obj.cycle_days = max((obj.closed_on - obj.created_on).days, 0)
            owner = people.get(parsed["owner"]) if parsed.get("owner") else (obj.owner if current else self.actor)
            if owner is None:
                errors["owner"] = str(NOT_VISIBLE) if parsed.get("owner") else _("Give the owner.")
            else:
                obj.owner = owner
            if parsed.get("org_unit"):
                unit = self._units().get(parsed["org_unit"])
                if unit is None:
                    errors["org_unit"] = str(NOT_VISIBLE)
                else:
                    obj.org_unit = unit
            elif obj.org_unit_id is None:
                obj.org_unit_id = (obj.customer.org_unit_id if obj.customer_id else None) or getattr(owner, "org_unit_id", None)
            if kind is not None and stage is not None:
                errors.update({k: v for k, v in services._opportunity_errors(obj, today).items() if k not in errors})
            exclude = [f for f in ("kind", "stage", "owner", "org_unit") if f in errors or getattr(obj, f"{f}_id") is None]
            if not self._check(row, obj, errors, exclude=["competitors", *exclude]):
                continue
            changed = [f for f, v in before.items() if getattr(obj, f) != v]
            action = "create" if current is None else ("update" if changed else "unchanged")
            counter = {"create": "created", "update": "updated", "unchanged": "unchanged"}[action]
            setattr(self.result, counter, getattr(self.result, counter) + 1)
            self.preview(row, action, values)
            plans.append(Plan(row, action, obj, [f.removesuffix("_id") for f in changed],
                              customer_id=obj.customer_id))
        return plans

    def write(self, plans):
        super().write(plans)
        specs = []
        for p in plans:
            o = p.obj
            if p.action == "unchanged" or not (o.next_step and o.next_step_on) or o.stage.outcome != c.StageOutcome.OPEN:
                continue


            digest = hashlib.sha1(f"{o.owner_id}|{o.next_step}".encode()).hexdigest()[:10]
            specs.append({"kind": Task.Kind.FOLLOW_UP, "assignee_id": o.owner_id, "customer_id": o.customer_id,
                          "org_unit_id": o.org_unit_id, "due_at": o.next_step_on,
                          "key": f"pipeline:opp:{o.pk}:next:{o.next_step_on.isoformat()}:{digest}",
                          "title": phrase(services.NEXT_STEP_TITLE, step=o.next_step, opportunity=o.title),
                          "link": f"/pipeline/opportunities/{o.pk}/"})
        workqueue.open_tasks_bulk(specs, created_by=self.actor)

    def add_timeline(self, customer_ids):
        """Opportunities of existing customers: no archive change to put on their timeline."""


def register_imports() -> None:
    from powerkam.imports.columns import CHOICE_ALIASES
    from powerkam.imports.registry import register_kind

    # The words of the seeds and of the spreadsheets people keep (codes and labels work too).
    CHOICE_ALIASES.setdefault(c.GovStatus, {"planned": ("未立项", "规划"), "approved": ("已立项",)})
    CHOICE_ALIASES.setdefault(c.Reliability, {"single": ("单电源",), "dual": ("双电源",)})
    CHOICE_ALIASES.setdefault(c.LoadClass, {"1": ("一级",), "2": ("二级",), "3": ("三级",)})

    register_kind("government_projects", gettext_lazy("Government key projects"), PROJECT_COLUMNS,
                  GovernmentProjectImporter,
                  help_text=gettext_lazy("A list of government key projects, upserted by project number."))
    register_kind("opportunities", gettext_lazy("Opportunities"), OPPORTUNITY_COLUMNS, OpportunityImporter,
                  help_text=gettext_lazy("Opportunities, upserted by opportunity number."))




