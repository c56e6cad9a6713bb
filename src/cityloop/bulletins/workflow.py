"""Every state change of bulletins: submitting, reviewing (accept, edit, reject), compiling
an issue, adding generated items, publishing (which freezes the generated figures), numbering
a notice in the 发文登记."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityloop.bulletins import generators, queries, rules, services
from cityloop.bulletins.actions import ISSUES, SUBMISSIONS
from cityloop.bulletins.models import (
    BulletinEvent,
    Issue,
    IssueItem,
    NoticeNumber,
    Series,
    Submission,
)
from cityloop.core import clock, events
from cityloop.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound

TITLE_MAX, BODY_MAX = 200, 20_000

# A generated item's place, unit, scheme or series the actor may not choose (unknown, or
# outside its scope: said alike, existence does not leak).
CHOOSE_FROM_LIST = {
    "place": gettext_lazy("Choose a place from the list."),
    "unit": gettext_lazy("Choose a unit from the list."),
    "scheme": gettext_lazy("Choose an assessment scheme from the list."),
    "series": gettext_lazy("Choose a series from the list."),
}


def _event(actor, verb: str, **fields) -> BulletinEvent:
    # A bug, not bad input, when the function left the issue or the submission where the
    # registry entry of ``verb`` says it cannot (the transaction rolls back).
    for registry, record in (
        (ISSUES, fields.get("issue")),
        (SUBMISSIONS, fields.get("submission")),
    ):
        if verb in registry and hasattr(record, "locked_state"):
            registry.check_move(verb, record.locked_state, record.state, record.pk)
    return events.record(BulletinEvent, actor=actor, verb=verb, **fields)


def _series(actor, code: str, *, edit: bool) -> Series:
    series = Series.objects.select_related("issuer__place").filter(code=code).first()
    if series is None or not getattr(actor, "is_authenticated", False):
        raise NotFound("bulletin_series_not_found", _("Bulletin series not found"))
    if edit and not rules.can_edit(actor, series):
        raise Forbidden("bulletin_not_editor", _("Only the series' editors may do this."))
    return series


def _text(value: str, code: str, message: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(code, message)
    if len(value) > limit:
        raise InvalidInput(code, _("At most %(n)d characters.") % {"n": limit}, {"limit": limit})
    return value


@transaction.atomic
def submit(
    *,
    actor,
    series_code: str,
    unit,
    body: str,
    title: str = "",
    byline: str = "",
    short: bool = False,
    unit_label: str = "",
    bracket: bool = True,
    is_demo: bool = False,
) -> Submission:
    """A unit's item for a series, waiting for the editors. ``bracket=False``: the issuing
    office's own item, printed without a unit in brackets."""
    series = _series(actor, series_code, edit=False)
    if unit is None or not rules.can_submit(actor, unit):
        raise Forbidden("bulletin_not_your_unit", _("You may submit items only for your own unit."))
    body = _text(body, "bulletin_body_required", _("Write the item's text."), BODY_MAX)
    title = _text(title, "bulletin_title_invalid", "", TITLE_MAX, required=False)
    if not short and not title:
        raise InvalidInput(
            "bulletin_title_required", _("A full item needs a title (short items △ need none).")
        )
    sub = Submission.objects.create(
        series=series,
        unit=unit,
        unit_label=(unit_label or unit.short_name or unit.name)[:60] if bracket else "",
        title=title,
        body=body,
        byline=byline.strip()[:100],
        short=short,
        submitted_at=clock.now(),
        submitted_by=actor if getattr(actor, "pk", None) else None,
        is_demo=is_demo,
    )
    _event(
        actor,
        "submit",
        series=series,
        submission=sub,
        to_state="submitted",
        data={"unit": unit.code},
    )
    return sub


