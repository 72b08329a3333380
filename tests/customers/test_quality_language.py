"""Data-quality findings are shown in the reader's language, whoever ran the check and in
whatever language (core/phrases.py, as task titles and timeline entries): a finding stores its
rule and parameters, UI words among them as msgids; the 360 tab, the quality page, its export,
the API and the work-queue task render them for the reader. Old findings, written as text in the
checker's language, are rewritten by a data migration (customers 0007) and read the same way."""

import importlib
from io import BytesIO

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from powerkam.core.models import Task
from powerkam.customers import constants as c
from powerkam.customers import quality
from powerkam.customers.models import DataQualityFinding
from tests.factories import complete_customer

pytestmark = pytest.mark.django_db

migration = importlib.import_module("powerkam.customers.migrations.0007_leftovers_finding_phrases")

ENGLISH = {
    "identity_missing": "Identity information missing: unified social credit code, legal representative.",
    "two_part_tariff_missing": "Usage category Large industry is billed on the two-part tariff but no basic "
                               "charge method is set.",
    "pf_standard_mismatch": "Power-factor standard is Not assessed; capacity and usage category call for 0.90 "
                            "(1983 rules).",
}
CHINESE = {
    "identity_missing": "缺少以下主体信息：统一社会信用代码、法定代表人。",
    "two_part_tariff_missing": "用电类别 大工业 执行两部制电价，但未设置基本电费计收方式。",
    "pf_standard_mismatch": "功率因数考核标准为 不考核，按容量和用电类别应为 0.90（依据1983年《功率因数调整电费办法》）。",
}


@pytest.fixture
def customer(org_tree, make_staff):
    manager = make_staff("manager", org_tree["s1"])
    # 800 kVA large industry at 10 kV: two-part tariff, PF standard 0.90
    return complete_customer(org_unit=org_tree["s1"], primary_manager=manager, credit_code="",
                             legal_representative="", basic_charge_method=c.BasicChargeMethod.NONE,
                             pf_standard=c.PFStandard.NONE)


def _texts(customer, lang):
    with translation.override(lang):
        return {f.rule: f.text for f in customer.findings.filter(status="open", rule__in=ENGLISH)}


@pytest.mark.parametrize(("written_in", "read_in", "expected"), [("zh-hans", "en", ENGLISH), ("en", "zh-hans", CHINESE),
                                                                 ("zh-hans", "zh-hans", CHINESE)])
def test_a_finding_reads_in_the_readers_language(customer, written_in, read_in, expected):
    with translation.override(written_in):
        quality.evaluate_customer(customer.pk)
    assert _texts(customer, read_in) == expected
    task = Task.objects.get(customer=customer, kind=Task.Kind.DATA_QUALITY, status=Task.Status.OPEN)
    with translation.override(read_in):
        items = task.detail_items
    assert any(expected["identity_missing"] in item for item in items), items


def test_every_page_export_and_the_api_show_them_to_the_reader(customer):
    with translation.override("zh-hans"):
        quality.evaluate_customer(customer.pk)
    reader = customer.primary_manager
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reader, backend="django.contrib.auth.backends.ModelBackend")
    tab = client.get(reverse("customers:detail", args=[customer.pk]), {"tab": "quality"}).content.decode()
    page = client.get(reverse("customers:quality")).content.decode()
    for html in (tab, page):
        assert "unified social credit code, legal representative" in html and "统一社会信用代码" not in html
    export = client.get(reverse("customers:quality_export"), {"fmt": "xlsx"})
    cells = [str(v) for row in load_workbook(BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True) for v in row]
    assert ENGLISH["identity_missing"] in cells
    api = APIClient()
    api.force_authenticate(reader)
    body = api.get(f"/api/v1/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert ENGLISH["two_part_tariff_missing"] in [f["text"] for f in body["open_findings"]]


def test_old_findings_written_as_text_are_rewritten_and_read_in_either_language(customer):
    with translation.override("en"):
        quality.evaluate_customer(customer.pk)
    # as the checks stored them before: the checker's words, joined
    old = {"identity_missing": {"missing": "统一社会信用代码、法定代表人"},
           "two_part_tariff_missing": {"category": "大工业"},
           "pf_standard_mismatch": {"recorded": "none", "expected": "0.90"}}
    for rule, params in old.items():
        DataQualityFinding.objects.filter(customer=customer, rule=rule).update(params=params)
    task = Task.objects.get(customer=customer, kind=Task.Kind.DATA_QUALITY, status=Task.Status.OPEN)
    for item in task.detail_params["items"]:
        message = item["p"]["message"]
        for params in old.values():
            if set(params) <= set(message.get("p") or {}):
                message["p"] = params
    task.save()
    migration.forwards(apps, None)
    assert _texts(customer, "en") == ENGLISH and _texts(customer, "zh-hans") == CHINESE
    task.refresh_from_db()
    with translation.override("en"):
        assert any(ENGLISH["identity_missing"] in item for item in task.detail_items)
    assert task.history.first().history_change_reason == "data-quality findings in the reader's language"
    # re-evaluating finds nothing to change: the rewritten parameters are what the checks store now
    assert quality.evaluate_customer(customer.pk) == {"opened": 0, "resolved": 0}
    assert quality.sync_customer_tasks([customer.pk], [
        (f.pk, f.customer_id, f.rule, f.params, f.detected_at)
        for f in customer.findings.filter(status="open")], quality.load_facts([customer.pk]))["updated"] == 0


def test_an_unknown_word_is_kept_as_it_was():
    assert migration.rewrite("identity_missing", {"missing": "营业执照、法定代表人"}) is None
    assert migration.rewrite("identity_missing", {"missing": "ID card number"}) == {
        "missing": {"t": "ID card number"}}
