import pytest
from django.utils import translation

from powerkam.core.notify import LoggingSmsGateway


@pytest.fixture(autouse=True)
def _english_and_clean_outbox(settings):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # These tests send one contact several surveys in a row to build their worked examples; the
    # per-contact dedupe window is tested on its own (test_dedupe_per_contact.py).
    settings.POWERKAM_SURVEY_DEDUPE_MINUTES = 0
    LoggingSmsGateway.outbox.clear()
    with translation.override("en"):
        yield
    LoggingSmsGateway.outbox.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(): ...` runs the transaction.on_commit callbacks registered inside (the
    sending of the survey) when the block ends, as the real commit would. The test's own
    transaction never commits, so without it nothing is sent."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
