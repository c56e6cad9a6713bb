"""Photos for case steps: cleaned (real type, size, pixels, no EXIF) and stored before the
workflow attaches them, so a bad file is refused before anything about the case changes.

Two ways in: a page posts the files with its form (:func:`store_photos`), the API uploads
first (``POST /api/v1/uploads``, :func:`upload_save`) and then names the uploads in the
report or action (:func:`photos_from_uploads`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.cases.models import Upload
from cityloop.cases.workflow import Photo
from cityloop.core import clock, uploads
from cityloop.core.errors import NotFound

FOLDER = "cases"


def store_photos(files: Sequence[tuple[str, bytes]]) -> list[Photo]:
    """Clean every file first (all or nothing), then store them content-addressed."""
    images = uploads.clean_images(list(files))
    return [
        Photo(
            file=uploads.store_image(img, folder=FOLDER),
            width=img.width,
            height=img.height,
            sha256=img.sha256,
            gps=img.gps,
        )
        for img in images
    ]


def upload_save(*, owner, filename: str, data: bytes) -> Upload:
    """Clean and store one photo for a later report or action of the same account."""
    (photo,) = store_photos([(filename, data)])
    return Upload.objects.create(
        owner=owner,
        file=photo.file,
        width=photo.width,
        height=photo.height,
        sha256=photo.sha256,
        gps=list(photo.gps) if photo.gps else None,
        created_at=clock.now(),
    )


def photos_from_uploads(owner, ids: Sequence[int]) -> list[Photo]:
    """The caller's own unused uploads, in the order given; marks them used."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return []
    with transaction.atomic():
        return _claim(owner, ids)


def _claim(owner, ids: list[int]) -> list[Photo]:
    rows = {
        u.pk: u
        for u in Upload.objects.select_for_update().filter(pk__in=ids, owner=owner, used=False)
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(
            "upload_not_found",
            _("Photo upload not found (or already used)."),
            {"ids": missing},
        )
    Upload.objects.filter(pk__in=ids).update(used=True)
    return [
        Photo(
            file=rows[i].file,
            width=rows[i].width,
            height=rows[i].height,
            sha256=rows[i].sha256,
            gps=tuple(rows[i].gps) if rows[i].gps else None,
        )
        for i in ids
    ]
