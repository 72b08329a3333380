"""Application intake (issue #12 §1): the receiver is the first-contact owner, a dedicated
tracker is named, the one-time notice's documents come from the configurable list by
application type, applicant type and voltage; documents are ticked off as they arrive."""

import pytest
from django.core.exceptions import ValidationError

from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.projects import constants as c
from powerkam.projects import services
from powerkam.projects.models import DocumentRequirement, Project, ProjectDocument

from .conftest import d

pytestmark = pytest.mark.django_db


def test_accepting_names_the_first_contact_owner_and_the_tracker(accept, people, org_tree):
    p = accept(d("2024-03-04"), green_channel=True, is_key_project=True)
    assert p.first_contact_owner == people["specialist"] and p.tracker == people["tracker"]
    assert p.number == f"YK20240304-{p.pk:06d}"
    assert p.stage == c.Stage.ACCEPTED and p.status == c.Status.OPEN and p.org_unit == org_tree["s1"]
    assert p.current_stage.owner == people["specialist"]
    assert p.history.first().history_user == people["specialist"]
    task = Task.objects.get(key=p.current_stage.task_key)
    assert task.assignee == people["specialist"] and task.priority == Task.Priority.HIGH  # green channel


def test_the_one_time_notice_follows_type_applicant_and_voltage(accept, customer):
    new_hv = accept(d("2024-03-04"))
    names = list(ProjectDocument.objects.filter(project=new_hv).values_list("name", flat=True))
    assert "项目批复（核准、备案）文件" in names and "用电人有效身份证明（营业执照或组织机构代码证、法定代表人身份证明）" in names
    assert "户号及近期电费缴费凭证" not in names and "减容（暂停）申请及设备停用清单" not in names
    lv = accept(d("2024-03-04"), voltage_level="0.4kV")
    assert not ProjectDocument.objects.filter(project=lv, name="项目批复（核准、备案）文件").exists()
    reduction = accept(d("2024-03-04"), application_type=c.ApplicationType.REDUCTION,
                       applicant_type=c.ApplicantType.EXISTING, customer=customer)
    reduction_docs = set(ProjectDocument.objects.filter(project=reduction).values_list("name", flat=True))
    assert "减容（暂停）申请及设备停用清单" in reduction_docs and "户号及近期电费缴费凭证" in reduction_docs
    # The list is data: a new line applies to the next application.
    DocumentRequirement.objects.create(name="环评批复", application_types=["new"], voltage_group="high")
    assert ProjectDocument.objects.filter(project=accept(d("2024-03-04")), name="环评批复").exists()


def test_documents_are_ticked_off(accept, people):
    p = accept(d("2024-03-04"))
    doc = p.documents.first()
    services.receive_document(doc, actor=people["specialist"], received_on=d("2024-03-05"))
    doc.refresh_from_db()
    assert doc.received_on == d("2024-03-05") and doc.received_by == people["specialist"]
    with pytest.raises(ValidationError):
        services.receive_document(doc, actor=people["specialist"], received_on=d("2024-03-06"))


def test_an_existing_customer_gets_a_timeline_entry(accept, customer):
    accept(d("2024-03-04"), application_type=c.ApplicationType.INCREASE, applicant_type=c.ApplicantType.EXISTING,
           customer=customer)
    assert TimelineEvent.objects.filter(customer=customer, kind="project", title__contains="accepted").exists()


def test_read_only_staff_cannot_accept(people):
    from django.core.exceptions import PermissionDenied

    from .conftest import application

    with pytest.raises(PermissionDenied):
        services.accept_application(application(), actor=people["executive"], tracker=people["tracker"])
    assert not Project.objects.exists()


def test_timeline_titles_show_in_the_readers_language(accept, customer):
    from django.utils.translation import override

    p = accept(d("2024-03-04"), application_type=c.ApplicationType.INCREASE, applicant_type=c.ApplicantType.EXISTING,
               customer=customer)  # written while the process speaks English
    event = TimelineEvent.objects.get(customer=customer, kind="project")
    assert event.display_title == f"Connection application {p.number} accepted: Capacity increase, 1,260 kVA"
    with override("zh-hans"):
        assert event.display_title == f"业扩申请 {p.number} 已受理：增容，1,260 kVA"
