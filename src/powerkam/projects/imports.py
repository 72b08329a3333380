"""The "open_projects" import kind: connection projects still open in a legacy system, brought
in through the import framework — dry run, Chinese row/column error report, all or nothing
(issue #12 §9).

Every row is checked with the same rules as the intake form (services.validate_application:
capacity above 0, a voltage level the timing table has, the customer in the importer's scope…)
plus the stage it is at and the day that stage started; it is written by
services.import_open_project (numbered, checklist, stage deadline and task, audited). A row
whose legacy number is already imported is "unchanged": importing the same file twice writes
nothing twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.customers import constants as cc
from powerkam.imports.columns import (
    CHOICE_ALIASES,
    CUSTOMER_NUMBER_REF,
    ColumnSpec,
    col,
    parse_bool,
    parse_date,
)
from powerkam.imports.columns import cell_text as _cell_text
from powerkam.imports.services import Importer, Plan
from powerkam.org.models import Staff

from . import constants as c
from . import services
from .models import Project

CHOICE_ALIASES.setdefault(c.ApplicationType, {
    "new": ("新装",), "increase": ("增容",), "temporary": ("临时用电", "临时"), "reduction": ("减容", "暂停", "减容暂停")})
CHOICE_ALIASES.setdefault(c.SupplyMode, {"single": ("单电源",), "dual": ("双电源",)})
CHOICE_ALIASES.setdefault(c.Stage, {
    "accepted": ("受理",), "survey": ("现场勘查", "勘查"), "plan_reply": ("答复供电方案", "供电方案答复"),
    "design_review": ("设计审查",), "construction": ("工程施工", "施工"), "mid_inspection": ("中间检查",),
    "acceptance": ("竣工检验", "竣工验收"), "contract_metering": ("签订合同、装表", "签订合同", "装表"),
    "energisation": ("送电", "装表接电")})


def parse_capacity(value, spec: ColumnSpec) -> str:
    """Kept as text: the service's own check gives the message (above 0, a number, 2 decimals)."""
    text = _cell_text(value).replace(",", "")
    try:
        Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(_("The capacity must be a number of kVA, e.g. 630.")) from None
    return text


P = Project
COLUMNS = (
    col(P, "legacy_number", "原系统编号", "Legacy number", required=True, aliases=("旧系统编号", "原工单号"),
        help=gettext_lazy("The project's number in the legacy system: a number already imported is skipped."),
        example="YK-OLD-2024-0001"),
    col(P, "application_type", "业务类型", "Application type", choices=c.ApplicationType, required=True,
        example="新装"),
    ColumnSpec(field=CUSTOMER_NUMBER_REF, zh="客户编号", en="Customer number", aliases=("户号",), max_length=20,
               help=gettext_lazy("An existing customer you may see; empty for a new applicant."),
               example=""),
    col(P, "applicant_name", "申请人", "Applicant", aliases=("用户名称", "客户名称"),
        help=gettext_lazy("Required for a new applicant."), example="示例新材料有限公司"),
    col(P, "site_address", "用电地址", "Site address", example="城北工业园 8 号"),
    col(P, "requested_capacity_kva", "申请容量(kVA)", "Requested capacity (kVA)", parse_capacity, required=True,
        aliases=("申请容量",), help=gettext_lazy("kVA, greater than 0."), example="1260"),
    col(P, "voltage_level", "电压等级", "Voltage level", choices=cc.VoltageLevel, required=True, example="10kV"),
    col(P, "supply_mode", "供电方式", "Supply mode", choices=c.SupplyMode, example="单电源"),
    col(P, "industry", "行业分类", "Industry", choices=cc.Industry, example="C"),
    col(P, "accepted_on", "受理日期", "Accepted on", parse_date, required=True, example="2026-10-12"),
    col(P, "stage", "当前环节", "Current stage", choices=c.Stage, required=True, example="答复供电方案"),
    ColumnSpec(field="stage_started_on", zh="环节开始日期", en="Stage started on", parse=parse_date, required=True,
               help=gettext_lazy("The day the current stage started; its deadline is counted from it."),
               example="2026-10-15"),
    ColumnSpec(field="tracker", zh="跟踪人", en="Tracker", required=True, aliases=("专责人",),
               help=gettext_lazy("Login name or employee number of the dedicated tracker."), example="manager1"),
    ColumnSpec(field="receiver", zh="受理人", en="Receiver",
               help=gettext_lazy("Login name or employee number of who accepted it (default: the tracker)."),
               example=""),
    col(P, "green_channel", "绿色通道", "Green channel", parse_bool, example="否"),
    col(P, "is_key_project", "重点项目", "Key project", parse_bool, example="否"),
    col(P, "expected_energisation_on", "预计送电日期", "Expected energisation", parse_date, example=""),
    col(P, "applicant_contact", "联系人", "Contact person", example="刘经理"),
    col(P, "applicant_phone", "联系电话", "Contact phone", example="13800000000"),
)

APPLICATION_FIELDS = ("application_type", "applicant_name", "site_address", "requested_capacity_kva",
                      "voltage_level", "supply_mode", "industry", "expected_energisation_on", "is_key_project",
                      "green_channel", "applicant_contact", "applicant_phone", "legacy_number")


