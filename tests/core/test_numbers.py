"""Figures people can read (issue #10 item 6): thousands separators, 万元 / 万kWh for large
figures in Chinese, plain separated figures with their unit in English (core/numbers.py)."""

from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.utils import translation

from powerkam.core import numbers


@pytest.mark.parametrize("value,text", [
    (D("1234567.891"), "1,234,567.89"), (D("0"), "0.00"), (D("-12345.5"), "-12,345.50"), (D("999.995"), "1,000.00"),
    (1500, "1,500.00"), (None, ""), ("", ""),
])
def test_money(value, text):
    assert numbers.money(value) == text


@pytest.mark.parametrize("value,text", [
    (D("1234567.50"), "1,234,567.5"), (D("1234567.00"), "1,234,567"), (D("0.25"), "0.25"), (None, ""),
])
def test_kwh(value, text):
    assert numbers.kwh(value) == text


@pytest.mark.parametrize("lang,value,text", [
    ("zh-hans", D("1234567.89"), "123.46万元"), ("zh-hans", D("10000"), "1.00万元"),
    ("zh-hans", D("9876"), "9,876.00元"), ("zh-hans", D("-25000"), "-2.50万元"),
    ("zh-hans", D("1234567890000"), "123,456,789.00万元"),
    ("en", D("1234567.89"), "1,234,567.89 yuan"), ("en", D("9876"), "9,876.00 yuan"),
])
def test_wan_yuan(lang, value, text):
    with translation.override(lang):
        assert numbers.wan_yuan(value) == text


@pytest.mark.parametrize("lang,value,text", [
    ("zh-hans", D("1234567"), "123.46万kWh"), ("zh-hans", D("9876.5"), "9,876.5 kWh"),
    ("en", D("1234567"), "1,234,567 kWh"),
])
def test_wan_kwh(lang, value, text):
    with translation.override(lang):
        assert numbers.wan_kwh(value) == text


def test_filters_are_built_in_for_every_template():
    t = Template("{{ a|money }} | {{ a|wan_yuan }} | {{ k|kwh }} | {{ k|wan_kwh }} | {{ none|wan_yuan|default:'—' }}")
    with translation.override("zh-hans"):
        assert t.render(Context({"a": D("2500000"), "k": D("43210.5"), "none": None})) == (
            "2,500,000.00 | 250.00万元 | 43,210.5 | 4.32万kWh | —")


def test_floatformat_g_separates_thousands_in_chinese_too():
    """Django's own zh_Hans formats print no separator; ours (FORMAT_MODULE_PATH) print the comma."""
    t = Template('{{ v|floatformat:"2g" }} {{ v|floatformat:"-2g" }}')
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            assert t.render(Context({"v": D("1234567.5")})) == "1,234,567.50 1,234,567.50"
