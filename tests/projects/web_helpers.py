"""Helpers of the page tests (projects-web): projects in given states, written through the
services where the state matters and set directly where only the read side is tested."""

from __future__ import annotations

from datetime import date

from powerkam.projects import constants as c
from powerkam.projects.models import Project, StageRecord

from .conftest import application


def accepted(people, org_tree, on: date, **overrides) -> Project:
    from powerkam.projects import services

    return services.accept_application(application(**overrides), actor=people["specialist"],
                                       tracker=people["tracker"], accepted_on=on, org_unit=org_tree["s1"])


def mark_energised(project: Project, on: date, grid: int, customer: int = 0, commitment: int | None = 22) -> Project:
    """Read-side only: the project as energisation leaves it (status, date, both clocks)."""
    Project.objects.filter(pk=project.pk).update(status=c.Status.ENERGISED, energised_on=on, grid_workdays=grid,
                                                 customer_workdays=customer, commitment_workdays=commitment,
                                                 current_stage=None, due_on=None)
    project.refresh_from_db()
    return project


def finished_stage(project: Project, stage: str, start: date, end: date, grid: int, customer: int = 0,
                   limit: int | None = 5) -> StageRecord:
    return StageRecord.objects.create(
        project=project, stage=stage, side=c.side_of(stage), owner=project.tracker, started_on=start, ended_on=end,
        limit_workdays=limit, grid_workdays=grid, customer_workdays=customer,
        within_commitment=None if limit is None else grid <= limit)
