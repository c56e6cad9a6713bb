"""Safe intake of photos: residents and staff attach up to ``upload_max_photos`` per step.

A photo from the street is untrusted input twice over. It may not be a picture at all (a
script or a page renamed ``.jpg`` that a browser would run if we served it back), and when it
is one it usually carries the phone's EXIF: the exact place someone lives, the device, the
time. So every file goes through the same gate, and only what the gate produces is stored:

1. size first (cheap): empty and oversized files never reach a decoder;
2. the real type from the content (libmagic), never from the name or the browser's claim;
   only JPEG, PNG, WebP and GIF get through, and Pillow is told to try only that format;
3. the pixel count from the header, before any decoding, against ``upload_max_pixels``
   (a few kilobytes can claim gigabytes of pixels: a decompression bomb);
4. the whole picture is decoded, so a truncated or corrupt file is refused now rather than
   shown broken later;
5. GPS and the time taken are read from EXIF *before* it is thrown away, because a case
   needs the place (and the photo's own place is the best evidence of it);
6. the picture is turned upright (EXIF orientation), shrunk to ``MAX_SIDE`` and
   re-encoded from bare pixels into a new JPEG (or PNG when it has transparency). The new
   file carries no EXIF, XMP, comments or anything appended after the image data; only an
   ICC colour profile is kept when it still matches the pixels.

:func:`clean_images` checks a whole step's files before any is stored (all or nothing);
:func:`store_image` stores content-addressed, so the same photo sent twice is one file.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import math
import os
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import magic
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageFile, ImageOps

from cityloop.core import clock
from cityloop.core.config import get_config
from cityloop.core.errors import InvalidInput, StorageFull, StorageUnavailable

log = logging.getLogger(__name__)

# Detected MIME type -> the one Pillow plugin allowed to read it. HEIC/AVIF, SVG, TIFF, BMP
# and the rest are refused: phones convert HEIC to JPEG when a web page asks for a photo.
ALLOWED_TYPES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}
MAX_SIDE = 4096  # a long side beyond this adds bytes, not evidence
# A JPEG above the pixel limit is decoded at 1/2, 1/4 or 1/8 of its size (DCT scaling), never
# whole: a 50-megapixel phone photo costs what a 12-megapixel one does.
JPEG_MAX_SHRINK = 8
JPEG_QUALITY = 85

# What Pillow raises on files it cannot read: truncated data, broken headers, bad chunk
# lengths. Its plugins do not share one exception class, so the list is long on purpose.
_PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)

_GPS = ExifTags.GPS
_DATETIME_ORIGINAL = ExifTags.Base.DateTimeOriginal
_OFFSET_TIME_ORIGINAL = ExifTags.Base.OffsetTimeOriginal


@dataclass(frozen=True)
class CleanImage:
    """A photo that passed the gate, re-encoded; the only form in which a photo is stored."""

    content: bytes = field(repr=False)  # re-encoded JPEG or PNG, no metadata
    mime: str  # "image/jpeg" or "image/png"
    ext: str  # "jpg" or "png"
    width: int
    height: int
    sha256: str  # of ``content``: the storage name, and the key for spotting re-sent photos
    gps: tuple[float, float] | None = None  # (lng, lat), WGS-84, from EXIF before stripping
    taken_at: datetime | None = None  # EXIF DateTimeOriginal, aware UTC


def clean_image(data: bytes, *, filename: str = "") -> CleanImage:
    """Check one uploaded file and return it re-encoded without metadata.

    ``filename`` only goes into error details: a name proves nothing about the content.
    Raises :class:`InvalidInput` with code ``upload_empty``, ``upload_too_large``,
    ``upload_not_image``, ``upload_too_many_pixels`` or ``upload_unreadable``.
    """
    cfg = get_config()
    where = {"filename": filename} if filename else {}
    if not data:
        raise InvalidInput("upload_empty", _("The file is empty."), where)
    if len(data) > cfg.upload_max_bytes:
        raise InvalidInput(
            "upload_too_large",
            _("The file is larger than %(mb)s MB.") % {"mb": _megabytes(cfg.upload_max_bytes)},
            {**where, "size": len(data), "limit": cfg.upload_max_bytes},
        )
    mime = magic.from_buffer(data, mime=True)
    fmt = ALLOWED_TYPES.get(mime)
    if fmt is None:
        raise InvalidInput(
            "upload_not_image",
            _("The file is not a picture (its content is %(mime)s).") % {"mime": mime},
            {**where, "mime": mime, "allowed": sorted(ALLOWED_TYPES)},
        )

    limit = cfg.upload_max_pixels
    # Pillow's own guard (process-wide): it refuses at twice this while opening, so a header
    # claiming billions of pixels fails before any allocation; below that the size is checked
    # here. JPEGs may claim up to JPEG_MAX_SHRINK² times the limit, as they are decoded shrunk.
    Image.MAX_IMAGE_PIXELS = pillow_guard(limit)
    # A truncated upload must fail to decode. WeasyPrint, imported for PDFs in the same
    # process, switches Pillow's process-wide tolerance of truncated files on; turn it off
    # again each time rather than trust whoever imported last.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    size: tuple[int, int] | None = None
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            size = img.size
            if size[0] * size[1] > limit and not _draft_within(img, limit):
                raise _too_many_pixels(*size, limit, where)
            # Decode before anything else touches the file: a truncated or corrupt file fails
            # here. (Reading PNG EXIF would load it too, and a failed load is not retried.)
            img.load()
            gps, taken_at = _metadata(img)
            icc = img.info.get("icc_profile")
            picture = _upright_and_small(img)
    except Image.DecompressionBombError:
        raise _too_many_pixels(*(size or _claimed_size(data, fmt)), limit, where) from None
    except _PILLOW_ERRORS as exc:
        raise InvalidInput(
            "upload_unreadable",
            _("The picture is damaged or incomplete and cannot be read."),
            {**where, "mime": mime, "reason": str(exc)[:200]},
        ) from exc

    content, out_mime, ext = _encode(picture, icc)
    return CleanImage(
        content=content,
        mime=out_mime,
        ext=ext,
        width=picture.width,
        height=picture.height,
        sha256=hashlib.sha256(content).hexdigest(),
        gps=gps,
        taken_at=taken_at,
    )


def clean_images(files: list[tuple[str, bytes]]) -> list[CleanImage]:
    """Check every ``(filename, data)`` of one step; return all cleaned, or raise.

    Nothing is returned until every file has passed, so a step never keeps half its photos.
    The error is the first bad file's, its message prefixed with which photo it was; its
    ``detail`` has ``index`` (0-based) and ``filename``, and ``failed`` lists every bad file
    so a form can mark them all at once.
    """
    limit = get_config().upload_max_photos
    if len(files) > limit:
        raise InvalidInput(
            "upload_too_many",
            _("At most %(limit)d photos per step.") % {"limit": limit},
            {"limit": limit, "given": len(files)},
        )
    cleaned: list[CleanImage] = []
    failed: list[tuple[int, str, InvalidInput]] = []
    for index, (filename, data) in enumerate(files):
        try:
            cleaned.append(clean_image(data, filename=filename))
        except InvalidInput as exc:
            failed.append((index, filename, exc))
    if failed:
        index, filename, first = failed[0]
        if filename:
            message = _("Photo %(number)d (%(name)s): %(reason)s") % {
                "number": index + 1,
                "name": filename,
                "reason": first.message,
            }
        else:
            message = _("Photo %(number)d: %(reason)s") % {
                "number": index + 1,
                "reason": first.message,
            }
        raise InvalidInput(
            first.code,
            message,
            {
                **first.detail,
                "index": index,
                "filename": filename,
                "failed": [
                    {"index": i, "filename": name, "code": exc.code} for i, name, exc in failed
                ],
            },
        )
    return cleaned


def store_image(image: CleanImage, *, folder: str) -> str:
    """Save a cleaned photo and return its storage name (relative to the media root).

    The name is ``<folder>/<yyyy>/<mm>/<sha256[:2]>/<sha256>.<ext>``: content-addressed, so
    the same photo attached twice in a month is written once; the month keeps directories
    small and makes a month's photos easy to back up or archive; the two-letter level keeps
    any one directory from holding thousands of files.

    Because later uploads of the same photo reuse the name, what sits under it must be the
    whole photo: the bytes go to a temporary name in the same directory, are read back and
    checked against ``image.sha256``, and only then renamed onto the name (a rename within
    one directory is atomic). A file already under the name is trusted only when its sha256
    matches; one that does not (a truncation left by an older version or a crash) is
    rewritten. A full disk raises :class:`StorageFull` (``storage_full``), a read-only or
    failing one :class:`StorageUnavailable` (``storage_unavailable``), and no partial file
    is left behind.
    """
    parts = folder.strip("/").split("/")
    if not folder.strip("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"bad upload folder: {folder!r}")
    local = clock.now().astimezone(clock.local_zone())
    name = "/".join(
        [*parts, f"{local:%Y}", f"{local:%m}", image.sha256[:2], f"{image.sha256}.{image.ext}"]
    )
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:  # a remote storage (S3): one PUT is already all or nothing
        return _store_remote(image, name)
    try:
        stored = _stored_sha256(path)
        if stored == image.sha256:
            return name
        if stored is not None:
            log.warning("rewriting %s: its content does not match its sha256", name)
        _write_verified(path, image)
    except OSError as exc:
        raise _storage_error(exc, name) from exc
    return name


# errno values meaning "no room": the disk, or the account's quota on it.
_FULL = {errno.ENOSPC, errno.EDQUOT}


def _stored_sha256(path: Path) -> str | None:
    """The sha256 of what is stored at ``path``, or None when nothing is."""
    try:
        return _sha256_of(path)
    except FileNotFoundError:
        return None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_verified(path: Path, image: CleanImage) -> None:
    """Temporary file in the same directory → fsync → read back and check → atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(image.content)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on the disk before the name points at them
        if _sha256_of(temp) != image.sha256:
            raise OSError(errno.EIO, "the stored bytes differ from the photo", str(temp))
        mode = default_storage.file_permissions_mode
        os.chmod(temp, 0o644 if mode is None else mode)  # mkstemp makes it 0600
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _store_remote(image: CleanImage, name: str) -> str:
    try:
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                if hashlib.sha256(handle.read()).hexdigest() == image.sha256:
                    return name
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(image.content))
    except OSError as exc:
        raise _storage_error(exc, name) from exc
    if saved != name:  # another request stored the same bytes meanwhile: keep theirs
        default_storage.delete(saved)
    return name


