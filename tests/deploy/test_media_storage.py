"""Media every node sees (issue 19.1): the data directory by default, an S3 bucket as the option.

No S3 server runs here (the issue says settings only): the tests build the real
django-storages backend from the settings, run the upload code against Django's own
in-memory storage with its local path taken away (as S3 has none), and let ``check --deploy``
find a bucket that does not answer.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from PIL import Image

from cityloop.core import uploads
from cityloop.core.config import CityloopConfig
from cityloop.settings import media_storage
from tests.deploy.test_check_deploy import _deployment, _problems
from tests.deploy.test_healthz import _closed_port

S3 = {
    "media_storage": "s3",
    "s3_bucket": "cityloop-media",
    "s3_endpoint_url": "http://127.0.0.1:9000",
    "s3_region": "cn-north-1",
    "s3_access_key_id": "cityloop",
    "s3_secret_access_key": "not-a-real-secret",
}


class PathlessStorage(Storage):
    """A storage that keeps objects by key and offers no local path, as S3 does.

    Class-level objects: the settings fixture makes a new instance after each change, and
    the test reads what the upload code wrote through whichever instance it used.
    """

    objects: dict[str, bytes] = {}

    def _open(self, name: str, mode: str = "rb") -> ContentFile:
        return ContentFile(self.objects[name], name=name)

    def _save(self, name: str, content) -> str:
        self.objects[name] = content.read()
        return name

    def exists(self, name: str) -> bool:
        return name in self.objects

    def delete(self, name: str) -> None:
        self.objects.pop(name, None)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.rstrip("/") + "/"
        return [], sorted(k[len(prefix) :] for k in self.objects if k.startswith(prefix))


PATHLESS = {"BACKEND": f"{__name__}.PathlessStorage"}


def _photo(color: str = "red") -> uploads.CleanImage:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    return uploads.clean_image(buffer.getvalue(), filename="p.jpg")


def test_the_default_is_the_data_directory() -> None:
    assert media_storage(CityloopConfig()) == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }


def test_s3_settings_build_a_private_bucket_storage(settings) -> None:
    from storages.backends.s3 import S3Storage

    settings.STORAGES = {**settings.STORAGES, "default": media_storage(CityloopConfig(**S3))}
    storage = storages["default"]
    assert isinstance(storage, S3Storage)
    assert (storage.bucket_name, storage.endpoint_url, storage.region_name) == (
        "cityloop-media",
        "http://127.0.0.1:9000",
        "cn-north-1",
    )
    assert (storage.location, storage.default_acl, storage.querystring_auth) == (
        "media",
        None,
        True,
    )
    # No local path: uploads take the remote route (one PUT is all or nothing).
    with pytest.raises(NotImplementedError):
        storage.path("cases/x.jpg")
    assert storage.client_config.connect_timeout == 3


def test_a_storage_without_paths_stores_a_photo_once_under_its_content_address(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": PATHLESS,
    }
    PathlessStorage.objects.clear()
    photo = _photo()
    name = uploads.store_image(photo, folder="cases")
    assert isinstance(storages["default"], PathlessStorage)
    assert name.startswith("cases/") and name.endswith(f"{photo.sha256}.{photo.ext}")
    assert uploads.store_image(photo, folder="cases") == name  # the same bytes: the same name
    listed = storages["default"].listdir(name.rsplit("/", 1)[0])[1]
    assert listed == [name.rsplit("/", 1)[1]]
    with storages["default"].open(name, "rb") as handle:
        assert handle.read() == photo.content


def test_a_wrong_object_under_the_name_is_replaced(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": PATHLESS,
    }
    PathlessStorage.objects.clear()
    photo = _photo("blue")
    name = uploads.store_image(photo, folder="cases")
    storage = storages["default"]
    storage.delete(name)
    storage.save(name, io.BytesIO(b"truncated"))
    assert uploads.store_image(photo, folder="cases") == name
    with storage.open(name, "rb") as handle:
        assert handle.read() == photo.content


@pytest.mark.django_db
def test_check_deploy_wants_a_bucket(settings) -> None:
    _deployment(settings, **{**S3, "s3_bucket": ""})
    assert _problems() == {"cityloop.E006"}


@pytest.mark.django_db
def test_check_deploy_finds_a_bucket_that_does_not_answer(settings) -> None:
    config = {**S3, "s3_endpoint_url": f"http://127.0.0.1:{_closed_port()}"}
    _deployment(settings, **config)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage(CityloopConfig(**config)),
    }
    assert _problems() == {"cityloop.E007"}
