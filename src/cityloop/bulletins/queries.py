"""Reads for bulletins: series, issues, the review queue, submission counts and the one
document model an issue renders from (HTML, .docx and PDF all read it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from cityloop.bulletins import rules
from cityloop.bulletins.models import Issue, IssueItem, Series, Submission
from cityloop.core import clock
from cityloop.core.errors import NotFound
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
    return sorted(issue.items.all(), key=lambda i: (i.short, i.order, i.pk))


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