def _submission_locked(actor, pk: int) -> Submission:
    sub = (
        Submission.objects.select_for_update()
        .select_related("series__issuer")
        .filter(pk=pk)
        .first()
    )
    if sub is None:
        raise NotFound("bulletin_submission_not_found", _("Submission not found"))
    if not rules.can_edit(actor, sub.series):
        # Read but not edited by the actor (its own unit's item): refused, as elsewhere inside
        # one's scope; out of sight: not found.
        if queries.visible_submissions(actor).filter(pk=pk).exists():
            raise Forbidden("bulletin_not_editor", _("Only the series' editors may do this."))
        raise NotFound("bulletin_submission_not_found", _("Submission not found"))
    sub.locked_state = sub.state  # what the registry measures the event against
    return sub


REVIEW = {"accept", "edit", "reject"}


@transaction.atomic
def review(
    *,
    actor,
    submission_id: int,
    action: str,
    note: str = "",
    title: str | None = None,
    body: str | None = None,
    short: bool | None = None,
) -> Submission:
    """Accept as is, accept with the editor's changes (the unit's text is kept), or reject
    with a reason. A rejected item may be accepted later; a used one no longer changes."""
    if action not in REVIEW:
        raise InvalidInput(
            "bulletin_review_invalid", _("Accept, edit or reject."), {"allowed": sorted(REVIEW)}
        )
    sub = _submission_locked(actor, submission_id)
    if sub.state not in SUBMISSIONS[action].sources:
        raise InvalidTransition("bulletin_submission_used", _("This item is already in an issue."))
    old = sub.state
    data: dict[str, Any] = {}
    if action == "reject":
        sub.review_note = _text(
            note, "bulletin_reason_required", _("Say why the item is rejected."), 2000
        )
        SUBMISSIONS.move(sub, action)
    else:
        if action == "edit":
            new_title = (
                sub.title
                if title is None
                else _text(title, "bulletin_title_invalid", "", TITLE_MAX, required=False)
            )
            new_body = _text(
                body if body is not None else sub.body,
                "bulletin_body_required",
                _("Write the item's text."),
                BODY_MAX,
            )
            sub.final_title, sub.final_body = new_title, new_body
            if short is not None:
                sub.short = short
            data = {"title_before": sub.title, "body_changed": new_body != sub.body}
        SUBMISSIONS.move(sub, action)
        sub.review_note = (note or "").strip()
    sub.reviewed_at = clock.now()
    sub.save()
    _event(
        actor,
        action,
        series=sub.series,
        submission=sub,
        from_state=old,
        to_state=sub.state,
        note=sub.review_note,
        data=data,
    )
    return sub


def _issue_locked(actor, issue_id: int) -> Issue:
    issue = (
        Issue.objects.select_for_update()
        .select_related("series__issuer")
        .filter(pk=issue_id)
        .first()
    )
    if issue is None or not rules.can_edit(actor, issue.series):
        raise NotFound("bulletin_issue_not_found", _("Bulletin issue not found"))
    issue.locked_state = issue.state  # what the registry measures the event against
    return issue


def _require_draft(issue: Issue) -> None:
    if issue.state != Issue.State.DRAFT:
        raise InvalidTransition(
            "bulletin_issue_published", _("This issue is published: it no longer changes.")
        )


def _require_state(issue: Issue, action: str) -> None:
    """The issue is in a state ``action``'s entry may be taken from (every entry names the one
    state "draft", so the refusal is :func:`_require_draft`'s)."""
    if issue.state not in ISSUES[action].sources:
        raise InvalidTransition(
            "bulletin_issue_published", _("This issue is published: it no longer changes.")
        )


@transaction.atomic
def new_issue(
    *, actor, series_code: str, day: date, number: int | None = None, is_demo: bool = False
) -> Issue:
    series = _series(actor, series_code, edit=True)
    issue = services.issue_new(series=series, day=day, number=number, is_demo=is_demo)
    _event(
        actor,
        "create",
        series=series,
        issue=issue,
        to_state="draft",
        data={"year": issue.year, "number": issue.number},
    )
    return issue


def _next_order(issue: Issue) -> int:
    return (issue.items.aggregate(n=Max("order"))["n"] or 0) + 1