class OpenProjectImporter(Importer):
    model = Project

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: dict[str, int] = {}
        self.today = timezone.localdate()
        self._timing: dict[tuple, list[str]] = {}

    def missing(self, *key) -> list[str]:
        if key not in self._timing:
            self._timing[key] = services.missing_timing(*key)
        return self._timing[key]

    def _staff(self, names: set[str]) -> dict[str, Staff]:
        if not names:
            return {}
        found = {}
        for s in services.worker_queryset().filter(Q(username__in=names) | Q(employee_no__in=names)):
            found.setdefault(s.username, s)
            if s.employee_no:
                found.setdefault(s.employee_no, s)
        return found

    def validate(self, batch):
        rows = [(row, cells, *self.parse_row(row, cells)) for row, cells in batch]
        customers = self.customers_by_number((p[CUSTOMER_NUMBER_REF] for _r, _c, p, _ok in rows
                                              if CUSTOMER_NUMBER_REF in p), fields=("address", "industry"))
        legacy = {p["legacy_number"] for _r, _c, p, _ok in rows if p.get("legacy_number")}
        imported = set(Project.objects.filter(legacy_number__in=legacy).values_list("legacy_number", flat=True))
        staff = self._staff({p[k] for _r, _c, p, _ok in rows for k in ("tracker", "receiver") if p.get(k)})
        plans = []
        for row, cells, parsed, ok in rows:
            number = parsed.get(CUSTOMER_NUMBER_REF)
            customer = customers.get(number) if number else None
            if number and customer is None:
                self.error(row, CUSTOMER_NUMBER_REF, _("Customer %(number)s does not exist or is outside your "
                                                       "scope.") % {"number": number})
                ok = False
            key = parsed.get("legacy_number")
            if key:
                first = self.seen.setdefault(key, row)
                if first != row:
                    self.error(row, "legacy_number", _("%(number)s appears more than once in the file (first on row "
                                                       "%(row)s).") % {"number": key, "row": first})
                    ok = False
            tracker = staff.get(parsed.get("tracker", ""))
            if parsed.get("tracker") and tracker is None:
                self.error(row, "tracker", _("No active staff member with login name or employee number "
                                             "%(name)s.") % {"name": parsed["tracker"]})
                ok = False
            receiver = staff.get(parsed["receiver"]) if parsed.get("receiver") else tracker
            if parsed.get("receiver") and receiver is None:
                self.error(row, "receiver", _("No active staff member with login name or employee number "
                                              "%(name)s.") % {"name": parsed["receiver"]})
                ok = False
            if not ok:
                continue
            if key in imported:
                self.result.unchanged += 1
                plans.append(Plan(row, "unchanged", Project(), []))
                self.preview(row, "unchanged", cells)
                continue
            app = services.Application(
                applicant_type=c.ApplicantType.EXISTING if customer is not None and customer.lifecycle_status
                not in (cc.LifecycleStatus.POTENTIAL, cc.LifecycleStatus.CONNECTING) else c.ApplicantType.NEW,
                customer=customer, **{f: parsed[f] for f in APPLICATION_FIELDS if f in parsed})
            accepted_on: date = parsed["accepted_on"]
            errors: dict[str, str] = {}
            services.validate_application(app, actor=self.actor, tracker=tracker, accepted_on=accepted_on,
                                          errors=errors, customer_in_scope=True, missing=self.missing)
            if accepted_on > self.today:
                errors["accepted_on"] = _("The date cannot be in the future.")
            stage, started = parsed["stage"], parsed["stage_started_on"]
            if "application_type" not in errors and "voltage_level" not in errors and \
                    stage not in c.stages_for(app.application_type, app.voltage_level):
                errors["stage"] = _("A %(voltage)s %(type)s project has no stage “%(stage)s”.") % {
                    "voltage": cc.VoltageLevel(app.voltage_level).label,
                    "type": c.ApplicationType(app.application_type).label, "stage": c.Stage(stage).label}
            if started < accepted_on:
                errors["stage_started_on"] = _("The stage cannot start before the application was accepted "
                                               "(%(date)s).") % {"date": accepted_on.isoformat()}
            elif started > self.today:
                errors["stage_started_on"] = _("The date cannot be in the future.")
            for name, message in errors.items():
                self.error(row, "" if name in ("__all__", "applicant_type", "org_unit") else name, message)
            if errors:
                continue
            unit = customer.org_unit_id if customer is not None else tracker.org_unit_id
            if unit is None:
                self.error(row, "tracker", _("The tracker belongs to no supply station; name a customer or another "
                                             "tracker."))
                continue
            plan = Plan(row, "create", Project(), [], customer_id=customer.pk if customer else None)
            plan.spec = {"app": app, "tracker": tracker, "receiver": receiver, "accepted_on": accepted_on,
                         "stage": stage, "stage_started_on": started, "unit_id": unit}
            self.result.created += 1
            plans.append(plan)
            self.preview(row, "create", cells)
        return plans

    def write(self, plans: list[Plan]) -> None:
        from powerkam.org.models import OrgUnit

        units = OrgUnit.objects.in_bulk({p.spec["unit_id"] for p in plans if p.action == "create"})
        for plan in plans:
            if plan.action != "create":
                continue
            spec = plan.spec
            services.import_open_project(spec["app"], actor=self.actor, receiver=spec["receiver"],
                                         tracker=spec["tracker"], accepted_on=spec["accepted_on"],
                                         stage=spec["stage"], stage_started_on=spec["stage_started_on"],
                                         unit=units[spec["unit_id"]])

    def finish(self) -> None:
        """Open projects do not change the archive: no data-quality re-evaluation."""


def register() -> None:
    from powerkam.imports.registry import register_kind

    register_kind("open_projects", gettext_lazy("Open connection projects"), COLUMNS, OpenProjectImporter,
                  help_text=gettext_lazy("Connection projects still open in a legacy system, at their current "
                                         "stage; a legacy number already imported is skipped."))
