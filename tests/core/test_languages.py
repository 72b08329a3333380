"""Every page in both languages (issue #10 §2): the Chinese page has no English words and the
English page no Chinese characters, outside data.

The demo company (small) gives every page data. Each demo role walks every named GET page that
takes no argument plus a detail page of each kind (an id it may see), in zh-hans and in en.
Data is what the database holds (customer, staff and unit names, addresses, subjects, numbers):
a word found in any stored text is data. Choice labels are not data (the database stores
codes), nor are task titles (shown through Task.display_title in the reader's language)."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

ROLES = ["admin", "executive1", "supervisor1", "supervisor2", "clerk1", "manager1", "specialist1"]
SKIP_PREFIXES = ("/api/", "/admin/", "/accounts/", "/i18n/", "/media/", "/static/", "/favicon")
SKIP_NAMES = {"logout", "customers:quality_rerun", "imports:upload", "visits:occasion_create", "consumption:upload"}
# Not English words in a Chinese page: units, formats, product and standard names, acronyms.
ALLOWED_ASCII = {
    "kVA", "kWh", "kW", "kV", "kvarh", "kvar", "MW", "MWh", "MB", "KB", "GB", "API", "xlsx", "xls", "csv", "CSV", "XLSX",
    "PDF", "JPG", "PNG", "Excel", "PowerKAM", "SMS", "ID", "URL", "HTTP", "TOTP", "OK", "GB/T", "GBK", "UTF",
    "PF", "AM", "PM", "MAPE", "ECharts", "OpenAPI", "Swagger", "P90", "P50", "KPI", "ABC", "SLA", "No", "VS", "vs",
    "A", "B", "C", "D", "E", "T", "h", "kg", "m", "km", "cos", "φ", "OFD", "TIF", "TIFF", "JPEG", "Email", "E-mail",
    "Ctrl", "Shift", "Enter", "Tab",  # keys as printed on the keyboard
    "Google", "Microsoft", "Authenticator", "FreeOTP",  # authenticator apps by their product names
    "English",  # the language switcher names each language in itself
}
WORD = re.compile(r"(?<![A-Za-z0-9_./@-])[A-Za-z][A-Za-z'-]*[A-Za-z](?![A-Za-z0-9_/@]|\.\w)")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")  # Chinese characters (not punctuation or spaces)
URLISH = re.compile(r"(https?://\S+|/[\w/.-]+/|\S+@\S+)")
CUSTOMER_LINK = re.compile(r"https?://[^/\s]+(/service/(?:surveys/s|outages/ack)/[^/\s]+/)")
TEXT_ATTRS = ("title", "placeholder", "aria-label", "alt", "data-bs-title")


class _Text(HTMLParser):
    """The text a reader sees: text nodes and labelling attributes, not scripts or styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRS and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def _data_values() -> list[str]:
    """Every stored text of the project's models (choice fields store codes: not data)."""
    values: list[str] = []
    for model in apps.get_models():
        if not model.__module__.startswith("powerkam.") or model._meta.label in ("core.Task", "core.HistoricalTask"):
            continue
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField) and not f.choices]
        if fields:
            for row in model.objects.values_list(*fields).iterator(chunk_size=5000):
                values.extend(v for v in row if v)
        # Text typed into a JSON field (a weekly report's progress per milestone) is data too.
        json_fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)
                       and model._meta.label not in ("core.Task", "core.HistoricalTask")]
        if json_fields:
            for row in model.objects.values_list(*json_fields).iterator(chunk_size=5000):
                values.extend(v for value in row if isinstance(value, dict) for v in value.values() if isinstance(v, str) and v)
    return values


class Data:
    def __init__(self):
        values = _data_values()
        self.words = {w for v in values for w in re.findall(r"[A-Za-z][A-Za-z'-]*", v)}
        self.cjk = {run for v in values for run in CJK.findall(v)}
        self.cjk_text = "\n".join(self.cjk)

    def has_cjk(self, run: str) -> bool:
        return run in self.cjk or run in self.cjk_text


def english_words(texts: list[str], data: Data) -> set[str]:
    found = set()
    for text in texts:
        for word in WORD.findall(URLISH.sub(" ", text)):
            if word.isupper():  # an acronym or a number's prefix (PAY-2026-…, TK-…)
                continue
            if word not in ALLOWED_ASCII and word not in data.words:
                found.add(word)
    return found


def chinese_runs(texts: list[str], data: Data) -> set[str]:
    found = set()
    languages = {name for _code, name in settings.LANGUAGES}
    for text in texts:
        for lang in languages:
            text = text.replace(lang, " ")
        for run in CJK.findall(text):
            if not data.has_cjk(run):
                found.add(run)
    return found


@functools.cache
def _named_pages() -> tuple[str, ...]:
    urls = []

    def walk(patterns, ns=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern) and p.name and not p.pattern.converters:
                name = f"{ns}:{p.name}" if ns else p.name
                if name in SKIP_NAMES or "export" in name:
                    continue
                try:
                    url = reverse(name)
                except Exception:
                    continue
                if not url.startswith(SKIP_PREFIXES) and "." not in url.rsplit("/", 1)[-1]:
                    urls.append(url)

    walk(get_resolver().url_patterns)
    return tuple(sorted(set(urls)))


