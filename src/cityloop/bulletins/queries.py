"""Reads for bulletins: series, issues, the review queue, submission counts and the one
document model an issue renders from (HTML, .docx and PDF all read it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cityloop.bulletins import rules
from cityloop.bulletins.models import Issue, IssueItem, Series, Submission
from cityloop.core import clock
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.scope import scope_for


def visible_series(actor) -> list[Series]:
    """Editors see their series; every staff account sees the series it may submit to
    (all of them: a bulletin is the district's), but only editors see drafts."""
    if not getattr(actor, "is_authenticated", False):
        return []
    return list(Series.objects.select_related("issuer").order_by("code"))


def series_get(actor, code: str) -> Series:
    series = Series.objects.select_related("issuer__place").filter(code=code).first()
    if series is None or not getattr(actor, "is_authenticated", False):
        raise NotFound("bulletin_series_not_found", _("Bulletin series not found"))
    return series


def editable_series(actor) -> list[Series]:
    """The series the actor edits: those a new issue may be started in."""
    return [s for s in visible_series(actor) if rules.can_edit(actor, s)]


def next_number(series: Series, year: int) -> int:
    """The number the next issue of ``series`` in ``year`` takes: one after the highest."""
    top = Issue.objects.filter(series=series, year=year).aggregate(n=Max("number"))["n"]
    return (top or 0) + 1


def numbers_by_year(series: Series) -> dict[int, int]:
    """The next number of each year the series has issues in (other years start at 1)."""
    rows = Issue.objects.filter(series=series).values("year").annotate(n=Max("number"))
    return {r["year"]: r["n"] + 1 for r in rows}


def visible_issues(actor) -> QuerySet[Issue]:
    """Published issues for every staff account; drafts for the series' editors."""
    if not getattr(actor, "is_authenticated", False):
        return Issue.objects.none()
    editable = [s.pk for s in Series.objects.select_related("issuer") if rules.can_edit(actor, s)]
    return Issue.objects.filter(
        Q(state=Issue.State.PUBLISHED) | Q(series_id__in=editable)
    ).select_related("series")


def issue_get(actor, issue_id: int) -> Issue:
    issue = visible_issues(actor).filter(pk=issue_id).first()
    if issue is None:
        raise NotFound("bulletin_issue_not_found", _("Bulletin issue not found"))
    return issue


def issue_by_number(actor, series_code: str, number: int, year: int | None = None) -> Issue:
    qs = visible_issues(actor).filter(series__code=series_code, number=number)
    if year:
        qs = qs.filter(year=year)
    issue = qs.order_by("-year").first()
    if issue is None:
        raise NotFound("bulletin_issue_not_found", _("Bulletin issue not found"))
    return issue


def visible_submissions(actor) -> QuerySet[Submission]:
    """A unit's own submissions, and everything sent to the series one edits."""
    if not getattr(actor, "is_authenticated", False):
        return Submission.objects.none()
    scope = scope_for(actor)
    qs = Submission.objects.select_related("series", "unit", "issue")
    if scope.everything:
        return qs
    editable = [s.pk for s in Series.objects.select_related("issuer") if rules.can_edit(actor, s)]
    own = scope.units_q("unit__") if scope.unit_paths else Q(pk__in=[])
    return qs.filter(own | Q(series_id__in=editable))


def submission_get(actor, pk: int) -> Submission:
    sub = visible_submissions(actor).filter(pk=pk).first()
    if sub is None:
        raise NotFound("bulletin_submission_not_found", _("Submission not found"))
    return sub


def review_queue(actor, series: Series) -> QuerySet[Submission]:
    if not rules.can_edit(actor, series):
        return Submission.objects.none()
    return (
        series.submissions.filter(state__in=[Submission.State.SUBMITTED, Submission.State.ACCEPTED])
        .select_related("unit")
        .order_by("state", "submitted_at", "pk")
    )


def submission_counts(*, series_code: str | None, start: date, end: date) -> list[dict[str, Any]]:
    """信息报送: per unit, items submitted in the period, accepted (or used) and used."""
    zone = clock.local_zone()
    qs = Submission.objects.filter(
        submitted_at__range=(
            datetime.combine(start, time.min, tzinfo=zone),
            datetime.combine(end, time.max, tzinfo=zone),
        )
    )
    if series_code:
        qs = qs.filter(series__code=series_code)
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"submitted": 0, "accepted": 0, "used": 0, "ids": []}
    )
    for pk, label, state in qs.order_by("unit__code", "pk").values_list(
        "pk", "unit_label", "state"
    ):
        row = per[label]
        row["submitted"] += 1
        row["ids"].append(pk)
        if state in (Submission.State.ACCEPTED, Submission.State.USED):
            row["accepted"] += 1
        if state == Submission.State.USED:
            row["used"] += 1
    return sorted(
        ({"unit": k, **v} for k, v in per.items()), key=lambda r: (-r["submitted"], r["unit"])
    )


