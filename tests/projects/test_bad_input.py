"""Bad input (issue #12 "How it is judged"): clear field-level errors, nothing written."""

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.projects import constants as c
from powerkam.projects import services
from powerkam.projects.models import Project, StageRecord, TimingRule

from .conftest import application, d

pytestmark = pytest.mark.django_db


def _refused(people, **overrides):
    with pytest.raises(ValidationError) as e:
        services.accept_application(application(**overrides), actor=people["specialist"], tracker=people["tracker"],
                                    accepted_on=d("2024-03-04"))
    assert not Project.objects.exists() and not Task.objects.exists()
    return e.value.message_dict


@pytest.mark.parametrize("value,message", [
    ("0", "greater than 0 kVA"), ("-5", "greater than 0 kVA"), ("abc", "must be a number of kVA"),
    ("", "Give the capacity"), ("12.345", "at most two decimals"), ("NaN", "must be a number of kVA"),
])
def test_capacity_zero_or_text(people, value, message):
    errors = _refused(people, requested_capacity_kva=value)
    assert list(errors) == ["requested_capacity_kva"] and message in errors["requested_capacity_kva"][0]


def test_a_voltage_level_the_timing_table_lacks(people):
    TimingRule.objects.filter(voltage_level="35kV", application_type="new").delete()
    errors = _refused(people, voltage_level="35kV")
    assert list(errors) == ["voltage_level"]
    assert "The timing table has no rules for 35 kV New connection projects" in errors["voltage_level"][0]


def test_missing_fields_each_get_their_message(people):
    errors = _refused(people, application_type="x", applicant_name=" ", site_address="", voltage_level="",
                      supply_mode="triple", expected_energisation_on="2024-13-01")
    assert set(errors) == {"application_type", "applicant_name", "site_address", "voltage_level", "supply_mode",
                           "expected_energisation_on"}


def test_stage_dates_out_of_order(accept, walk, people):
    p = walk(accept(d("2024-03-04")), d("2024-03-06"))  # survey from 6 Mar
    before = StageRecord.objects.count()
    with pytest.raises(ValidationError) as e:
        services.advance(p, actor=people["specialist"], stage=c.Stage.SURVEY, ended_on=d("2024-03-05"))
    assert "cannot end before it started (2024-03-06)" in e.value.message_dict["ended_on"][0]
    with pytest.raises(ValidationError) as e:
        services.advance(p, actor=people["specialist"], stage=c.Stage.SURVEY, ended_on="2999-01-01")
    assert "future" in e.value.message_dict["ended_on"][0]
    with pytest.raises(ValidationError) as e:
        services.advance(p, actor=people["specialist"], stage=c.Stage.PLAN_REPLY, ended_on=d("2024-03-07"))
    assert "stage" in e.value.message_dict
    assert StageRecord.objects.count() == before
    p.refresh_from_db()
    assert p.stage == c.Stage.SURVEY and p.current_stage.ended_on is None


def test_a_timing_rule_removed_mid_way_stops_the_advance_cleanly(accept, walk, people):
    p = walk(accept(d("2024-03-04")), d("2024-03-05"))
    TimingRule.objects.filter(stage=c.Stage.PLAN_REPLY, voltage_level="10kV").delete()
    with pytest.raises(ValidationError) as e:
        services.advance(p, actor=people["specialist"], stage=c.Stage.SURVEY, ended_on=d("2024-03-06"))
    assert "voltage_level" in e.value.message_dict
    p.refresh_from_db()
    assert p.stage == c.Stage.SURVEY and p.current_stage.ended_on is None