def _storage_error(exc: OSError, name: str) -> StorageFull | StorageUnavailable:
    log.error("could not store upload %s: %s", name, exc)
    detail = {"errno": errno.errorcode.get(exc.errno or 0, "")}
    if exc.errno in _FULL:
        return StorageFull(
            "storage_full",
            _("The photo could not be saved: the server's storage is full. Try again later."),
            detail,
        )
    return StorageUnavailable(
        "storage_unavailable",
        _("The photo could not be saved: the server's storage is unavailable. Try again later."),
        detail,
    )


def gps_from_exif(img: Image.Image | Image.Exif) -> tuple[float, float] | None:
    """``(lng, lat)`` in WGS-84 decimal degrees from an image's EXIF GPS block, or ``None``.

    Phones write degrees, minutes and seconds as rationals with an N/S and E/W letter; south
    and west are negative. Anything missing, malformed or out of range gives ``None`` rather
    than an error: a photo without a usable position is still a good photo. (0, 0) is read
    as "no fix", which some cameras write instead of leaving the block out.
    """
    try:
        exif = img if isinstance(img, Image.Exif) else img.getexif()
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        if not gps:
            return None
        lat = _degrees(gps.get(_GPS.GPSLatitude), gps.get(_GPS.GPSLatitudeRef), "N", "S")
        lng = _degrees(gps.get(_GPS.GPSLongitude), gps.get(_GPS.GPSLongitudeRef), "E", "W")
    except (*_PILLOW_ERRORS, ArithmeticError):
        return None
    if lat is None or lng is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None
    return (round(lng, 7), round(lat, 7))