@transaction.atomic
def place(*, actor, issue_id: int, submission_id: int) -> IssueItem:
    """Put an accepted item into a draft issue (its text is copied as accepted)."""
    issue = _issue_locked(actor, issue_id)
    _require_state(issue, "place")
    sub = _submission_locked(actor, submission_id)
    if sub.series_id != issue.series_id:
        raise InvalidInput("bulletin_other_series", _("That item was sent to another series."))
    if sub.state not in SUBMISSIONS["place"].sources:
        raise InvalidTransition(
            "bulletin_submission_not_accepted", _("Only accepted items go into an issue.")
        )
    item = IssueItem.objects.create(
        issue=issue,
        order=_next_order(issue),
        kind=IssueItem.Kind.SUBMITTED,
        submission=sub,
        title=sub.final_title or sub.title,
        body=sub.final_body or sub.body,
        unit_label=sub.unit_label,
        short=sub.short,
    )
    old = SUBMISSIONS.move(sub, "place")
    sub.issue = issue
    sub.save(update_fields=["state", "issue"])
    _event(actor, "place", issue=issue, submission=sub, from_state=old, to_state=sub.state)
    return item


@transaction.atomic
def compile_issue(*, actor, issue_id: int) -> Issue:
    """Place every accepted item of the series not yet used, in the order they came in."""
    issue = _issue_locked(actor, issue_id)
    _require_state(issue, "compile")
    waiting = list(
        issue.series.submissions.filter(state=Submission.State.ACCEPTED)
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in waiting:
        place(actor=actor, issue_id=issue.pk, submission_id=pk)
    _event(actor, "compile", issue=issue, data={"placed": len(waiting)})
    return issue


@transaction.atomic
def add_generated(
    *,
    actor,
    issue_id: int,
    generator: str,
    params: dict[str, Any],
    unit_label: str = "",
    short: bool = False,
) -> IssueItem:
    """A generated item: its figures come from the records each time the draft is shown and
    are frozen at publication. The parameters are checked by computing it once now."""
    issue = _issue_locked(actor, issue_id)
    _require_state(issue, "generate")
    params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    for param in ("place", "unit", "scheme", "series"):
        if param in params and not queries.generator_choice_allowed(actor, param, params[param]):
            raise InvalidInput(
                "bulletin_param_invalid", str(CHOOSE_FROM_LIST[param]), {"param": param}
            )
    generators.run(generator, params, issue.date)  # raises on bad parameters
    item = IssueItem.objects.create(
        issue=issue,
        order=_next_order(issue),
        kind=IssueItem.Kind.GENERATED,
        generator=generator,
        params=params,
        unit_label=unit_label[:60],
        short=short,
    )
    _event(actor, "generate", issue=issue, data={"generator": generator, "params": params})
    return item


@transaction.atomic
def remove_item(*, actor, item_id: int) -> Issue:
    item = IssueItem.objects.select_related("issue").filter(pk=item_id).first()
    if item is None:
        raise NotFound("bulletin_item_not_found", _("Item not found"))
    issue = _issue_locked(actor, item.issue_id)
    _require_state(issue, "remove")
    if item.submission_id:
        Submission.objects.filter(pk=item.submission_id).update(
            state=Submission.State.ACCEPTED, issue=None
        )
    _event(
        actor,
        "remove",
        issue=issue,
        submission=item.submission,
        data={"generator": item.generator, "title": item.title},
    )
    item.delete()
    return issue


@transaction.atomic
def set_recipients(
    *, actor, issue_id: int, send_to: str, distribute_to: str, editors: str
) -> Issue:
    issue = _issue_locked(actor, issue_id)
    _require_state(issue, "recipients")
    issue.send_to, issue.distribute_to, issue.editors = (
        send_to.strip()[:300],
        distribute_to.strip()[:300],
        editors.strip()[:100],
    )
    issue.save(update_fields=["send_to", "distribute_to", "editors"])
    _event(
        actor,
        "recipients",
        issue=issue,
        data={
            "send_to": issue.send_to,
            "distribute_to": issue.distribute_to,
            "editors": issue.editors,
        },
    )
    return issue


@transaction.atomic
def publish(*, actor, issue_id: int) -> Issue:
    """Freeze the generated items' text, tables and sources as they are now, and publish."""
    issue = _issue_locked(actor, issue_id)
    _require_state(issue, "publish")
    if not issue.items.exists():
        raise InvalidInput("bulletin_issue_empty", _("An issue needs at least one item."))
    frozen = {}
    for item in issue.items.filter(kind=IssueItem.Kind.GENERATED):
        g = generators.run(item.generator, item.params, issue.date)
        item.title, item.body, item.table, item.chart = g.title, g.body, g.table, g.chart
        item.sources = {**g.sources, "figures": g.figures}
        item.save(update_fields=["title", "body", "table", "chart", "sources"])
        frozen[item.pk] = g.figures
    old = ISSUES.move(issue, "publish")
    issue.published_at = clock.now()
    issue.save(update_fields=["state", "published_at"])
    _event(
        actor,
        "publish",
        issue=issue,
        from_state=old,
        to_state=issue.state,
        data={"frozen": {str(k): v for k, v in frozen.items()}},
    )
    return issue


def _notice_to_number(actor, kind: str, period: str, scheme: str | None):
    """(issuing unit, document) of a notice about to be numbered, after the actor's check:
    an assessment notice by its scheme's assessors, a supervision report (weekly / monthly
    / quarterly) by the supervisors, under the supervision office that issues the letters."""
    from cityloop.assessment import rules as assessment_rules
    from cityloop.bulletins import notices
    from cityloop.core.roles import OVERSEERS, has_any
    from cityloop.core.system import SYSTEM

    system = actor is SYSTEM
    if kind in notices.SUPERVISION:
        if not system and not has_any(actor, OVERSEERS):
            raise Forbidden(
                "notice_number_not_allowed", _("Only supervisors may number this notice.")
            )
        issuer = queries.supervision_issuer()
        if issuer is None:
            raise InvalidInput(
                "notice_issuer_missing",
                _("No supervision office issues letters yet, so none can number the report."),
            )
        return issuer, notices.notice(kind, period)
    s = notices.scheme_for_notice(kind, scheme)
    if not system and not assessment_rules.can_assess(actor, s):
        raise Forbidden(
            "notice_number_not_allowed", _("Only the scheme's assessors may number its notices.")
        )
    return s.owner, notices.notice(kind, period, scheme=s.code, actor=None if system else actor)


@transaction.atomic
def number_notice(*, actor, kind: str, period: str, scheme: str | None = None) -> NoticeNumber:
    """Give a notice (an assessment notice, a supervision report) its 发文字号 in the issuer's
    register: the next number of the issuer, kind and year. A notice already numbered keeps
    its number (asked twice, one number); a number once given is never given again (a
    database constraint holds it)."""
    from cityloop.bulletins import notices
    from cityloop.org.models import Unit

    issuer, doc = _notice_to_number(actor, kind, period, scheme)
    # One numbering at a time per issuer: the next number is read under this lock.
    Unit.objects.select_for_update().filter(pk=issuer.pk).first()
    found = NoticeNumber.objects.filter(key=doc.register_key).first()
    if found is not None:
        return found
    day = clock.today()
    last = NoticeNumber.objects.filter(issuer=issuer, kind=kind, year=day.year).aggregate(
        n=Max("number")
    )["n"]
    number = (last or 0) + 1
    row = NoticeNumber.objects.create(
        issuer=issuer,
        kind=kind,
        year=day.year,
        number=number,
        key=doc.register_key,
        reference=notices.reference_text(issuer, day.year, number),
        title=doc.heading[:200],
        issued_on=day,
    )
    events.record_on(
        row,
        actor=actor,
        verb="number",
        to_state="numbered",
        note=row.reference,
        data={"key": row.key, "title": row.title},
    )
    return row
