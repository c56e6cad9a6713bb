"""File answers: documents saved under their Chinese names, and stored photos."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse


def attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    # RFC 6266/5987: the UTF-8 name for every current browser, an ASCII one for the rest.
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def stored_image(path: str) -> FileResponse:
    """A stored photo (already re-encoded at upload) for a reader the caller has checked."""
    try:
        handle = default_storage.open(path, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if not ctype.startswith("image/"):
        ctype = "application/octet-stream"
    response = FileResponse(handle, content_type=ctype)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
