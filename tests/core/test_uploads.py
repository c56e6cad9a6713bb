"""The photo gate: real type by content, size and pixel limits, GPS read then every trace of
metadata gone, pictures upright and re-encoded, content-addressed storage."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import struct
import zlib
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from cityloop.core import clock, uploads
from cityloop.core.config import get_config
from cityloop.core.errors import InvalidInput, StorageFull, StorageUnavailable

GPS = ExifTags.GPS
ZHENGZHOU = (113.26, 34.7833333)  # (lng, lat) of 34°47'0"N 113°15'36"E


@pytest.fixture(autouse=True)
def _pillow_limit():
    """clean_image sets Pillow's process-wide pixel guard; give the next test the original."""
    before = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = before


@pytest.fixture
def cfg(monkeypatch):
    """The live config, with monkeypatch undoing any limit a test lowers."""
    config = get_config()

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setattr(config, name, value)
        return config

    return set_


def gps_exif(
    lat=(34, 47, 0), lat_ref="N", lng=(113, 15, 36), lng_ref="E", *, orientation=None
) -> Image.Exif:
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            GPS.GPSLatitudeRef: lat_ref,
            GPS.GPSLatitude: tuple(Fraction(v) for v in lat),
            GPS.GPSLongitudeRef: lng_ref,
            GPS.GPSLongitude: tuple(Fraction(v) for v in lng),
        }
    )
    exif[ExifTags.Base.Model] = "TestPhone 12"  # a device name is personal data too
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    return exif


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def jpeg(size=(40, 20), color="red", **options) -> bytes:
    return encode(Image.new("RGB", size, color), "JPEG", **options)


def noisy_jpeg(size=(200, 200)) -> bytes:
    """Enough scan data that cutting the file leaves a real hole in the picture."""
    return encode(Image.effect_noise(size, 64).convert("RGB"), "JPEG", quality=95)


def reopen(image: uploads.CleanImage) -> Image.Image:
    img = Image.open(io.BytesIO(image.content))
    img.load()
    return img


def assert_no_metadata(image: uploads.CleanImage) -> None:
    img = reopen(image)
    assert len(img.getexif()) == 0
    assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "comment", "XML:com.adobe.xmp", "Comment"} & set(img.info)
    assert b"Exif\x00\x00" not in image.content
    assert b"xmpmeta" not in image.content
    assert b"TestPhone" not in image.content


def code_of(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        call(*args, **kwargs)
    return err.value


# --- GPS, time taken, and stripping -----------------------------------------------------------


def test_gps_is_read_then_every_trace_of_metadata_is_gone():
    exif = gps_exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:03:01 09:30:00"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    data = jpeg(exif=exif, xmp=b"<x:xmpmeta>secret place</x:xmpmeta>", comment=b"my home")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it was there

    image = uploads.clean_image(data, filename="IMG_0001.jpg")

    assert image.gps == pytest.approx(ZHENGZHOU, abs=1e-6)
    assert image.taken_at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert (image.mime, image.ext, image.width, image.height) == ("image/jpeg", "jpg", 40, 20)
    assert_no_metadata(image)
    assert b"my home" not in image.content and b"secret place" not in image.content
    assert image.sha256 == hashlib.sha256(image.content).hexdigest()
    assert "content" not in repr(image)  # megabytes of bytes stay out of logs


def test_png_exif_and_text_chunks_are_stripped_too():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "my home address")
    rgba = Image.new("RGBA", (30, 30), (0, 128, 0, 100))
    data = encode(rgba, "PNG", exif=gps_exif(), pnginfo=info)

    image = uploads.clean_image(data)

    assert image.gps == pytest.approx(ZHENGZHOU, abs=1e-6)
    assert image.mime == "image/png"
    assert_no_metadata(image)
    assert b"my home address" not in image.content


def test_time_taken_without_an_offset_is_local_time():
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:03:01 09:30:00"
    image = uploads.clean_image(jpeg(exif=exif))
    expected = datetime(2026, 3, 1, 9, 30, tzinfo=clock.local_zone())
    assert image.taken_at == expected and image.taken_at.tzinfo is UTC
    assert image.gps is None