def _detail_pages(user) -> list[str]:
    """A detail page of each kind, with an id this user may see."""
    from powerkam.billing.models import Bill
    from powerkam.core.scoping import visible_customers
    from powerkam.receivables.models import CollectionNotice, Payment
    from powerkam.service.outages.selectors import visible_outages
    from powerkam.service.tickets.models import Ticket
    from powerkam.service.visits.models import Visit

    customers = visible_customers(user)
    customer = customers.filter(is_key_account=True, bills__isnull=False).order_by("pk").first() or customers.first()
    urls = []
    if customer is not None:
        pk = customer.pk
        urls += [reverse(n, args=[pk]) for n in (
            "customers:detail", "billing:customer_bills", "credit:customer", "credit:customer_tab",
            "visits:customer_tab", "surveys:customer_tab", "analytics:customer_money", "consumption:advice",
            "consumption_analysis:load", "consumption_analysis:customer_tab",
            "projects:customer_tab")]
        from powerkam.consumption.models import UsageAnomaly

        anomaly = UsageAnomaly.objects.filter(customer__in=customers).order_by("pk").first()
        if anomaly is not None:
            urls.append(reverse("consumption_analysis:anomaly", args=[anomaly.pk]))
        # the advice letter with figures: a customer with a year of 15-minute curves (consumption demo)
        from powerkam.consumption.models import DailyAggregate

        with_curves = DailyAggregate.objects.filter(customer__in=customers, source="interval").order_by("customer_id")
        curve_customer = with_curves.values_list("customer_id", flat=True).first()
        if curve_customer is not None:
            urls.append(reverse("consumption:advice", args=[curve_customer]))
        if not user.is_read_only:
            urls.append(reverse("customers:edit", args=[pk]))
    for name, model in (("billing:bill_detail", Bill), ("receivables:bill", Bill), ("receivables:payment", Payment),
                        ("receivables:notice", CollectionNotice), ("tickets:detail", Ticket),
                        ("visits:detail", Visit)):
        obj = model.objects.filter(customer__in=customers).order_by("-pk").first()
        if obj is not None:
            urls.append(reverse(name, args=[obj.pk]))
    from powerkam.projects.scoping import visible_projects

    project = visible_projects(user).order_by("pk").first()
    if project is not None:
        urls += [reverse("projects:detail", args=[project.pk]), reverse("projects:notice", args=[project.pk])]
    from powerkam.consumption.models import IngestBatch

    for batch in IngestBatch.objects.filter(created_by=user).order_by("pk")[:2]:  # a daily and a curve file
        urls.append(reverse("consumption:batch", args=[batch.pk]))
    outage = visible_outages(user).order_by("pk").first()
    if outage is not None and user.role in ("clerk", "supervisor", "admin"):
        urls.append(reverse("outages:detail", args=[outage.pk]))
    if user.role in ("manager", "specialist"):
        urls.append(reverse("org:portfolio_detail", args=[user.pk]))
    return urls


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo company for the whole module, rolled back afterwards (each test runs in a
    savepoint inside this transaction)."""
    from django.core import mail
    from django.db import transaction

    from powerkam.core.notify import LoggingSmsGateway

    with django_db_blocker.unblock(), transaction.atomic():
        LoggingSmsGateway.outbox.clear()
        with TestCase.captureOnCommitCallbacks(execute=True):  # notices go out after their commit
            call_command("load_demo", scale=60, seed=11, verbosity=0)
        data = Data()
        # The links customers were sent (survey, outage acknowledgement), for the public pages.
        texts = [m.text for m in LoggingSmsGateway.outbox] + [m.body for m in getattr(mail, "outbox", [])]
        data.customer_links = sorted({m.group(1) for t in texts for m in CUSTOMER_LINK.finditer(t)})
        yield data
        transaction.set_rollback(True)


def _walk(user, lang: str) -> dict[str, str]:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    pages = {}
    for url in [*_named_pages(), *_detail_pages(user)]:
        response = client.get(url)
        if response.status_code in (302, 403, 404, 405) and url in _named_pages():
            continue  # not this role's page (403), or an action page
        assert response.status_code == 200, (user.username, url, response.status_code)
        if "html" in response.get("Content-Type", ""):
            pages[url] = response.content.decode()
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_both_languages_has_no_text_of_the_other(demo, role):
    from powerkam.org.models import Staff

    user = Staff.objects.get(username=role)
    problems = []
    for url, html in _walk(user, "zh-hans").items():
        words = english_words(visible_text(html), demo)
        if words:
            problems.append(f"zh-hans {url}: {sorted(words)}")
    for url, html in _walk(user, "en").items():
        runs = chinese_runs(visible_text(html), demo)
        if runs:
            problems.append(f"en {url}: {sorted(runs)}")
    assert not problems, "\n".join(problems)


def test_the_pages_customers_open_from_their_links_in_both_languages(demo):
    """The survey and outage-acknowledgement pages a customer opens from an SMS or e-mail."""
    kinds = {"surveys/s" if "/surveys/s/" in u else "outages/ack" for u in demo.customer_links}
    assert kinds == {"surveys/s", "outages/ack"}, demo.customer_links[:5]
    problems = []
    checked = set()
    for url in demo.customer_links:
        kind = "surveys/s" if "/surveys/s/" in url else "outages/ack"
        if kind in checked:
            continue
        for lang, find in (("zh-hans", english_words), ("en", chinese_runs)):
            response = Client(HTTP_ACCEPT_LANGUAGE=lang).get(url)
            if response.status_code != 200:
                break  # answered or expired: try another link of this kind
            found = find(visible_text(response.content.decode()), demo)
            if found:
                problems.append(f"{lang} {url}: {sorted(found)}")
        else:
            checked.add(kind)
    assert checked == kinds
    assert not problems, "\n".join(problems)