def items_of(issue: Issue) -> list[IssueItem]:
    """Full items first (in order), short items (△) after them, as the bulletins print."""
    # The submission comes with its item: pages and files read it for every submitted item.
    items = issue.items.select_related("submission")
    return sorted(items, key=lambda i: (i.short, i.order, i.pk))


# --- what a generated item may be made from: the choices its pickers offer ------------------

GENERATOR_PLACE_KINDS = ("district", "street", "community")


def generator_places(actor) -> QuerySet:
    """Places whose case figures the actor may put into an item: its district, streets and
    communities in scope."""
    from cityloop.org import queries as org_queries

    return org_queries.visible_places(actor).filter(kind__in=GENERATOR_PLACE_KINDS).order_by("path")


def generator_units(actor) -> QuerySet:
    from cityloop.org import queries as org_queries

    return org_queries.visible_units(actor).order_by("path")


def generator_schemes(actor) -> list:
    """One version per scheme code the actor may read (the one in force, else the newest)."""
    from cityloop.assessment import queries as aq
    from cityloop.assessment.models import Scheme

    chosen: dict[str, Any] = {}
    for s in aq.visible_schemes(actor):
        if s.code not in chosen or (
            s.state == Scheme.State.ACTIVE and chosen[s.code].state != Scheme.State.ACTIVE
        ):
            chosen[s.code] = s
    return [chosen[k] for k in sorted(chosen)]


def generator_periods(scheme) -> list[tuple[str, str]]:
    """A scheme's computed (or closed) periods, newest first, as (key, Chinese label)."""
    from cityloop.assessment import periods
    from cityloop.assessment.models import Period

    qs = (
        Period.objects.filter(code=scheme.code)
        .exclude(state=Period.State.OPEN)
        .order_by("-start")
        .select_related("scheme")
    )
    return [(p.key, periods.label(p.scheme.period_kind, p.key)) for p in qs]


def generator_choice_allowed(actor, param: str, value: str) -> bool:
    """Whether ``value`` is one of the choices the actor's picker for ``param`` offers.
    Parameters without a scoped choice (dates, titles, the period) are the generator's to
    check."""
    value = (value or "").strip()
    if param == "place":
        return generator_places(actor).filter(code=value).exists()
    if param == "unit":
        return generator_units(actor).filter(code=value).exists()
    if param == "scheme":
        return any(s.code == value for s in generator_schemes(actor))
    if param == "series":
        return any(s.code == value for s in visible_series(actor))
    return True


# ---------------------------------------------------------------------------
# 发文登记: every issued document, read off the records that number them
# (docs/decisions/document-register.md). One query per kind, merged newest first.

REGISTER_KINDS = (
    "notice",
    "letter",
    "bulletin",
    "minutes",
    "resolution",
    "result",
)  # the order within one day


