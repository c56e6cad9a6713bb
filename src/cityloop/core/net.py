"""The client's network address, as seen through ``CITYLOOP_TRUSTED_PROXIES`` reverse proxies.

One rule for every place that keys on an address (django-axes lockouts through
``AXES_CLIENT_IP_CALLABLE``, Open311 rate limits). Each trusted proxy appends the address it
was connected from to ``X-Forwarded-For``, so with N proxies the client is the N-th entry from
the right; entries further left were written by the client itself and are not believed. With
no trusted proxies the header is ignored and the client is ``REMOTE_ADDR``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.CITYLOOP.trusted_proxies
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        # Reached the app without passing the proxies (or they do not set the header).
        return remote
    # Fewer entries than proxies: the left-most is the furthest any proxy saw.
    return forwarded[-count] if len(forwarded) >= count else forwarded[0]
