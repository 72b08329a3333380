"""Assessment workflow through the API and the pages: scope, approval, bad input, query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from powerkam.credit import services
from powerkam.credit.models import BehaviourRating, CreditAssessment
from powerkam.customers.models import TimelineEvent
from tests.factories import CustomerFactory

from .factories import STATEMENT, make_bill, scores_all

pytestmark = pytest.mark.django_db
API = "/api/v1/credit/assessments/"


@pytest.fixture
def people(org_tree, make_staff):
    m1 = make_staff("manager", org_tree["s1"])
    m2 = make_staff("manager", org_tree["s3"])
    sup = make_staff("supervisor", org_tree["north"])
    sup_south = make_staff("supervisor", org_tree["south"])
    exe = make_staff("executive", org_tree["company"])
    c1 = CustomerFactory(org_unit=org_tree["s1"], primary_manager=m1, is_key_account=True, name="北方钢铁有限公司")
    c2 = CustomerFactory(org_unit=org_tree["s3"], primary_manager=m2, is_key_account=True, name="南方化工有限公司")
    return {"m1": m1, "m2": m2, "sup": sup, "sup_south": sup_south, "exe": exe, "c1": c1, "c2": c2}


def _create(client, customer, **extra):
    return client.post(API, {"customer": customer.pk, **STATEMENT, "scores": scores_all(4), **extra},
                       content_type="application/json")


def test_api_create_returns_limit_tier_grade_code(people, login):
    resp = _create(login(people["m1"]), people["c1"])
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["credit_limit"], body["limit_tier"], body["grade"], body["code"]) == ("650000.00", "3A", 2, "3A2")
    assert body["ratios"]["current_ratio"] == "2.0000" and body["ratios"]["debt_ratio"] == "0.6667"
    assert body["status"] == "draft"
    assert any(r["code"] == "model_limit" and "650000.00" in r["text"] for r in body["reasons"])
    a = CreditAssessment.objects.get()
    assert a.prepared_by == people["m1"] and a.history.count() == 1


def test_api_accepts_json_numbers(people, login):
    data = {k: float(v) if "." in v else int(v) for k, v in STATEMENT.items()}
    resp = login(people["m1"]).post(API, {"customer": people["c1"].pk, **data}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["code"] == "2A3"


@pytest.mark.parametrize(("changes", "field"), [
    ({"current_assets": "-5"}, "current_assets"),
    ({"scores": {"impression": [9, 3, 3, 3]}}, "scores"),
    ({"inventory": "9000000"}, "inventory"),
])
def test_api_bad_input_writes_nothing(people, login, changes, field):
    resp = _create(login(people["m1"]), people["c1"], **changes)
    assert resp.status_code == 400
    assert field in resp.json()
    assert CreditAssessment.objects.count() == 0


def test_scope_other_portfolio_gets_404(people, login):
    a = services.create_assessment(customer=people["c1"], actor=people["m1"], data={**STATEMENT})
    other = login(people["m2"])
    assert other.get(f"{API}{a.pk}/").status_code == 404
    assert other.get(reverse("credit:assessment", args=[a.pk])).status_code == 404
    assert other.get(reverse("credit:customer", args=[people["c1"].pk])).status_code == 404
    assert other.get(reverse("credit:customer_tab", args=[people["c1"].pk])).status_code == 404
    assert other.get(reverse("credit:assessment_create", args=[people["c1"].pk])).status_code == 404
    assert other.get(API).json()["count"] == 0
    resp = _create(other, people["c1"])  # cannot create for a customer outside the portfolio
    assert resp.status_code == 400 and "customer" in resp.json()
    assert login(people["m1"]).get(f"{API}{a.pk}/").status_code == 200
    assert login(people["exe"]).get(f"{API}{a.pk}/").status_code == 200


def test_executive_is_read_only(people, login):
    assert _create(login(people["exe"]), people["c1"]).status_code == 403
    assert login(people["exe"]).get(reverse("credit:assessment_create", args=[people["c1"].pk])).status_code == 403


def test_supervisor_approves_with_timeline_event(people, login):
    a = services.create_assessment(customer=people["c1"], actor=people["m1"], data={**STATEMENT, "scores": scores_all(4)})
    resp = login(people["m1"]).post(f"{API}{a.pk}/approve/")  # the manager cannot approve
    assert resp.status_code == 400
    assert login(people["sup_south"]).post(f"{API}{a.pk}/approve/").status_code == 404  # outside the subtree
    resp = login(people["sup"]).post(f"{API}{a.pk}/approve/")
    assert resp.status_code == 200, resp.content
    a.refresh_from_db()
    assert a.status == "approved" and a.approved_by == people["sup"]
    event = TimelineEvent.objects.get(customer=people["c1"], kind="credit_assessment")
    assert "3A2" in event.title and "650000.00" in event.title
    assert login(people["sup"]).post(f"{API}{a.pk}/approve/").status_code == 400  # only once
    with pytest.raises(Exception, match="cannot be changed"):
        services.update_assessment(a, actor=people["m1"], data=STATEMENT)


def test_form_page_creates_a_draft_and_shows_the_code(people, login):
    client = login(people["m1"])
    url = reverse("credit:assessment_create", args=[people["c1"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('class="form-select form-select-sm score"') == 72
    post = {"assessed_on": "2026-11-20", **STATEMENT}
    for item, values in scores_all(4).items():
        for i, v in enumerate(values, start=1):
            post[f"s_{item}_{i}"] = str(v)
    resp = client.post(url, post)
    assert resp.status_code == 302
    a = CreditAssessment.objects.get()
    assert (a.code, a.credit_limit, a.assessed_on) == ("3A2", Decimal("650000.00"), date(2026, 11, 20))
    detail = client.get(resp.url).content.decode()
    assert 'id="credit-code">3A2<' in detail


def test_form_bad_input_shows_errors_and_writes_nothing(people, login):
    client = login(people["m1"])
    url = reverse("credit:assessment_create", args=[people["c1"].pk])
    resp = client.post(url, {"assessed_on": "2026-11-20", **STATEMENT, "total_assets": "-1", "s_impression_1": "8"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "This figure cannot be negative." in html
    assert "Impression, aspect 1: score 8 is outside 0–5." in html
    assert CreditAssessment.objects.count() == 0


def test_draft_edit_then_approve_page(people, login):
    a = services.create_assessment(customer=people["c1"], actor=people["m1"], data={**STATEMENT})
    client = login(people["m1"])
    edit = reverse("credit:assessment_edit", args=[a.pk])
    assert client.get(edit).status_code == 200
    post = {"assessed_on": "2026-11-20", **STATEMENT}
    for item in scores_all(4):
        for i in range(1, 5):
            post[f"s_{item}_{i}"] = "4"
    assert client.post(edit, post).status_code == 302
    a.refresh_from_db()
    assert a.code == "3A2"
    resp = login(people["sup"]).post(reverse("credit:assessment_approve", args=[a.pk]))
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.status == "approved"
    assert client.get(edit).status_code == 302  # approved: no more editing


def test_index_lists_codes_and_levels_in_constant_queries(people, login, django_assert_max_num_queries):
    a = services.create_assessment(customer=people["c1"], actor=people["m1"], data={**STATEMENT, "scores": scores_all(4)})
    services.approve_assessment(a, actor=people["sup"])
    make_bill(people["c1"], due_on=date(2026, 10, 1), total="500.00")
    services.rate_payment_behaviour(date(2026, 11, 20))
    exe = login(people["exe"])
    for _ in range(5):
        CustomerFactory(is_key_account=True)
    with django_assert_max_num_queries(12):
        html = exe.get(reverse("credit:index")).content.decode()
    assert "3A2" in html and "北方钢铁有限公司" in html and "南方化工有限公司" in html
    scoped = login(people["m1"]).get(reverse("credit:index")).content.decode()
    assert "北方钢铁有限公司" in scoped and "南方化工有限公司" not in scoped
    assert "3A2" in exe.get(reverse("credit:index"), {"tier": "3A"}).content.decode()
    assert "北方钢铁有限公司" not in exe.get(reverse("credit:index"), {"tier": "4A"}).content.decode()
    assert "北方钢铁有限公司" in exe.get(reverse("credit:index"), {"level": "D", "sort": "-limit"}).content.decode()
    csv = b"".join(login(people["m1"]).get(reverse("credit:index"), {"export": "csv"}).streaming_content).decode()
    assert "3A2" in csv and ",650000" in csv and "南方化工" not in csv
    xlsx = exe.get(reverse("credit:index"), {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_assessment_list_and_customer_pages(people, login, django_assert_max_num_queries):
    for _ in range(3):
        services.create_assessment(customer=people["c1"], actor=people["m1"], data={**STATEMENT})
    services.create_assessment(customer=people["c2"], actor=people["m2"], data={**STATEMENT})
    client = login(people["m1"])
    with django_assert_max_num_queries(10):
        html = client.get(reverse("credit:assessments"), {"status": "draft", "sort": "-limit"}).content.decode()
    assert html.count("北方钢铁有限公司") == 3 and "南方化工" not in html
    csv = b"".join(client.get(reverse("credit:assessments"), {"export": "csv"}).streaming_content).decode()
    assert csv.count("2A3") == 3
    make_bill(people["c1"], due_on=date(2026, 10, 1), total="500.00")
    services.rate_payment_behaviour(date(2026, 11, 20))
    tab = client.get(reverse("credit:customer_tab", args=[people["c1"].pk])).content.decode()
    assert "Overdue arrears 500.00 yuan, the oldest due 2026-10-01." in tab
    assert client.get(reverse("credit:customer", args=[people["c1"].pk])).status_code == 200


def test_behaviour_ratings_api_is_scoped(people, login):
    make_bill(people["c1"], due_on=date(2026, 10, 1), total="500.00")
    services.rate_payment_behaviour(date(2026, 11, 20))
    body = login(people["m1"]).get("/api/v1/credit/behaviour-ratings/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["customer"], row["level"], row["arrears"]) == (people["c1"].pk, "D", "500.00")
    assert login(people["exe"]).get("/api/v1/credit/behaviour-ratings/").json()["count"] == BehaviourRating.objects.count()
    other = BehaviourRating.objects.get(customer=people["c2"])
    assert login(people["m1"]).get(f"/api/v1/credit/behaviour-ratings/{other.pk}/").status_code == 404