@dataclass(frozen=True)
class RegisterRow:
    kind: str
    pk: int
    reference: str
    title: str
    issuer: str
    issuer_id: int
    addressees: str
    day: date
    docx_url: str
    pdf_url: str
    hashes: dict = field(default_factory=dict)

    @property
    def cursor(self) -> str:
        return f"{self.day.isoformat()}_{self.kind}_{self.pk}"


@dataclass(frozen=True)
class RegisterFilter:
    q: str = ""
    kind: str = ""
    year: int | None = None
    issuer: int | None = None


def parse_register_cursor(raw: str) -> tuple[date, str, int] | None:
    """``before=`` of the register: ``<date>_<kind>_<id>``; empty is the first page."""
    if not raw:
        return None
    try:
        day, kind, pk = raw.split("_")
        if kind not in REGISTER_KINDS:
            raise ValueError(kind)
        return date.fromisoformat(day), kind, int(pk)
    except ValueError:
        raise InvalidInput("cursor_invalid", _("Unknown page cursor.")) from None


def _before(kind: str, field_name: str, before: tuple[date, str, int] | None) -> Q:
    """The keyset condition for one kind: rows after ``before`` in (date desc, kind order,
    id desc)."""
    if before is None:
        return Q()
    day, at_kind, pk = before
    mine, theirs = REGISTER_KINDS.index(kind), REGISTER_KINDS.index(at_kind)
    if mine < theirs:  # this kind comes first on a day: that day's rows are shown
        return Q(**{f"{field_name}__lt": day})
    if mine > theirs:  # this kind comes later on a day: that day's rows are still to come
        return Q(**{f"{field_name}__lte": day})
    return Q(**{f"{field_name}__lt": day}) | Q(**{field_name: day, "pk__lt": pk})


def _words(flt: RegisterFilter) -> list[str]:
    return [w for w in (flt.q or "").split() if w][:5]


@dataclass(frozen=True)
class RegisterKind:
    """How one kind of document enters the 发文登记: its rows for the units the reader covers
    (``rows(units)``, related rows and the searched reference annotated), the fields a word
    is searched in, the year and issuer lookups, its date for the keyset (``day``), the
    ordering and the :class:`RegisterRow` of one record. One pipeline reads every kind."""

    kind: str
    rows: Any
    search: tuple[str, ...]
    year: str
    issuer: str
    day: str
    order: Any
    row: Any


def _text(*parts):
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Concat(
        *[Cast(p, CharField()) if not isinstance(p, Value) else p for p in parts],
        output_field=CharField(),
    )


def _notice_row(n) -> RegisterRow:
    from django.urls import reverse
    from django.utils.http import urlencode

    kind, scheme, period = [*n.key.split(":", 2), "", ""][:3]
    base = reverse("bulletins:notice")
    args = {"kind": kind, "scheme": scheme, "period": period}
    return RegisterRow(
        kind="notice",
        pk=n.pk,
        reference=n.reference,
        title=n.title,
        issuer=n.issuer.name,
        issuer_id=n.issuer_id,
        addressees="",
        day=n.issued_on,
        docx_url=f"{base}?{urlencode({**args, 'format': 'docx'})}",
        pdf_url=f"{base}?{urlencode({**args, 'format': 'pdf'})}",
    )


def _letter_row(x) -> RegisterRow:
    from django.urls import reverse

    return RegisterRow(
        kind="letter",
        pk=x.pk,
        reference=x.reference,
        title=x.subject,
        issuer=x.series.signature or x.series.issuer.name,
        issuer_id=x.series.issuer_id,
        addressees=x.addressee.name,
        day=timezone.localdate(x.sent_at),
        docx_url=reverse("supervision:letter_file", args=[x.pk, "docx"]),
        pdf_url=reverse("supervision:letter_file", args=[x.pk, "pdf"]),
    )


