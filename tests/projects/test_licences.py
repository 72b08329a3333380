"""三不指定 and the builder's licence (issue #12 §4): contractors are the customer's choice; an
expired licence or a class that does not cover the voltage blocks completion acceptance until a
supervisor records an override with a reason."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from powerkam.projects import constants as c
from powerkam.projects import licences, services
from powerkam.projects.models import Contractor, ProjectEvent

from .conftest import d

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("cls,voltage,covers", [
    ("5", "10kV", True), ("5", "35kV", False), ("4", "35kV", True), ("4", "110kV", False),
    ("3", "110kV", True), ("3", "220kV", False), ("2", "220kV", True), ("1", "220kV", True), ("5", "0.4kV", True),
])
def test_licence_class_against_voltage(cls, voltage, covers):
    assert c.licence_covers(cls, voltage) is covers


def _builder(p, people, **kw):
    fields = {"role": c.ContractorRole.BUILDER, "name": "某电力安装公司", "licence_class": "4",
              "licence_valid_from": d("2020-01-01"), "licence_valid_to": d("2027-12-31")}
    fields.update(kw)
    return services.set_contractor(p, actor=people["specialist"], **fields)


def test_an_expired_licence_blocks_acceptance_until_a_supervisor_overrides(to_acceptance, people, walk):
    p = to_acceptance()
    _builder(p, people, licence_valid_to=d("2024-04-01"))
    p.refresh_from_db()
    assert licences.licence_problems(p, d("2024-04-26")) == ["The builder's licence expired on 2024-04-01."]
    with pytest.raises(ValidationError) as e:
        walk(p, d("2024-04-26"))
    assert "expired on 2024-04-01" in e.value.message_dict["licence"][0]
    p.refresh_from_db()
    assert p.stage == c.Stage.ACCEPTANCE
    with pytest.raises(PermissionDenied):
        services.override_licence(p, actor=people["specialist"], reason="x")
    with pytest.raises(ValidationError) as e:
        services.override_licence(p, actor=people["station_sup"], reason=" ")
    assert "reason" in e.value.message_dict
    services.override_licence(p, actor=people["station_sup"], reason="续期手续已受理，电力监管机构书面确认")
    p = walk(p, d("2024-04-26"))
    assert p.stage == c.Stage.CONTRACT_METERING
    assert ProjectEvent.objects.filter(project=p, kind=c.EventKind.LICENCE_OVERRIDE, actor=people["station_sup"]).exists()
    builder = Contractor.objects.get(project=p, role=c.ContractorRole.BUILDER)
    assert builder.history.first().history_user == people["station_sup"]


def test_an_insufficient_class_blocks_acceptance(to_acceptance, people, walk):
    p = to_acceptance(voltage_level="110kV")
    with pytest.raises(ValidationError) as e:
        walk(p, d("2024-04-26"))
    assert "Class 4 licence does not cover 110 kV works" in e.value.message_dict["licence"][0]
    _builder(p, people, licence_class="3")
    assert walk(p, d("2024-04-26")).stage == c.Stage.CONTRACT_METERING


def test_changing_the_licence_withdraws_the_override(to_acceptance, people):
    p = to_acceptance()
    _builder(p, people, licence_valid_to=d("2024-04-01"))
    services.override_licence(p, actor=people["station_sup"], reason="书面确认")
    _builder(p, people, licence_valid_to=d("2024-04-02"))
    assert not licences.is_overridden(p)


def test_licence_validity_end_before_start_is_refused(accept, people):
    p = accept(d("2024-03-04"))
    with pytest.raises(ValidationError) as e:
        _builder(p, people, licence_valid_from=d("2024-01-01"), licence_valid_to=d("2023-12-31"))
    assert "cannot expire before it becomes valid" in e.value.message_dict["licence_valid_to"][0]
    assert not Contractor.objects.exists()


def test_nothing_proposes_a_contractor(accept, people):
    # Contractors of one project are never offered to another: the customer names its own.
    first = accept(d("2024-03-04"))
    _builder(first, people)
    second = accept(d("2024-03-04"), applicant_name="另一家公司")
    assert not Contractor.objects.filter(project=second).exists()
    assert licences.licence_problems(second, d("2024-03-05")) == ["The customer's builder is not recorded yet."]
