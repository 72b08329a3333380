"""No developer file path on a user page (issue #10 §2): the profit page explains the purchase
cost without pointing at source files."""

import re

import pytest
from django.urls import reverse

SOURCE_PATH = re.compile(r"\b[\w/]+\.py\b")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_profit_page_has_no_source_file_path(world, login, lang):
    response = login(world["a"]).get(reverse("analytics:profit"), {"from_month": "2026-01", "to_month": "2026-03"},
                                     HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    html = response.content.decode()
    assert not SOURCE_PATH.search(html), SOURCE_PATH.search(html).group(0)
    assert ("购电成本" if lang == "zh-hans" else "Purchase cost") in html