# --- the steps --------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def pillow_guard(limit: int) -> int:
    """Pillow's process-wide ``MAX_IMAGE_PIXELS`` for a pixel limit (see :func:`clean_image`)."""
    return limit * JPEG_MAX_SHRINK * JPEG_MAX_SHRINK


def _draft_within(img: Image.Image, limit: int) -> bool:
    """Decode a large JPEG shrunk (1/2, 1/4 or 1/8 in its DCT, which costs a fraction of a full
    decode) so that at most ``limit`` pixels are decoded; False when even 1/8 is too many or
    the format cannot be decoded shrunk (PNG, WebP, GIF must be decoded whole, so refused)."""
    if img.format != "JPEG":
        return False
    width, height = img.size
    for scale in (2, 4, JPEG_MAX_SHRINK):
        wanted = (math.ceil(width / scale), math.ceil(height / scale))
        if wanted[0] * wanted[1] <= limit:
            img.draft(img.mode, wanted)
            return img.size[0] * img.size[1] <= limit
    return False


def _too_many_pixels(width: int, height: int, limit: int, where: dict) -> InvalidInput:
    return InvalidInput(
        "upload_too_many_pixels",
        _("The picture is too big: %(width)d × %(height)d pixels, at most %(limit)d in all.")
        % {"width": width, "height": height, "limit": limit},
        {**where, "width": width, "height": height, "limit": limit},
    )


