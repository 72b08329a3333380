"""403, 404 and 500 pages: in the reader's language, with the reason and a way back (issue #10 §2)."""

import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

CJK = re.compile(r"[\u4e00-\u9fff]")


def _error_block(html: str) -> str:
    return html.split('id="error-page"', 1)[1].split("</div>", 1)[0]


def _get(client: Client, url: str, lang: str):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang)


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "words"), [
    ("zh-hans", ["页面不存在", "返回首页"]),
    ("en", ["Page not found", "Back to the start page"]),
])
def test_404_page_names_the_reason_and_the_way_back(make_staff, login, lang, words):
    client = login(make_staff(role="manager"))
    response = _get(client, "/customers/987654321/", lang)
    assert response.status_code == 404
    html = response.content.decode()
    for word in words:
        assert word in html
    assert 'href="/"' in html
    if lang == "en":
        assert not CJK.search(_error_block(html))


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "words"), [
    ("zh-hans", ["您无权进行此操作", "您无权导入数据", "返回首页"]),
    ("en", ["You are not allowed to do this", "You are not allowed to import data.", "Back to the start page"]),
])
def test_403_page_gives_the_reason_from_the_rule(make_staff, login, lang, words):
    client = login(make_staff(role="executive"))
    response = _get(client, "/imports/", lang)
    assert response.status_code == 403
    html = response.content.decode()
    for word in words:
        assert word in html


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-hans", ["服务器出错了", "返回首页"]),
    ("en", ["Something went wrong on the server", "Back to the start page"]),
])
def test_500_page_renders_without_a_request_context(lang, words):
    request = RequestFactory().get("/customers/")
    with translation.override(lang):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    for word in words:
        assert word in html
    if lang == "en":
        assert not CJK.search(html)
