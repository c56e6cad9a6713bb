"""Open311 input: form fields in, typed values out, or an :class:`InvalidInput` naming the
field. Nothing here reads or writes the database beyond looking up what a field names.

Open311 clients send form-encoded bodies, and some send the same fields in the query string
(the GeoReport Swagger description even lists them as query parameters), so both are read;
the body wins when a field is in both.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.http import HttpRequest, QueryDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import InvalidInput

# The longest value any field may have; longer is refused, never cut, so that nothing a
# client sent is silently lost. Case columns set most of these.
LIMITS = {
    "api_key": 200,
    "jurisdiction_id": 100,
    "service_code": 40,
    "description": 2000,  # cases.workflow.MAX_DESCRIPTION
    "address_string": 200,
    "address_id": 60,
    "zipcode": 20,
    "email": 254,
    "first_name": 25,
    "last_name": 25,
    "phone": 30,
    "device_id": 100,
    "account_id": 100,
    "media_url": 500,
    "service_request_id": 4000,  # a comma list
    "update_id": 100,
    "status": 100,
    "start_date": 40,
    "end_date": 40,
    "updated_datetime": 40,
    "attribute": 1000,
}
DEFAULT_LIMIT = 200
MAX_IDS = 200
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
# Characters XML 1.0 cannot carry and PostgreSQL text cannot store (NUL): refused at the door.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,40})\](\[\])?$")


def fields_of(request: HttpRequest) -> QueryDict:
    """Query string and form body together, the body winning."""
    merged = request.GET.copy()
    if request.method == "POST":
        for key in request.POST:
            merged.setlist(key, request.POST.getlist(key))
    return merged


def _check(name: str, value: str) -> None:
    limit = LIMITS.get(name, DEFAULT_LIMIT)
    if len(value) > limit:
        raise InvalidInput(
            "field_too_long",
            _("%(field)s is too long (at most %(limit)d characters).")
            % {"field": name, "limit": limit},
            {"field": name, "limit": limit},
        )
    if _BAD_CHARS.search(value):
        raise InvalidInput(
            "field_bad_characters",
            _("%(field)s contains control characters.") % {"field": name},
            {"field": name},
        )


def text(data: QueryDict, name: str, *, required: bool = False) -> str:
    value = (data.get(name) or "").strip()
    _check(name, value)
    if required and not value:
        raise InvalidInput(
            "field_required", _("%(field)s is required.") % {"field": name}, {"field": name}
        )
    return value


def check_all(data: QueryDict) -> None:
    """Every field within its limit and free of control characters, known or not: an
    oversized field is refused even where it would be ignored."""
    for name in data:
        for value in data.getlist(name):
            _check("attribute" if name.startswith("attribute[") else name, value)


def number(data: QueryDict, name: str, low: float, high: float) -> float | None:
    raw = text(data, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidInput(
            "field_not_a_coordinate",
            _("%(field)s must be a number from %(low)s to %(high)s.")
            % {"field": name, "low": low, "high": high},
            {"field": name},
        )
    return value


def moment(data: QueryDict, name: str) -> datetime | None:
    """A W3C date-time (``2026-11-23T09:00:00+08:00``, ``…Z``) or a date; a time without an
    offset is read in the deployment's zone."""
    raw = text(data, name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.combine(day, time.min)
    except ValueError:
        value = None
    if value is None:
        raise InvalidInput(
            "field_bad_datetime",
            _("%(field)s is not a date and time like 2026-11-23T09:00:00+08:00.") % {"field": name},
            {"field": name},
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.local_zone())
    return value


def window(data: QueryDict) -> tuple[datetime, datetime]:
    """``start_date``/``end_date``: 90 days back from now when absent, never more than 90
    days wide (the spec's limit), start before end."""
    start, end = moment(data, "start_date"), moment(data, "end_date")
    if start is None and end is None:
        end = clock.now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if start > end:
        raise InvalidInput("dates_reversed", _("start_date is after end_date."))
    if end - start > MAX_SPAN:
        raise InvalidInput(
            "dates_span_too_long", _("start_date to end_date may span at most 90 days.")
        )
    return start, end


def comma_list(data: QueryDict, name: str) -> list[str]:
    items = [item.strip() for item in text(data, name).split(",") if item.strip()]
    if len(items) > MAX_IDS:
        raise InvalidInput(
            "field_too_many",
            _("At most %(n)d values in %(field)s.") % {"n": MAX_IDS, "field": name},
            {"field": name},
        )
    return items


def statuses(data: QueryDict) -> list[str]:
    values = comma_list(data, "status")
    wrong = [v for v in values if v.lower() not in ("open", "closed")]
    if wrong:
        raise InvalidInput(
            "status_invalid", _("status is open, closed or both."), {"status": wrong}
        )
    return sorted({v.lower() for v in values})


def media_url(data: QueryDict) -> str:
    url = text(data, "media_url")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput(
                "media_url_invalid", _("media_url must be an http or https address.")
            ) from None
    return url


def email(data: QueryDict) -> str:
    value = text(data, "email")
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise InvalidInput("email_invalid", _("email is not an e-mail address.")) from None
    return value


def person_name(first: str, last: str) -> str:
    """One display name; Chinese names are family name first, without a space."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return (last + first).strip()
    return " ".join(p for p in (first, last) if p)


def attributes(data: QueryDict) -> dict[str, list[str]]:
    """``attribute[code]=value`` (and ``attribute[code][]=…`` for several values)."""
    found: dict[str, list[str]] = {}
    for name in data:
        match = _ATTRIBUTE.match(name)
        if match:
            values = [v.strip() for v in data.getlist(name) if v.strip()]
            found.setdefault(match.group(1), []).extend(values)
    return found


@dataclass
class NewRequest:
    """The fields of ``POST requests``, checked."""

    service_code: str
    lat: float | None
    lng: float | None
    address_string: str
    address_id: str
    zipcode: str
    email: str
    device_id: str
    account_id: str
    name: str
    phone: str
    description: str
    media_url: str
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_location(self) -> bool:
        return self.lat is not None or bool(self.address_string) or bool(self.address_id)


def new_request(data: QueryDict) -> NewRequest:
    check_all(data)
    lat = number(data, "lat", -90, 90)
    lng = number(data, "long", -180, 180)
    if (lat is None) != (lng is None):
        raise InvalidInput("location_incomplete", _("Give both lat and long."))
    req = NewRequest(
        service_code=text(data, "service_code", required=True),
        lat=lat,
        lng=lng,
        address_string=text(data, "address_string"),
        address_id=text(data, "address_id"),
        zipcode=text(data, "zipcode"),
        email=email(data),
        device_id=text(data, "device_id"),
        account_id=text(data, "account_id"),
        name=person_name(text(data, "first_name"), text(data, "last_name")),
        phone=text(data, "phone"),
        description=text(data, "description"),
        media_url=media_url(data),
        attributes=attributes(data),
    )
    if not req.has_location:
        raise InvalidInput(
            "location_required", _("Give the location: lat and long, address_string or address_id.")
        )
    return req


@dataclass
class NewUpdate:
    """The fields of ``POST servicerequestupdates`` (the FixMyStreet extension), checked."""

    service_request_id: str
    update_id: str
    status: str
    description: str
    media_url: str
    updated_datetime: datetime | None
    name: str
    email: str
    phone: str

    def event_data(self) -> dict[str, Any]:
        return {
            "channel": "open311",
            "update_id": self.update_id,
            "status": self.status,
            "media_url": self.media_url,
            "updated_datetime": self.updated_datetime.isoformat() if self.updated_datetime else "",
        }


def new_update(data: QueryDict) -> NewUpdate:
    check_all(data)
    return NewUpdate(
        service_request_id=text(data, "service_request_id", required=True),
        update_id=text(data, "update_id", required=True),
        status=text(data, "status").upper(),
        description=text(data, "description", required=True),
        media_url=media_url(data),
        updated_datetime=moment(data, "updated_datetime"),
        name=person_name(text(data, "first_name"), text(data, "last_name")),
        email=email(data),
        phone=text(data, "phone"),
    )
