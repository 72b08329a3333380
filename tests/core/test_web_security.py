"""Web security for production (issue #9 item 9): a Content-Security-Policy that forbids inline
script on every response, and no page that would need it; the API schema and docs behind login;
Secure cookies, HSTS and the proxy header behind POWERKAM_HTTPS; no Server header from gunicorn."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]


class InlineScriptFinder(HTMLParser):
    """Collects <script> elements without src and on*= event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") not in ("application/json",):
            self.problems.append(f"inline <script> at line {self.getpos()[0]}")
        self.problems += [f"{tag} {name}= at line {self.getpos()[0]}" for name in attrs if name.startswith("on")]
        self.problems += [f"{tag} javascript: URL" for v in attrs.values() if (v or "").strip().lower().startswith("javascript:")]
        if tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.links.append(attrs["href"])


def inline_script(html: str) -> InlineScriptFinder:
    finder = InlineScriptFinder()
    finder.feed(html)
    return finder


@pytest.mark.django_db
def test_every_response_carries_the_policy():
    response = Client().get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


@pytest.mark.django_db
def test_no_page_of_the_navigation_has_inline_script(org_tree, make_staff, login):
    admin = make_staff("admin", org_unit=org_tree["company"], is_staff=True, is_superuser=True)
    customer = CustomerFactory(org_unit=org_tree["s1"])
    client = login(admin)
    home = client.get("/", follow=True)
    nav_links = inline_script(home.content.decode()).links
    pages = {link.split("#")[0] for link in nav_links if not link.startswith(("/admin", "/media", "/static"))
             and "export" not in link}
    pages |= {"/", f"/customers/{customer.pk}/", f"/analytics/customers/{customer.pk}/money/",
              f"/credit/customers/{customer.pk}/assess/", f"/credit/customers/{customer.pk}/",
              "/service/surveys/analysis/", "/service/surveys/loss/", "/service/tickets/analysis/",
              "/service/visits/analysis/", "/org/security/", "/api/docs/", "/api/redoc/", "/admin/"}
    assert len(pages) > 20
    problems = {}
    for url in sorted(pages):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        found = inline_script(response.content.decode()).problems
        if found:
            problems[url] = found
    assert problems == {}
    assert inline_script(Client().get("/accounts/login/").content.decode()).problems == []


@pytest.mark.django_db
def test_api_schema_and_docs_need_a_login(make_staff, login):
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    for url in ("/api/docs/", "/api/redoc/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client = login(make_staff("manager"))
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.content.decode()
    assert client.get("/api/docs/?script=").status_code == 200  # the start-up code, as a script file
    assert "fonts.googleapis.com" not in client.get("/api/redoc/").content.decode()


def _settings_under(env: dict) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_PROXY_SSL_HEADER]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "powerkam.settings", **env})
    return dict(zip(["session_secure", "csrf_secure", "hsts", "proxy_header"], json.loads(out.stdout), strict=True))


def test_https_setting_turns_on_secure_cookies_hsts_and_the_proxy_header():
    assert _settings_under({"POWERKAM_HTTPS": "1"}) == {
        "session_secure": True, "csrf_secure": True, "hsts": 31536000,
        "proxy_header": ["HTTP_X_FORWARDED_PROTO", "https"]}
    plain = _settings_under({"POWERKAM_HTTPS": "0"})
    assert plain["session_secure"] is False and plain["hsts"] == 0 and plain["proxy_header"] is None


def test_gunicorn_as_make_run_starts_it_sends_no_server_header(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "powerkam.wsgi:application",
                             "--bind", f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT,
                            env={**os.environ, "POWERKAM_VAR_DIR": str(tmp_path)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {
                    "redirect_request": lambda *a, **k: None}))
                response = opener.open(f"http://127.0.0.1:{port}/favicon.ico", timeout=2)
                headers = response.headers
                break
            except urllib.error.HTTPError as exc:
                headers = exc.headers
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer")
        assert "Server" not in headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