def _bulletin_row(i) -> RegisterRow:
    from django.urls import reverse

    return RegisterRow(
        kind="bulletin",
        pk=i.pk,
        reference=f"{i.series.title} {i.year}年第{i.number}期",
        title=i.series.title,
        issuer=i.series.issuer_name,
        issuer_id=i.series.issuer_id,
        addressees=i.send_to or i.series.send_to,
        day=i.date,
        docx_url=reverse("bulletins:issue_file", args=[i.pk, "docx"]),
        pdf_url=reverse("bulletins:issue_file", args=[i.pk, "pdf"]),
    )


def _minutes_row(m) -> RegisterRow:
    from django.urls import reverse

    return RegisterRow(
        kind="minutes",
        pk=m.pk,
        reference=m.code,
        title=m.title,
        issuer=m.unit.name,
        issuer_id=m.unit_id,
        addressees="",
        day=timezone.localdate(m.held_at),
        docx_url=reverse("meetings:minutes_file", args=[m.code, "docx"]),
        pdf_url=reverse("meetings:minutes_file", args=[m.code, "pdf"]),
    )


def _topic_document_row(x) -> RegisterRow:
    from django.urls import reverse

    url = reverse("deliberation:document", args=[x.topic_id, x.kind])
    return RegisterRow(
        kind=x.kind,
        pk=x.pk,
        reference=x.reference,
        title=x.title,
        issuer=x.issuer.name,
        issuer_id=x.issuer_id,
        addressees="",
        day=x.issued_on,
        docx_url=f"{url}?format=docx",
        pdf_url=f"{url}?format=pdf",
    )


def _topic_document_kind(kind: str) -> RegisterKind:
    """A deliberation document (决议 / 结果公告) in the register: ``TopicDocument`` rows."""
    from cityloop.deliberation.models import TopicDocument

    return RegisterKind(
        kind=kind,
        rows=lambda units: TopicDocument.objects.filter(
            kind=kind, issuer_id__in=units
        ).select_related("issuer"),
        search=("reference", "title"),
        year="year",
        issuer="issuer_id",
        day="issued_on",
        order=lambda: ("-issued_on", "-pk"),
        row=_topic_document_row,
    )


def register_kinds() -> dict[str, RegisterKind]:
    """The kinds of the 发文登记, in :data:`REGISTER_KINDS` order. A new kind of document is
    one more entry here (and its label in ``bulletins.labels``)."""
    from django.db.models import Value
    from django.db.models.functions import TruncDate

    from cityloop.bulletins.models import NoticeNumber
    from cityloop.meetings.models import Meeting
    from cityloop.supervision.models import UrgingLetter

    kinds = [
        RegisterKind(
            kind="notice",
            rows=lambda units: NoticeNumber.objects.filter(issuer_id__in=units).select_related(
                "issuer"
            ),
            search=("reference", "title"),
            year="year",
            issuer="issuer_id",
            day="issued_on",
            order=lambda: ("-issued_on", "-pk"),
            row=_notice_row,
        ),
        RegisterKind(
            kind="letter",
            rows=lambda units: (
                UrgingLetter.objects.filter(
                    Q(series__issuer_id__in=units) | Q(addressee_id__in=units)
                )
                .select_related("series__issuer", "addressee")
                .annotate(
                    ref=_text(
                        "series__prefix", Value("〔"), "year", Value("〕"), "number", Value("号")
                    )
                )
            ),
            search=("ref", "subject"),
            year="year",
            issuer="series__issuer_id",
            day="sent_at__date",
            order=lambda: (TruncDate("sent_at").desc(), "-pk"),
            row=_letter_row,
        ),
        RegisterKind(
            kind="bulletin",
            rows=lambda units: (
                Issue.objects.filter(state=Issue.State.PUBLISHED, series__issuer_id__in=units)
                .select_related("series")
                .annotate(ref=_text("series__title", Value(" 第"), "number", Value("期")))
            ),
            search=("ref", "series__code"),
            year="year",
            issuer="series__issuer_id",
            day="date",
            order=lambda: ("-date", "-pk"),
            row=_bulletin_row,
        ),
        RegisterKind(
            kind="minutes",
            rows=lambda units: Meeting.objects.filter(
                state=Meeting.State.ISSUED, unit_id__in=units
            ).select_related("unit"),
            search=("code", "title"),
            year="held_at__year",
            issuer="unit_id",
            day="held_at__date",
            order=lambda: (TruncDate("held_at").desc(), "-pk"),
            row=_minutes_row,
        ),
        _topic_document_kind("resolution"),
        _topic_document_kind("result"),
    ]
    assert tuple(k.kind for k in kinds) == REGISTER_KINDS
    return {k.kind: k for k in kinds}


