"""An oversized upload is refused with a message in the reader's language (issue #10 §2)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from powerkam.imports.models import ImportJob

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("lang", "message"), [
    ("zh-hans", "文件超过 0.1 MB。"),
    ("en", "The file is larger than 0.1 MB."),
])
def test_api_refuses_an_oversized_file_in_the_readers_language(settings, login, clerk, lang, message):
    settings.POWERKAM_MAX_UPLOAD_BYTES = 104858  # 0.1 MB
    big = SimpleUploadedFile("c.csv", b"x" * (200 * 1024))
    response = login(clerk).post("/api/v1/imports/", {"kind": "customers", "file": big}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    assert response.json()["file"] == [message]
    assert not ImportJob.objects.exists()
