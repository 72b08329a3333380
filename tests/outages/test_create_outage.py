"""Bad input when recording an outage: clear, field-level errors and nothing written."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from powerkam.service.outages import services
from powerkam.service.outages.models import Outage
from tests.factories import SupplyLineFactory

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime(2026, 12, 10, 8, 0))


def create(grid, **overrides):
    kwargs = {"substation": grid["sub"], "supply_lines": [grid["l1"]], "starts_at": START,
              "ends_at": START + timedelta(hours=8), "reason": "检修"}
    kwargs.update(overrides)
    return services.create_outage(**kwargs)


def test_valid_outage_gets_a_number(grid):
    outage = create(grid, supply_lines=[grid["l1"], grid["l2"].pk])
    assert outage.number == "TD202612-0001"
    assert sorted(line.name for line in outage.supply_lines.all()) == ["10kV东城一线", "10kV东城二线"]
    assert create(grid).number == "TD202612-0002"
    assert outage.org_unit == grid["sub"].org_unit


@pytest.mark.parametrize("overrides,field,message", [
    ({"ends_at": START - timedelta(hours=1)}, "ends_at", "The outage window must end after it starts."),
    ({"ends_at": START}, "ends_at", "The outage window must end after it starts."),
    ({"supply_lines": [999999]}, "supply_lines", "Unknown supply line: 999999."),
    ({"supply_lines": ["abc"]}, "supply_lines", "Unknown supply line: abc."),
    ({"supply_lines": []}, "supply_lines", "Choose at least one supply line."),
    ({"reason": "  "}, "reason", "Give the reason for the outage."),
    ({"kind": "weekly"}, "kind", "Unknown outage kind."),
])
def test_bad_input_writes_nothing(grid, overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        create(grid, **overrides)
    assert message in exc.value.message_dict[field]
    assert Outage.objects.count() == 0


def test_line_of_another_substation_is_refused(grid):
    other = SupplyLineFactory(name="10kV西城一线")
    with pytest.raises(ValidationError) as exc:
        create(grid, supply_lines=[grid["l1"], other])
    assert "is fed from" in exc.value.message_dict["supply_lines"][0]
    assert Outage.objects.count() == 0