def register_rows(
    actor,
    flt: RegisterFilter | None = None,
    *,
    before: tuple[date, str, int] | None = None,
    limit: int = 50,
) -> list[RegisterRow]:
    """The documents issued by the units the actor covers (numbered notices, urging letters,
    published bulletin issues, issued 会议纪要), newest first, keyset-paged. One query per
    kind (:func:`register_kinds`) plus one for the fingerprints, whatever the page size."""
    from cityloop.org import queries as org_queries

    flt = flt or RegisterFilter()
    units = org_queries.visible_units(actor).values("pk")
    words = _words(flt)
    rows: list[RegisterRow] = []
    for spec in register_kinds().values():
        if flt.kind and flt.kind != spec.kind:
            continue
        qs = spec.rows(units)
        for w in words:
            match = Q()
            for name in spec.search:
                match |= Q(**{f"{name}__icontains": w})
            qs = qs.filter(match)
        if flt.year:
            qs = qs.filter(**{spec.year: flt.year})
        if flt.issuer:
            qs = qs.filter(**{spec.issuer: flt.issuer})
        qs = qs.filter(_before(spec.kind, spec.day, before))
        rows.extend(spec.row(x) for x in qs.order_by(*spec.order())[:limit])
    rows.sort(key=lambda r: (r.day, -REGISTER_KINDS.index(r.kind), r.pk), reverse=True)
    rows = rows[:limit]
    return _with_hashes(rows)


def numbered_notice_id(register_key: str) -> int | None:
    """The register row of a numbered notice (None: not numbered, so not issued)."""
    from cityloop.bulletins.models import NoticeNumber

    return NoticeNumber.objects.filter(key=register_key).values_list("pk", flat=True).first()


def _with_hashes(rows: list[RegisterRow]) -> list[RegisterRow]:
    from cityloop.bulletins.models import DocumentHash

    if not rows:
        return rows
    q = Q(pk__in=[])
    by_kind: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        by_kind[r.kind].append(r.pk)
    for kind, ids in by_kind.items():
        q |= Q(kind=kind, object_id__in=ids)
    found: dict[tuple[str, int], dict] = defaultdict(dict)
    for h in DocumentHash.objects.filter(q):
        found[(h.kind, h.object_id)][h.fmt] = h.sha256
    return [replace(r, hashes=found.get((r.kind, r.pk), {})) for r in rows]


def register_issuers(actor) -> list:
    """The units the actor covers that have issued anything, for the issuer filter."""
    from cityloop.assessment.models import Scheme
    from cityloop.bulletins.models import NoticeNumber
    from cityloop.deliberation.models import TopicDocument
    from cityloop.meetings.models import Meeting
    from cityloop.org import queries as org_queries
    from cityloop.org.models import Unit
    from cityloop.supervision.models import LetterSeries

    units = org_queries.visible_units(actor).values("pk")
    ids = (
        Q(pk__in=NoticeNumber.objects.values("issuer_id"))
        | Q(pk__in=LetterSeries.objects.values("issuer_id"))
        | Q(pk__in=Series.objects.values("issuer_id"))
        | Q(pk__in=Meeting.objects.filter(state=Meeting.State.ISSUED).values("unit_id"))
        | Q(pk__in=Scheme.objects.values("owner_id"))  # notices are issued by a scheme's owner
        | Q(pk__in=TopicDocument.objects.values("issuer_id"))
    )
    return list(Unit.objects.filter(ids, pk__in=units).order_by("path")[:200])


