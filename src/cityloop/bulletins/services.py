"""Creating series and issues (numbering per year)."""

from __future__ import annotations

import hashlib
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


LETTERHEAD_FIELDS = ("header", "abbreviation", "send_to", "copy_to", "signature")


def letterhead_save(
    *,
    actor,
    unit_id: int,
    values: dict[str, str],
    template: bytes | None = None,
    template_name: str = "",
    remove_template: bool = False,
):
    """Set an issuing unit's letterhead (what its documents print instead of its names) and
    optionally its own Word template (``template``: the uploaded .docx, checked by
    :func:`cityloop.core.documents.check_template`; ``remove_template``: back to the
    built-in layout). Only the unit's staff and those above it; an unknown or foreign unit
    is not found; a refused file or value changes nothing."""
    from cityloop.bulletins import rules
    from cityloop.bulletins.models import Letterhead
    from cityloop.core import clock
    from cityloop.core.errors import NotFound

    unit = next((u for u in queries.letterhead_units(actor) if u.pk == unit_id), None)
    if unit is None or not rules.can_set_letterhead(actor, unit):
        raise NotFound("letterhead_unit_not_found", _("Issuing unit not found"))
    limits = {f: Letterhead._meta.get_field(f).max_length for f in LETTERHEAD_FIELDS}
    clean = {f: " ".join((values.get(f) or "").split()) for f in LETTERHEAD_FIELDS}
    too_long = [f for f in LETTERHEAD_FIELDS if len(clean[f]) > limits[f]]
    if too_long:
        raise InvalidInput(
            "letterhead_too_long",
            _("%(field)s is longer than %(n)s characters.")
            % {
                "field": Letterhead._meta.get_field(too_long[0]).verbose_name,
                "n": limits[too_long[0]],
            },
        )
    extra: dict = {}
    if template:
        from cityloop.core import documents as gw

        problems = gw.check_template(template)
        if problems:
            raise InvalidInput("letterhead_template_invalid", problems[0], {"problems": problems})
        extra = {
            "template": template,
            "template_name": (template_name or "template.docx")[-200:],
            "template_sha256": hashlib.sha256(template).hexdigest(),
        }
    elif remove_template:
        extra = {"template": b"", "template_name": "", "template_sha256": ""}
    row, _created = Letterhead.objects.update_or_create(
        unit=unit, defaults={**clean, **extra, "updated_at": clock.now()}
    )
    return row