def test_a_nonsense_time_taken_is_dropped_not_refused():
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "0000:00:00 00:00:00"
    image = uploads.clean_image(jpeg(exif=exif))
    assert image.taken_at is None and image.width == 40


@pytest.mark.parametrize(
    ("exif", "expected"),
    [
        (gps_exif(), ZHENGZHOU),
        (gps_exif(lat_ref="S", lng_ref="W"), (-113.26, -34.7833333)),
        (gps_exif(lat=(22.5, 0, 0), lng=(114.1, 0, 0)), (114.1, 22.5)),  # decimal degrees
        (gps_exif(lat=(0, 0, 0), lng=(0, 0, 0)), None),  # "no fix"
        (gps_exif(lat=(95, 0, 0)), None),  # off the globe
        (gps_exif(lat_ref="X"), None),  # not a hemisphere
        (Image.Exif(), None),  # no GPS block at all
    ],
)
def test_gps_from_exif(exif, expected):
    got = uploads.gps_from_exif(exif)
    assert got == (pytest.approx(expected, abs=1e-6) if expected else None)


def test_gps_from_exif_takes_old_style_rational_pairs_and_bytes_refs():
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            GPS.GPSLatitudeRef: b"N\x00",
            GPS.GPSLatitude: ((34, 1), (47, 1), (0, 1)),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: ((113, 1), (15, 1), (3600, 100)),
        }
    )
    assert uploads.gps_from_exif(exif) == pytest.approx(ZHENGZHOU, abs=1e-6)


def test_gps_from_exif_with_a_zero_denominator_is_none():
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {GPS.GPSLatitude: ((34, 0), (0, 1), (0, 1)), GPS.GPSLongitude: ((113, 1),)}
    )
    assert uploads.gps_from_exif(exif) is None


# --- what is refused --------------------------------------------------------------------------


def test_a_script_named_photo_jpg_is_refused_by_its_content():
    err = code_of(uploads.clean_image, b"#!/bin/sh\nrm -rf /\n", filename="photo.jpg")
    assert err.code == "upload_not_image"
    assert err.detail["mime"] == "text/x-shellscript"
    assert "text/x-shellscript" in str(err.message)
    assert err.detail["filename"] == "photo.jpg"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "text/html"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "application/pdf"),
    ],
)
def test_pages_vector_images_and_unsupported_formats_are_refused(data, mime):
    err = code_of(uploads.clean_image, data, filename="photo.jpg")
    assert (err.code, err.detail["mime"]) == ("upload_not_image", mime)


def test_an_empty_file_is_refused():
    err = code_of(uploads.clean_image, b"", filename="a.jpg")
    assert (err.code, err.detail) == ("upload_empty", {"filename": "a.jpg"})


def test_a_file_over_the_byte_limit_is_refused_and_one_at_the_limit_passes(cfg):
    data = jpeg()
    cfg(upload_max_bytes=len(data))
    assert uploads.clean_image(data).width == 40
    cfg(upload_max_bytes=len(data) - 1)
    err = code_of(uploads.clean_image, data)
    assert err.code == "upload_too_large"
    assert err.detail["size"] == len(data) and err.detail["limit"] == len(data) - 1


def png_with_a_broken_idat() -> bytes:
    data = bytearray(encode(Image.linear_gradient("L"), "PNG"))
    data[data.find(b"IDAT") + 4] ^= 0xFF  # the zlib header of the pixel stream
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(noisy_jpeg()[: len(noisy_jpeg()) * 6 // 10], id="truncated"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x13\x37" * 200, id="garbage-after-header"),
        pytest.param(png_with_a_broken_idat(), id="broken-png"),
    ],
)
def test_damaged_pictures_are_unreadable(data):
    err = code_of(uploads.clean_image, data)
    assert err.code == "upload_unreadable"