@dataclass(frozen=True)
class LetterheadText:
    header: str
    abbreviation: str
    send_to: str
    copy_to: str
    signature: str
    template_name: str = ""


def letterhead_of(unit, *, signature: str = "") -> LetterheadText:
    """What a unit's documents print: its own settings (the 发文登记 page's letterhead form),
    each empty field falling back to the unit's names (``signature``: a name the kind itself
    keeps, such as a letter series' 署名, tried before the unit's name)."""
    from cityloop.bulletins.models import Letterhead

    row = Letterhead.objects.filter(unit_id=unit.pk).defer("template").first()
    name = unit.name
    short = (getattr(unit, "short_name", "") or name).strip()
    return LetterheadText(
        header=(row.header if row else "") or signature or name,
        abbreviation=(row.abbreviation if row else "") or short,
        send_to=row.send_to if row else "",
        copy_to=row.copy_to if row else "",
        signature=(row.signature if row else "") or signature or name,
        template_name=row.template_name if row else "",
    )


def letterhead_template(unit) -> bytes:
    """The unit's uploaded Word template, or b"" (the built-in layout)."""
    from cityloop.bulletins.models import Letterhead

    if unit is None:
        return b""
    blob = Letterhead.objects.filter(unit_id=unit.pk).values_list("template", flat=True).first()
    return bytes(blob or b"")


def frame_of(unit, *, signature: str = "", **given):
    """The 公文 frame (:class:`cityloop.core.documents.Frame`) of a document ``unit`` issues:
    the letterhead's red header, 主送, 抄送 and 署名 unless the kind gives its own (a letter's
    addressee, a bulletin issue's lists); the one place every kind takes them from."""
    from cityloop.core import documents as gw

    lh = letterhead_of(unit, signature=signature) if unit is not None else None
    defaults = {
        "masthead": lh.header if lh else "",
        "send_to": lh.send_to if lh else "",
        "copy_to": lh.copy_to if lh else "",
        "signature": lh.signature if lh else "",
    }
    return gw.frame_over(defaults, **given)


def letterhead_abbreviation(unit) -> str:
    """The issuer part of the unit's 发文字号 (its letterhead's abbreviation)."""
    return letterhead_of(unit).abbreviation


def supervision_issuer():
    """The unit the supervision reports (weekly / monthly / quarterly) go out under: the
    supervision office that issues the urging letters (the first letter series), if any."""
    from cityloop.supervision.models import LetterSeries

    series = LetterSeries.objects.select_related("issuer").order_by("pk").first()
    return series.issuer if series else None


def letterhead_units(actor) -> list:
    """The units whose letterhead the actor may set: the issuing units it covers."""
    return [u for u in register_issuers(actor) if rules.can_set_letterhead(actor, u)]


def letterhead_unit(actor, unit_id: int):
    """One of :func:`letterhead_units` by id; any other unit (another street's, unknown) is
    not found."""
    from cityloop.core.errors import NotFound

    unit = next((u for u in letterhead_units(actor) if u.pk == unit_id), None)
    if unit is None:
        raise NotFound("letterhead_unit_not_found", _("Issuing unit not found"))
    return unit


def letterhead_row(unit):
    """The unit's stored letterhead settings, without the template blob (None: not set)."""
    from cityloop.bulletins.models import Letterhead

    return Letterhead.objects.filter(unit_id=unit.pk).defer("template").first()


def letterhead_template_file(unit) -> tuple[bytes, str]:
    """The unit's uploaded Word template as it was uploaded, and its file name (b"": none)."""
    from cityloop.bulletins.models import Letterhead

    row = Letterhead.objects.filter(unit_id=unit.pk).values_list("template", "template_name")
    blob, name = row.first() or (b"", "")
    return bytes(blob or b""), name or "template.docx"
