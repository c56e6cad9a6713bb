"""Disk full or read-only media storage (issue 16.5): a coded error, never a 500, and never a
partial file under a photo's content address (a later upload of the same photo reuses it)."""

from __future__ import annotations

import hashlib
import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from cityloop.cases.models import Case
from cityloop.core import tokens, uploads
from cityloop.core.errors import StorageFull, StorageUnavailable
from cityloop.core.models import Upload
from tests.api.conftest import API
from tests.cases.test_views import report_data

pytestmark = pytest.mark.django_db


def noisy_jpeg(seed: int = 1, side: int = 160) -> bytes:
    """A photo that does not compress well: tens of kilobytes, more than the disk has left."""
    rng = random.Random(seed)
    img = Image.frombytes(
        "RGB", (side, side), bytes(rng.randrange(256) for _ in range(side**2 * 3))
    )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_full_disk_raises_storage_full_and_leaves_no_partial_file(small_disk):
    image = uploads.clean_image(noisy_jpeg())
    assert len(image.content) > 16 * 1024
    small_disk.fill(leave=8 * 1024)

    with pytest.raises(StorageFull) as full:
        uploads.store_image(image, folder="cases")

    assert (full.value.code, full.value.http_status) == ("storage_full", 507)
    assert small_disk.files() == []  # neither the content address nor a temporary name
    print(f"disk full ({small_disk.kind}): code {full.value.code}, partial files 0")

    small_disk.free()  # room again: the same photo is stored whole under its address
    name = uploads.store_image(image, folder="cases")
    assert small_disk.files() == [small_disk.root / name]
    assert hashlib.sha256((small_disk.root / name).read_bytes()).hexdigest() == image.sha256


def test_read_only_storage_raises_storage_unavailable(small_disk):
    image = uploads.clean_image(noisy_jpeg(2))
    small_disk.read_only()

    with pytest.raises(StorageUnavailable) as refused:
        uploads.store_image(image, folder="cases")

    assert (refused.value.code, refused.value.http_status) == ("storage_unavailable", 503)
    assert small_disk.files() == []


def test_the_api_answers_507_json_and_keeps_no_upload(small_disk, street_a_user):
    token = tokens.token_issue(user=street_a_user, label="test")
    small_disk.fill(leave=8 * 1024)
    photo = SimpleUploadedFile("photo.jpg", noisy_jpeg(3), content_type="image/jpeg")

    with translation.override("zh-hans"):
        r = Client().post(
            API + "/uploads", {"file": photo}, headers={"Authorization": f"Bearer {token}"}
        )

    assert r.status_code == 507 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == "storage_full" and re.search(r"[\u4e00-\u9fff]", body["message"])
    assert Upload.objects.count() == 0 and small_disk.files() == []


def test_the_report_page_shows_the_chinese_message_and_reports_nothing(
    small_disk, client, cast, category, at_monday
):
    small_disk.read_only()
    photo = SimpleUploadedFile("photo.jpg", noisy_jpeg(4), content_type="image/jpeg")

    response = client.post(reverse("case-report"), report_data(category, photos=[photo]))

    assert response.status_code == 400
    assert "照片未能保存" in response.content.decode()
    assert Case.objects.count() == 0 and small_disk.files() == []