def test_a_truncated_picture_stays_refused_after_weasyprint_is_imported():
    """WeasyPrint (PDFs) turns on Pillow's process-wide tolerance of truncated files."""
    import weasyprint.images  # noqa: F401
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as WeasyPrint leaves it
    data = noisy_jpeg()[: len(noisy_jpeg()) * 6 // 10]
    assert code_of(uploads.clean_image, data).code == "upload_unreadable"


def png_claiming(width: int, height: int) -> bytes:
    """A real 1×1 PNG whose header is patched (CRC and all) to claim another size."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_a_decompression_bomb_is_refused_from_its_header():
    err = code_of(uploads.clean_image, png_claiming(100_000, 100_000))
    assert err.code == "upload_too_many_pixels"
    assert (err.detail["width"], err.detail["height"]) == (100_000, 100_000)
    assert Image.MAX_IMAGE_PIXELS == uploads.pillow_guard(get_config().upload_max_pixels)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_pixel_limit_comes_from_the_config(cfg):
    png = encode(Image.new("RGB", (40, 20), "red"), "PNG")  # a PNG is never decoded shrunk
    cfg(upload_max_pixels=800)
    assert uploads.clean_image(png).width == 40  # exactly at the limit
    cfg(upload_max_pixels=799)  # below Pillow's own error (2x): our check must catch it
    err = code_of(uploads.clean_image, png)
    assert err.code == "upload_too_many_pixels"
    assert err.detail == {"width": 40, "height": 20, "limit": 799}


# --- what comes out ---------------------------------------------------------------------------


def test_the_orientation_tag_is_applied():
    img = Image.new("RGB", (40, 20), "red")
    img.paste((0, 0, 255), (20, 0, 40, 20))  # left half red, right half blue
    data = encode(img, "JPEG", exif=gps_exif(orientation=6))  # 6: turn 90° clockwise

    image = uploads.clean_image(data)

    assert (image.width, image.height) == (20, 40)
    out = reopen(image).convert("RGB")
    top, bottom = out.getpixel((10, 5)), out.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60  # the left edge is now the top
    assert bottom[2] > 200 and bottom[0] < 60
    assert_no_metadata(image)  # the orientation tag is gone with the rest


def test_a_png_with_transparency_stays_png():
    img = Image.new("RGBA", (30, 20), (255, 0, 0, 255))
    img.putpixel((0, 0), (0, 0, 0, 0))
    image = uploads.clean_image(encode(img, "PNG"), filename="sign.png")
    out = reopen(image)
    assert (image.mime, image.ext, out.format, out.mode) == ("image/png", "png", "PNG", "RGBA")
    assert out.getpixel((0, 0))[3] == 0 and out.getpixel((5, 5)) == (255, 0, 0, 255)


def test_an_opaque_png_becomes_a_jpeg():
    image = uploads.clean_image(encode(Image.new("RGB", (30, 20), "green"), "PNG"))
    assert (image.mime, image.ext, reopen(image).format) == ("image/jpeg", "jpg", "JPEG")


def test_webp_is_accepted_and_re_encoded():
    image = uploads.clean_image(encode(Image.new("RGB", (30, 20), "blue"), "WEBP"))
    assert (image.mime, reopen(image).format, image.width) == ("image/jpeg", "JPEG", 30)


def test_an_animated_gif_gives_its_first_frame():
    frames = [Image.new("P", (30, 20), 0), Image.new("P", (30, 20), 1)]
    for frame in frames:
        frame.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)

    image = uploads.clean_image(data)

    r, _, b = reopen(image).convert("RGB").getpixel((15, 10))
    assert image.mime == "image/jpeg" and r > 200 and b < 60  # red, not the blue second frame


@pytest.mark.parametrize(("size", "expected"), [((5000, 50), (4096, 41)), ((50, 5000), (41, 4096))])
def test_a_long_side_over_4096_is_shrunk_keeping_the_shape(size, expected):
    image = uploads.clean_image(jpeg(size))
    assert (image.width, image.height) == expected
    assert reopen(image).size == expected


def test_a_small_picture_keeps_its_size_and_grey_stays_grey():
    image = uploads.clean_image(encode(Image.new("L", (64, 48), 128), "PNG"))
    out = reopen(image)
    assert (out.size, out.mode, image.mime) == ((64, 48), "L", "image/jpeg")


def test_a_colour_profile_is_kept_only_while_it_matches_the_pixels():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    kept = uploads.clean_image(jpeg(icc_profile=srgb))
    assert reopen(kept).info.get("icc_profile") == srgb
    cmyk = encode(Image.new("CMYK", (30, 20), (0, 255, 255, 0)), "JPEG", icc_profile=srgb)
    converted = uploads.clean_image(cmyk)  # CMYK pixels become RGB: the old profile is wrong
    assert reopen(converted).mode == "RGB" and "icc_profile" not in reopen(converted).info


# --- a step's files ---------------------------------------------------------------------------


def test_a_step_takes_up_to_the_limit(cfg):
    cfg(upload_max_photos=3)
    images = uploads.clean_images([(f"{i}.jpg", jpeg(color=(i * 50, 0, 0))) for i in range(3)])
    assert [i.width for i in images] == [40, 40, 40]
    assert len({i.sha256 for i in images}) == 3


def test_more_files_than_the_limit_are_refused_before_any_is_decoded():
    limit = get_config().upload_max_photos
    err = code_of(uploads.clean_images, [("x.jpg", b"")] * (limit + 1))
    assert err.code == "upload_too_many"  # not upload_empty: counted first
    assert err.detail == {"limit": limit, "given": limit + 1}


def test_one_bad_file_refuses_the_whole_step_and_names_it():
    files = [
        ("ok.jpg", jpeg()),
        ("evil.jpg", b"#!/bin/sh\necho pwned\n"),
        ("", b""),
    ]
    err = code_of(uploads.clean_images, files)
    assert err.code == "upload_not_image"
    assert (err.detail["index"], err.detail["filename"]) == (1, "evil.jpg")
    assert err.detail["failed"] == [
        {"index": 1, "filename": "evil.jpg", "code": "upload_not_image"},
        {"index": 2, "filename": "", "code": "upload_empty"},
    ]
    assert "evil.jpg" in str(err.message) and "text/x-shellscript" in str(err.message)


def test_no_files_is_no_photos():
    assert uploads.clean_images([]) == []


# --- storage ----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def files_under(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_storing_is_content_addressed_and_writes_once(media):
    image = uploads.clean_image(jpeg())
    with clock.frozen(datetime(2026, 3, 15, 12, 0, tzinfo=UTC)):
        first = uploads.store_image(image, folder="cases")
        second = uploads.store_image(image, folder="cases")

    assert first == second == f"cases/2026/03/{image.sha256[:2]}/{image.sha256}.jpg"
    assert files_under(media) == [media / first]
    assert (media / first).read_bytes() == image.content


def test_a_racing_second_writer_leaves_one_whole_file(media, monkeypatch):
    image = uploads.clean_image(encode(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), "PNG"))
    with clock.frozen(datetime(2026, 1, 31, 20, 0, tzinfo=UTC)):  # already February locally
        name = uploads.store_image(image, folder="cases/replies")
        real_stored = uploads._stored_sha256
        calls = []

        def missed_once(path):  # our check misses the other writer's file
            calls.append(path)
            return None if len(calls) == 1 else real_stored(path)

        monkeypatch.setattr(uploads, "_stored_sha256", missed_once)
        again = uploads.store_image(image, folder="cases/replies")

    assert again == name and name.startswith("cases/replies/2026/02/") and name.endswith(".png")
    assert calls  # the second writer really wrote (to a temporary name, renamed over theirs)
    assert files_under(media) == [media / name]
    assert (media / name).read_bytes() == image.content


def test_a_truncated_file_under_the_content_address_is_rewritten(media):
    """An older version (or a crash) left half a photo under its address; the next upload of
    the same photo must not reuse it."""
    image = uploads.clean_image(jpeg())
    with clock.frozen(datetime(2026, 3, 15, 12, 0, tzinfo=UTC)):
        name = uploads.store_image(image, folder="cases")
        (media / name).write_bytes(image.content[: len(image.content) // 2])
        again = uploads.store_image(image, folder="cases")

    assert again == name and files_under(media) == [media / name]
    assert (media / name).read_bytes() == image.content


@pytest.mark.parametrize(
    "number,code,status",
    [
        (errno.ENOSPC, "storage_full", 507),
        (errno.EDQUOT, "storage_full", 507),
        (errno.EROFS, "storage_unavailable", 503),
        (errno.EACCES, "storage_unavailable", 503),
        (errno.EIO, "storage_unavailable", 503),
    ],
)
def test_every_storage_failure_is_a_coded_error(media, monkeypatch, number, code, status):
    image = uploads.clean_image(jpeg())

    def fail(*args, **kwargs):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(uploads.os, "replace", fail)  # the last step: the file was complete
    with pytest.raises((StorageFull, StorageUnavailable)) as refused:
        uploads.store_image(image, folder="cases")

    assert (refused.value.code, refused.value.http_status) == (code, status)
    assert files_under(media) == []  # the temporary file went too


def test_a_write_that_lands_wrong_is_refused_and_removed(media, monkeypatch):
    """What reached the disk is read back: bytes that differ never get the photo's name."""
    image = uploads.clean_image(jpeg())
    real_sha = uploads._sha256_of
    monkeypatch.setattr(
        uploads, "_sha256_of", lambda path: "0" * 64 if path.suffix == ".part" else real_sha(path)
    )

    with pytest.raises(StorageUnavailable) as refused:
        uploads.store_image(image, folder="cases")

    assert (refused.value.code, refused.value.http_status) == ("storage_unavailable", 503)
    assert files_under(media) == []


@pytest.mark.parametrize("folder", ["", "/", "../etc", "cases/../../etc", "cases//x"])
def test_a_folder_outside_the_media_root_is_a_programming_error(media, folder):
    image = uploads.clean_image(jpeg())
    with pytest.raises(ValueError, match="bad upload folder"):
        uploads.store_image(image, folder=folder)
    assert not media.exists() or files_under(media) == []


# --- bounded decoding (issue 14, item 6) ------------------------------------------------------


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """A real 6300×6300 PNG (131 kB): decoding it whole took ~3 s on the demo server."""
    return encode(Image.new("RGB", (6300, 6300), (200, 100, 50)), "PNG")


def pixel_decodes(monkeypatch) -> list[tuple[int, int]]:
    """Record every time Pillow decodes an image's pixels (``Image.load``): "refused from the
    header" is then a fact the test reads, not a duration that depends on the machine."""
    decoded: list[tuple[int, int]] = []
    load = Image.Image.load

    def recording_load(self):
        decoded.append(self.size)
        return load(self)

    monkeypatch.setattr(Image.Image, "load", recording_load)
    return decoded


def test_a_huge_png_is_refused_from_its_header_without_decoding(huge_png, monkeypatch):
    decoded = pixel_decodes(monkeypatch)
    err = code_of(uploads.clean_image, huge_png)
    assert err.code == "upload_too_many_pixels"
    assert (err.detail["width"], err.detail["height"]) == (6300, 6300)
    assert err.detail["limit"] == get_config().upload_max_pixels == 4096 * 4096
    assert decoded == []  # a whole decode takes ~0.6–3 s; the header alone says it is too big
    uploads.clean_image(encode(Image.new("RGB", (10, 10), "red"), "PNG"))
    assert (10, 10) in decoded  # the recorder sees a decode when there is one


def test_a_large_jpeg_is_decoded_shrunk_not_whole():
    # 5000×4000 = 20 MP, above the 16.8 MP limit: decoded at half size by the JPEG decoder.
    image = uploads.clean_image(encode(Image.new("RGB", (5000, 4000), "green"), "JPEG"))
    assert (image.width, image.height) == (2500, 2000)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_jpeg_even_one_eighth_of_which_is_too_big_is_refused(cfg):
    cfg(upload_max_pixels=10)  # 1/8 of 40×20 is 5×3 = 15 pixels: still over
    err = code_of(uploads.clean_image, jpeg((40, 20)))
    assert err.code == "upload_too_many_pixels"
