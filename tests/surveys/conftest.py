import pytest
from django.utils import translation

from powerkam.core.notify import LoggingSmsGateway


@pytest.fixture(autouse=True)
def _english_and_clean_outbox(settings):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    LoggingSmsGateway.outbox.clear()
    with translation.override("en"):
        yield
    LoggingSmsGateway.outbox.clear()
