"""Creating series and issues (numbering per year)."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.bulletins import queries
from cityloop.bulletins.models import Issue, Series
from cityloop.core.errors import Conflict, InvalidInput


def series_save(
    *,
    code: str,
    title: str,
    issuer,
    issuer_name: str,
    send_to: str = "",
    distribute_to: str = "",
    editors: str = "",
    docx_template: str = "",
    is_demo: bool = False,
) -> Series:
    """Create or update a series by code."""
    if not (code or "").strip() or not (title or "").strip() or not (issuer_name or "").strip():
        raise InvalidInput(
            "bulletin_series_incomplete", _("A series needs a code, a title and an issuing office.")
        )
    series, _created = Series.objects.update_or_create(
        code=code.strip(),
        defaults={
            "title": title.strip(),
            "issuer": issuer,
            "issuer_name": issuer_name.strip(),
            "send_to": send_to,
            "distribute_to": distribute_to,
            "editors": editors,
            "docx_template": docx_template,
            "is_demo": is_demo,
        },
    )
    return series


def issue_new(
    *, series: Series, day: date, number: int | None = None, is_demo: bool = False
) -> Issue:
    """A draft issue: numbered per series and year (the next number unless given), with the
    series' recipients and editors, which the editor may change until publication."""
    number = number or queries.next_number(series, day.year)
    if number < 1:
        raise InvalidInput("bulletin_number_invalid", _("An issue number is 1 or more."))
    try:
        with transaction.atomic():
            return Issue.objects.create(
                series=series,
                year=day.year,
                number=number,
                date=day,
                send_to=series.send_to,
                distribute_to=series.distribute_to,
                editors=series.editors,
                is_demo=is_demo,
            )
    except IntegrityError:
        raise Conflict(
            "bulletin_number_taken",
            _("Issue %(n)s of %(year)s already exists.") % {"n": number, "year": day.year},
        ) from None


def fingerprint(kind: str, object_id: int, fmt: str, body: bytes):
    """Keep the sha256 of an issued document's file the first time it is produced; later
    renderings leave the first fingerprint as it is (the register shows what went out)."""
    import hashlib

    from cityloop.bulletins.models import DocumentHash
    from cityloop.core import clock

    try:
        with transaction.atomic():
            row, _created = DocumentHash.objects.get_or_create(
                kind=kind,
                object_id=object_id,
                fmt=fmt,
                defaults={"sha256": hashlib.sha256(body).hexdigest(), "produced_at": clock.now()},
            )
    except IntegrityError:  # two first downloads at once: the other one was first
        row = DocumentHash.objects.get(kind=kind, object_id=object_id, fmt=fmt)
    return row
