import importlib

import pytest
from django.test import Client

from tests.factories import OrgUnitFactory, StaffFactory

PASSWORD = "Passw0rd-Test!"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = True
    settings.LANGUAGE_CODE = "zh-hans"
    # Fast hashing in tests only; production keeps Django's PBKDF2 default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The working-day calendar caches the holiday table; a rolled-back test must not leak into the next.
    from powerkam.core import workdays

    workdays.clear_cache()


# Configuration rows the data migrations seed (idempotent seeders). A transaction=True test
# flushes every table afterwards, so the next one would find no timing table, no pipeline lists
# and no anomaly reasons, as no installed system ever does: put them back before such a test.
MIGRATION_SEEDS = [
    ("powerkam.projects.migrations.0002_seed_defaults", "seed"),
    ("powerkam.pipeline.migrations.0002_seed_lists", "seed"),
    ("powerkam.consumption.migrations.0002_watch_forecast", "seed_reasons"),
]


@pytest.fixture(autouse=True)
def _seeded_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module, name in MIGRATION_SEEDS:
        getattr(importlib.import_module(module), name)(apps, None)


@pytest.fixture
def org_tree(db):
    """company → 2 regions → 2 stations each."""
    from powerkam.org.models import OrgUnit

    company = OrgUnitFactory(code="C", name="市供电公司", kind=OrgUnit.Kind.COMPANY)
    north = OrgUnitFactory(code="R1", name="城北片区", kind=OrgUnit.Kind.REGION, parent=company)
    south = OrgUnitFactory(code="R2", name="城南片区", kind=OrgUnit.Kind.REGION, parent=company)
    s1 = OrgUnitFactory(code="S1", name="城北一所", parent=north)
    s2 = OrgUnitFactory(code="S2", name="城北二所", parent=north)
    s3 = OrgUnitFactory(code="S3", name="城南一所", parent=south)
    return {"company": company, "north": north, "south": south, "s1": s1, "s2": s2, "s3": s3}


@pytest.fixture
def make_staff(db):
    def make(role="manager", org_unit=None, **kwargs):
        return StaffFactory(role=role, org_unit=org_unit or OrgUnitFactory(), **kwargs)

    return make


@pytest.fixture
def login():
    """A logged-in test client for a staff member (goes through the real auth backends)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def dead_pid() -> int:
    """The id of a process of this host that has ended (for job workers' leases)."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def login_verified():
    """A logged-in test client whose session gave the two-step code of `device` (django-otp)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    def make(user, device) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make
