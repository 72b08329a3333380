"""Exports of the project list and the cycle-time report, through the one export helper
(powerkam.imports.exports): the rows are already scoped and filtered by the caller."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.customers import constants as cc
from powerkam.imports.exports import Column

from . import constants as c


def project_columns() -> list[Column]:
    """The list export's columns: one {code: label} map per choice field per export."""
    types = {k: str(v) for k, v in c.ApplicationType.choices}
    applicants = {k: str(v) for k, v in c.ApplicantType.choices}
    voltages = {k: str(v) for k, v in cc.VoltageLevel.choices}
    modes = {k: str(v) for k, v in c.SupplyMode.choices}
    stages = {k: str(v) for k, v in c.Stage.choices}
    statuses = {k: str(v) for k, v in c.Status.choices}
    today = timezone.localdate()
    return [
        Column(_("Project number"), lambda p: p.number),
        Column(_("Green channel"), lambda p: p.green_channel),
        Column(_("Key project"), lambda p: p.is_key_project),
        Column(_("Application type"), lambda p: types.get(p.application_type, p.application_type)),
        Column(_("Applicant type"), lambda p: applicants.get(p.applicant_type, p.applicant_type)),
        Column(_("Applicant"), lambda p: p.applicant_name),
        Column(_("Customer number"), lambda p: p.customer.number if p.customer_id else ""),
        Column(_("Site address"), lambda p: p.site_address),
        Column(_("Requested capacity (kVA)"), lambda p: p.requested_capacity_kva),
        Column(_("Voltage level"), lambda p: voltages.get(p.voltage_level, p.voltage_level)),
        Column(_("Supply mode"), lambda p: modes.get(p.supply_mode, p.supply_mode)),
        Column(_("Supply station"), lambda p: p.org_unit.name),
        Column(_("Tracker"), lambda p: p.tracker.display_name),
        Column(_("First-contact owner"), lambda p: p.first_contact_owner.display_name),
        Column(_("Status"), lambda p: statuses.get(p.status, p.status)),
        Column(_("Current stage"), lambda p: stages.get(p.stage, p.stage)),
        Column(_("Stage deadline"), lambda p: p.due_on),
        Column(_("Stage deadline provisional"), lambda p: _("Provisional") if p.due_on and p.due_provisional else ""),
        Column(_("Overdue"), lambda p: p.is_open and not p.is_paused and p.due_on is not None and p.due_on < today),
        Column(_("Paused for the customer"), lambda p: p.is_paused),
        Column(_("Escalation level"), lambda p: p.escalation_level),
        Column(_("Accepted on"), lambda p: p.accepted_on),
        Column(_("Expected energisation"), lambda p: p.expected_energisation_on),
        Column(_("Energised on"), lambda p: p.energised_on),
        Column(_("Grid-side working days"), lambda p: p.grid_workdays),
        Column(_("Customer-side working days"), lambda p: p.customer_workdays),
    ]


def _stats_columns(first: Column) -> list[Column]:
    return [
        first,
        Column(_("Projects"), lambda r: r["count"]),
        Column(_("Mean (working days)"), lambda r: r["mean"]),
        Column(_("Median (working days)"), lambda r: r["median"]),
        Column(_("P90 (working days)"), lambda r: r["p90"]),
        Column(_("Customer side, mean (working days)"), lambda r: r["customer_mean"]),
        Column(_("Within commitment (%)"), lambda r: r["within_pct"]),
    ]


REPORT_TABLES = ("stage", "unit", "voltage", "type", "month")


def report_table(result: dict, table: str) -> tuple[str, list[Column], list]:
    """(file name, columns, rows) of one table of the cycle-time report, for export_response."""
    return dict((key, sheet) for key, sheet in zip(REPORT_TABLES, report_sheets(result), strict=True))[table]


def report_sheets(result: dict) -> list[tuple[str, list[Column], list]]:
    stage_columns = _stats_columns(Column(_("Stage"), lambda r: str(r["label"])))
    stage_columns[1] = Column(_("Completed stages"), lambda r: r["count"])
    stage_columns.insert(2, Column(_("Commitment (working days)"), lambda r: r["commitment"]))
    return [
        (_("By stage"), stage_columns, result["by_stage"]),
        (_("By unit"), _stats_columns(Column(_("Org unit"), lambda r: r["label"])), result["by_unit"]),
        (_("By voltage level"), _stats_columns(Column(_("Voltage level"), lambda r: str(r["label"]))),
         result["by_voltage"]),
        (_("By application type"), _stats_columns(Column(_("Application type"), lambda r: str(r["label"]))),
         result["by_type"]),
        (_("By month"), _stats_columns(Column(_("Month"), lambda r: r["key"].strftime("%Y-%m"))), result["by_month"]),
    ]
