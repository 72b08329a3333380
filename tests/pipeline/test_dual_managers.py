"""1+1 dual managers (seed 001 双经理制): an approved project needs a primary and a secondary
manager, two different people — refused in the service, the form and the API alike."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.pipeline import services
from powerkam.pipeline.models import GovernmentProject, ProjectMilestone
from powerkam.pipeline.selectors import visible_projects

from .conftest import approved_fields

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)


def test_an_approved_project_with_both_managers_is_registered_with_its_milestones(org_tree, people):
    p = services.save_project(actor=people["m1"], today=TODAY, **approved_fields(org_tree, people))
    assert p.number.startswith("GP")
    assert p.developed_by == people["m1"]
    assert ProjectMilestone.objects.filter(project=p).count() == 5


@pytest.mark.parametrize("changes, field", [
    ({"secondary_manager": None}, "secondary_manager"),
    ({"primary_manager": None, "secondary_manager": None}, "secondary_manager"),
    ({"secondary_manager": "m1"}, "secondary_manager"),
    ({"secondary_manager": "clerk"}, "secondary_manager"),
    ({"approval_date": date(2026, 9, 2)}, "approval_date"),
    ({"approval_doc_no": ""}, "approval_doc_no"),
    ({"expected_load_kw": Decimal("-1")}, "expected_load_kw"),
])
def test_bad_approved_projects_are_refused_field_by_field_and_nothing_is_written(org_tree, people, changes, field):
    changes = {k: people[v] if isinstance(v, str) and v in people else v for k, v in changes.items()}
    with pytest.raises(ValidationError) as exc:
        services.save_project(actor=people["clerk"], today=TODAY, **approved_fields(org_tree, people, **changes))
    assert field in exc.value.message_dict
    assert GovernmentProject.objects.count() == 0


def test_a_planned_project_needs_no_managers_but_keeps_its_demand_classification(org_tree, people):
    p = services.save_project(actor=people["clerk"], today=TODAY, name="高铁新城综合体", gov_status="planned",
                              org_unit=org_tree["s2"], load_class="2", voltage_level="10kV", supply_mode="ring")
    assert p.primary_manager is None and p.get_supply_mode_display()


def test_both_managers_see_it_in_their_portfolio_and_reassignment_is_audited(project, people):
    assert visible_projects(people["m1"]).filter(pk=project.pk).exists()
    assert visible_projects(people["m2"]).filter(pk=project.pk).exists()
    assert visible_projects(people["sup"]).filter(pk=project.pk).exists()
    assert not visible_projects(people["south"]).filter(pk=project.pk).exists()
    assert not visible_projects(people["spec"]).filter(pk=project.pk).exists()
    services.save_project(actor=people["sup"], project=project, today=TODAY, secondary_manager=people["spec"])
    last = project.history.first()
    assert last.history_user == people["sup"] and last.secondary_manager_id == people["spec"].pk
    assert visible_projects(people["spec"]).filter(pk=project.pk).exists()
    assert not visible_projects(people["m2"]).filter(pk=project.pk).exists()
