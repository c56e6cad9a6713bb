"""Photos for any loop's steps: cleaned (real type, size, pixels, no EXIF) and stored before
the workflow attaches them, so a bad file is refused before anything about the record changes.

Two ways in: a page posts the files with its form (:func:`store_photos`); the API uploads first
(``POST /api/v1/uploads``, :func:`upload_save`) and then names the uploads in the step's
``photo_ids``. The workflow claims those (:func:`photos_from_uploads`) inside its own
transaction, after its checks: a refused step rolls the claim back with everything else, and
the same ids work in the next, valid call.

The one home of photo storage: cases, supervision, projects, campaigns and patrols all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.core import clock, uploads
from cityloop.core.errors import NotFound
from cityloop.core.models import Upload

# Where photos are stored (under the media root); the name it had when only cases took photos.
FOLDER = "cases"


@dataclass(frozen=True)
class Photo:
    """A photo already cleaned and stored."""

    file: str
    width: int
    height: int
    sha256: str
    gps: tuple[float, float] | None = None


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
    """The caller's own unused uploads, in the order given; marks them used.

    Call it inside the step's transaction (a workflow does, after its checks): when the step
    is refused the marks roll back with it. ``NotFound("upload_not_found")`` names the ids
    that are not the caller's, or already used.
    """
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return []
    with transaction.atomic():
        return _claim(owner, ids)


def files_from_uploads(owner, ids: Sequence[int]) -> list[str]:
    """:func:`photos_from_uploads`, the stored names only (what most steps keep)."""
    return [p.file for p in photos_from_uploads(owner, ids)]


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


# --- the page side: the file field of a step's form ----------------------------------------


class PhotoInput(forms.FileInput):
    """``<input type=file accept="image/*" multiple capture>``: the phone offers its camera."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None):
        base = {"accept": "image/*", "multiple": True, "capture": "environment"}
        super().__init__({**base, **(attrs or {})})


class PhotoField(forms.FileField):
    """Up to ``upload_max_photos`` files; the real check (type by content, size, pixels) is
    :func:`cityloop.core.photos.store_photos`, this only refuses what is plainly too much."""

    widget = PhotoInput

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        cfg = settings.CITYLOOP
        if self.required and not files:
            raise forms.ValidationError(_("This field is required."), code="required")
        if len(files) > cfg.upload_max_photos:
            raise forms.ValidationError(
                _("At most %(limit)d photos per step.") % {"limit": cfg.upload_max_photos},
                code="too_many",
            )
        for f in files:
            if f.size > cfg.upload_max_bytes:
                raise forms.ValidationError(
                    _("The file is larger than %(mb)s MB.")
                    % {"mb": f"{cfg.upload_max_bytes / (1024 * 1024):g}"},
                    code="too_big",
                )
        return files


def read_files(files: list) -> list[tuple[str, bytes]]:
    """``(filename, bytes)`` pairs for :func:`cityloop.core.photos.store_photos`."""
    return [(f.name or "", f.read()) for f in files]
