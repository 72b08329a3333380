"""A small company for API tests: who sees which customer.

    company ─ north ─ s1: c1 (primary m1)
            │       └ s2: c2 (primary m3, secondary m1), c4 (no manager)
            └ south ─ s3: c3 (primary m2)

m1 sees c1 and c2 (as secondary manager), m2 sees c3, the north supervisor c1, c2, c4, the
executive and the admin everything.
"""

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from tests.factories import CustomerFactory, make_id_number


@pytest.fixture
def api():
    """An API client logged in (session) as `user`, or anonymous."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def world(org_tree, make_staff):
    t = org_tree
    m1 = make_staff("manager", t["s1"], username="m1")
    m2 = make_staff("manager", t["s3"], username="m2")
    m3 = make_staff("specialist", t["s2"], username="m3")
    supervisor = make_staff("supervisor", t["north"], username="sup_north")
    clerk = make_staff("clerk", t["north"], username="clerk_north")
    executive = make_staff("executive", t["company"], username="boss")
    admin = make_staff("admin", t["company"], username="admin")
    c1 = CustomerFactory(org_unit=t["s1"], primary_manager=m1, name="北一制造有限公司")
    c2 = CustomerFactory(org_unit=t["s2"], primary_manager=m3, secondary_manager=m1, name="北二化工有限公司")
    c3 = CustomerFactory(org_unit=t["s3"], primary_manager=m2, name="南一钢铁有限公司")
    c4 = CustomerFactory(org_unit=t["s2"], name="北二商贸有限公司", id_number=make_id_number(7))
    return SimpleNamespace(
        **t, m1=m1, m2=m2, m3=m3, supervisor=supervisor, clerk=clerk, executive=executive, admin=admin,
        c1=c1, c2=c2, c3=c3, c4=c4,
    )



@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 for a handful of staff per test dominates the run time; the API does not care.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
