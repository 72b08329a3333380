"""Acceptance defects (issue #12 §5): recorded with item, severity, photo, responsible party and
deadline; cleared one by one at re-inspection; energisation refused while any is open, with a
message that names them; clearing twice is an error."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from powerkam.projects import constants as c
from powerkam.projects import services
from powerkam.projects.models import Defect

from .conftest import FULL_FLOW_DATES, d

pytestmark = pytest.mark.django_db


def test_energisation_refused_with_an_open_defect_and_allowed_once_cleared(to_acceptance, planned, walk, people):
    p = to_acceptance()
    planned(p)
    a = people["specialist"]
    photo = SimpleUploadedFile("cable.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    earth = services.record_defect(p, actor=a, item="接地电阻超标", severity=c.DefectSeverity.CRITICAL,
                                   responsible_party=c.ResponsibleParty.BUILDER, deadline=d("2024-04-30"),
                                   photo=photo, found_on=d("2024-04-23"))
    label = services.record_defect(p, actor=a, item="电缆标识牌缺失", severity=c.DefectSeverity.MINOR,
                                   found_on=d("2024-04-23"))
    assert earth.photo.name.endswith(".jpg")
    p = walk(p, *[d(x) for x in FULL_FLOW_DATES[6:]])  # acceptance, contract and metering done
    assert p.stage == c.Stage.ENERGISATION
    services.clear_defect(label, actor=a, note="已补挂")
    with pytest.raises(ValidationError) as e:
        services.energise(p, actor=a, energised_on=d("2024-04-29"))
    message = e.value.message_dict["defects"][0]
    assert "接地电阻超标" in message and "电缆标识牌缺失" not in message and "1 acceptance defect" in message
    p.refresh_from_db()
    assert p.status == c.Status.OPEN and p.customer_id is None
    services.clear_defect(earth, actor=a, note="复测合格")
    p = services.energise(p, actor=a, energised_on=d("2024-04-29"))
    assert p.status == c.Status.ENERGISED and p.customer is not None


def test_clearing_a_defect_twice_is_an_error(to_acceptance, people):
    p = to_acceptance()
    defect = services.record_defect(p, actor=people["specialist"], item="接地电阻超标", found_on=d("2024-04-23"))
    services.clear_defect(defect, actor=people["specialist"])
    first = Defect.objects.get(pk=defect.pk).cleared_at
    with pytest.raises(ValidationError) as e:
        services.clear_defect(defect, actor=people["tracker"])
    assert "already cleared" in e.value.message_dict["defect"][0]
    defect.refresh_from_db()
    assert defect.cleared_at == first and defect.cleared_by == people["specialist"]


def test_defect_bad_input(to_acceptance, people):
    p = to_acceptance()
    bad = SimpleUploadedFile("notes.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError) as e:
        services.record_defect(p, actor=people["specialist"], item="", severity="fatal", responsible_party="nobody",
                               found_on=d("2024-04-23"), deadline=d("2024-04-01"), photo=bad)
    assert set(e.value.message_dict) == {"item", "severity", "responsible_party", "deadline", "photo"}
    assert not Defect.objects.exists()


def test_defects_are_not_recorded_before_the_inspections(accept, people):
    p = accept(d("2024-03-04"))
    with pytest.raises(ValidationError):
        services.record_defect(p, actor=people["specialist"], item="x")
