"""A file answer that any browser saves under its Chinese name."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse


def attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    # RFC 6266/5987: the UTF-8 name for every current browser, an ASCII one for the rest.
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