def _claimed_size(data: bytes, fmt: str) -> tuple[int, int]:
    """The size a header claims, for the message when Pillow refused to open it at all."""
    if fmt == "PNG" and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return (0, 0)


def _metadata(img: Image.Image) -> tuple[tuple[float, float] | None, datetime | None]:
    """GPS and time taken, read from the original before they are thrown away.

    A broken EXIF block loses these two fields, not the photo.
    """
    try:
        exif = img.getexif()
    except (*_PILLOW_ERRORS, ArithmeticError):
        return None, None
    return gps_from_exif(exif), _taken_at(exif)


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal as an aware UTC time.

    With OffsetTimeOriginal (most phones since 2018) the offset is exact; without it the
    camera's clock is taken to be on the deployment's local time, which is where city photos
    are taken. Zeros, blanks and nonsense give ``None``.
    """
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        raw = _text(sub.get(_DATETIME_ORIGINAL))
        if not raw:
            return None
        taken = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
        offset = _text(sub.get(_OFFSET_TIME_ORIGINAL))
        if offset:
            zone = datetime.strptime(offset.replace(" ", ""), "%z").tzinfo
            taken = taken.replace(tzinfo=zone)
        else:
            taken = taken.replace(tzinfo=clock.local_zone())
    except (*_PILLOW_ERRORS, ArithmeticError):
        return None
    return taken.astimezone(UTC)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ").strip() if isinstance(value, str) else ""


def _number(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # an old-style (numerator, denominator)
        value = Fraction(int(value[0]), int(value[1]))
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _degrees(value: Any, ref: Any, positive: str, negative: str) -> float | None:
    """``(deg, min, sec)`` (or fewer parts) and a hemisphere letter -> signed degrees."""
    if value is None:
        return None
    parts = value if isinstance(value, tuple | list) and not _is_pair(value) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    degrees = sum(abs(_number(p)) / 60**i for i, p in enumerate(parts))
    letter = _text(ref).upper()[:1]
    if letter not in ("", positive, negative):
        return None
    return -degrees if letter == negative else degrees


def _is_pair(value: Any) -> bool:
    """An old-style rational ``(num, den)`` rather than a list of parts."""
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value)


def _upright_and_small(img: Image.Image) -> Image.Image:
    """The first frame, turned as the camera meant it, long side at most ``MAX_SIDE``."""
    picture = ImageOps.exif_transpose(img)  # a new image; GIF/WebP: the first frame only
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # only ever shrinks
    return picture


def _encode(picture: Image.Image, icc: Any) -> tuple[bytes, str, str]:
    """Re-encode from bare pixels: JPEG for photos, PNG when transparency must survive.

    The pixels are copied into a brand-new image first, so nothing in the original's
    ``info`` (EXIF, XMP, comments, text chunks) can ride along, whatever a Pillow version
    decides to carry over when saving.
    """
    if picture.has_transparency_data:
        mode, fmt, mime, ext = "RGBA", "PNG", "image/png", "png"
    else:
        mode = "L" if picture.mode == "L" else "RGB"
        fmt, mime, ext = "JPEG", "image/jpeg", "jpg"
    pixels = picture if picture.mode == mode else picture.convert(mode)
    bare = Image.new(mode, pixels.size)
    bare.paste(pixels)
    options: dict[str, Any] = {}
    if _icc_fits(icc, source_mode=picture.mode, mode=mode):
        options["icc_profile"] = icc
    if fmt == "JPEG":
        options["quality"] = JPEG_QUALITY
    out = io.BytesIO()
    bare.save(out, fmt, **options)
    return out.getvalue(), mime, ext


def _icc_fits(icc: Any, *, source_mode: str, mode: str) -> bool:
    """Keep a colour profile only while it still describes the pixels.

    A wide-gamut phone photo looks washed out without its profile, so it is worth keeping;
    but a CMYK profile on pixels converted to RGB, or a grey one on RGB, would be wrong.
    """
    if not isinstance(icc, bytes) or len(icc) < 20 or len(icc) > 1024 * 1024:
        return False
    space = icc[16:20]
    if space == b"RGB ":
        return mode in ("RGB", "RGBA") and source_mode in ("RGB", "RGBA", "RGBX", "P", "PA")
    if space == b"GRAY":
        return mode == "L" and source_mode == "L"
    return False
