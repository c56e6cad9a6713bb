"""Bulletin pages: series with their issues and review queue, an issue shown as the
document (with Word/PDF downloads, compile and publish), a submission, the submit form,
and periodic notices as downloads."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from cityloop.bulletins import (
    document,
    generators,
    notices,
    pickers,
    queries,
    rules,
    services,
    workflow,
)
from cityloop.bulletins import render as rendering
from cityloop.bulletins.labels import VOCABULARY
from cityloop.core import clock, exports
from cityloop.core import documents as gw
from cityloop.core.downloads import attachment
from cityloop.core.errors import DomainError, InvalidInput, NotFound
from cityloop.core.steps import attempt, found
from cityloop.org import queries as org_queries


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        p = request.POST
        action = p.get("action")
        if action == "submit":
            unit = org_queries.visible_units(user).filter(pk=p.get("unit") or 0).first()
            attempt(
                request,
                lambda: workflow.submit(
                    actor=user,
                    series_code=p.get("series", ""),
                    unit=unit,
                    title=p.get("title", ""),
                    body=p.get("body", ""),
                    byline=p.get("byline", ""),
                    short=p.get("short") == "1",
                ),
                _("Item submitted for review."),
            )
        elif action in ("accept", "edit", "reject"):
            attempt(
                request,
                lambda: workflow.review(
                    actor=user,
                    submission_id=int(p.get("submission") or 0),
                    action=action,
                    note=p.get("note", ""),
                    title=p.get("title") if action == "edit" else None,
                    body=p.get("body") if action == "edit" else None,
                ),
                _("Review saved."),
            )
        elif action == "new_issue":
            try:
                _new_issue(user, p)
            except NotFound as exc:
                raise Http404(str(exc.message)) from exc
            except DomainError as exc:
                messages.error(request, str(exc.message))
                return _index_page(request, new_issue_post=p, status=400)
            messages.success(request, _("Draft issue created."))
        return HttpResponseRedirect(reverse("bulletins:index"))
    return _index_page(request)


def _new_issue(user, p) -> None:
    """The new-issue form: the date as a date, the number as a number (empty: the next)."""
    try:
        day = date.fromisoformat(p.get("date") or "")
    except ValueError:
        raise InvalidInput(
            "bulletin_date_invalid", _("Give the issue's date as YYYY-MM-DD.")
        ) from None
    raw = (p.get("number") or "").strip()
    if raw and not raw.isdigit():
        raise InvalidInput("bulletin_number_invalid", _("An issue number is 1 or more."))
    workflow.new_issue(
        actor=user, series_code=p.get("series", ""), day=day, number=int(raw) if raw else None
    )


def _new_issue_form(user, post=None) -> dict | None:
    """The series the user edits (by title), each with its next number per year, the date
    (today) and the proposed number for the first series; a refused form keeps its values."""
    editable = queries.editable_series(user)
    if not editable:
        return None
    today = clock.today()
    chosen = (post or {}).get("series") or editable[0].code
    series = next((s for s in editable if s.code == chosen), editable[0])
    options = [
        {
            "code": s.code,
            "title": s.title,
            "numbers": json.dumps({str(y): n for y, n in queries.numbers_by_year(s).items()}),
            "selected": s.code == series.code,
        }
        for s in editable
    ]
    if post is not None:
        return {"series": options, "date": post.get("date", ""), "number": post.get("number", "")}
    return {
        "series": options,
        "date": today.isoformat(),
        "number": queries.next_number(series, today.year),
    }


def _index_page(request: HttpRequest, *, new_issue_post=None, status: int = 200) -> HttpResponse:
    user = request.user
    series = queries.visible_series(user)
    return render(
        request,
        "bulletins/index.html",
        {
            "new_issue": _new_issue_form(user, new_issue_post),
            "rows": [
                {
                    "series": s,
                    "editor": rules.can_edit(user, s),
                    "issues": queries.visible_issues(user)
                    .filter(series=s)
                    .order_by("-year", "-number")[:20],
                    "queue": queries.review_queue(user, s),
                }
                for s in series
            ],
            "mine": queries.visible_submissions(user).order_by("-submitted_at")[:20],
            "units": [
                u
                for u in org_queries.visible_units(user).order_by("path")[:200]
                if rules.can_submit(user, u)
            ],
            "notice_kinds": list(notices.KIND_LABELS.items()),
            "notice_schemes": notices.schemes_for(user),
        },
        status=status,
    )


@login_required
def issue(request: HttpRequest, issue_id: int) -> HttpResponse:
    user = request.user
    obj = found(queries.issue_get, user, issue_id)
    if request.method == "POST":
        p = request.POST
        action = p.get("action")
        if action == "compile":
            attempt(
                request,
                lambda: workflow.compile_issue(actor=user, issue_id=obj.pk),
                _("Accepted items placed."),
            )
        elif action == "publish":
            attempt(
                request,
                lambda: workflow.publish(actor=user, issue_id=obj.pk),
                _("Issue published; its figures are frozen."),
            )
        elif action == "generate":
            name = p.get("generator", "")
            params = pickers.posted_params(name, p)
            if p.get("title", "").strip():
                params["title"] = p["title"].strip()
            try:
                workflow.add_generated(
                    actor=user,
                    issue_id=obj.pk,
                    generator=name,
                    params=params,
                    unit_label=p.get("unit_label", "").strip(),
                )
            except NotFound as exc:
                raise Http404(str(exc.message)) from exc
            except DomainError as exc:
                messages.error(request, str(exc.message))
                return _issue_page(request, obj, post=p, status=400)
            messages.success(request, _("Generated item added."))
            here = reverse("bulletins:issue", args=[obj.pk])
            return HttpResponseRedirect(f"{here}?{urlencode({'generator': name})}#add-generated")
        elif action == "remove":
            attempt(
                request,
                lambda: workflow.remove_item(actor=user, item_id=int(p.get("item") or 0)),
                _("Item removed."),
            )
        return HttpResponseRedirect(reverse("bulletins:issue", args=[obj.pk]))
    return _issue_page(request, obj)


def _issue_page(request: HttpRequest, obj, *, post=None, status: int = 200) -> HttpResponse:
    user = request.user
    try:
        doc = document.from_issue(obj)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        doc = None
    placed = queries.items_of(obj)
    live = doc.items if doc else [None] * len(placed)
    editor = bool(rules.issue_actions(user, obj))  # the editing parts: the registry's
    return render(
        request,
        "bulletins/issue.html",
        {
            "issue": obj,
            "editor": editor,
            "placed": [
                {
                    "item": it,
                    "what": generators.label_of(it.generator)
                    if it.kind == it.Kind.GENERATED
                    else it.get_kind_display(),
                    "title": (d.title if d else it.title) or it.title or it.body[:30],
                }
                for it, d in zip(placed, live, strict=True)
            ],
            "generator_forms": pickers.generator_forms(
                user, obj.date, post, chosen=request.GET.get("generator", "")
            )
            if editor
            else [],
            "post": post or {},
            **(rendering.fragment_context(doc) if doc else {}),
        },
        status=status,
    )


@login_required
@require_GET
def issue_file(request: HttpRequest, issue_id: int, ext: str) -> HttpResponse:
    obj = found(queries.issue_get, request.user, issue_id)
    try:
        body, ctype, name = rendering.render(
            document.from_issue(obj), ext, template=obj.series.docx_template
        )
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc
    if obj.state == obj.State.PUBLISHED:
        services.fingerprint("bulletin", obj.pk, ext, body)
    return attachment(body, ctype, name)


@login_required
@require_GET
def submission(request: HttpRequest, submission_id: int) -> HttpResponse:
    sub = found(queries.submission_get, request.user, submission_id)
    return render(
        request,
        "bulletins/submission.html",
        {"sub": sub, "timeline": VOCABULARY.timeline(sub.events.all())},
    )


@login_required
@require_GET
def notice_file(request: HttpRequest) -> HttpResponse:
    g = request.GET
    try:
        doc = notices.notice(
            g.get("kind", ""),
            g.get("period", ""),
            scheme=g.get("scheme") or None,
            actor=request.user,
        )
        fmt = g.get("format", "docx")
        marks = gw.marks_from(*gw.marks_given(g))  # the optional 份号, 密级 and 附件
        body, ctype, name = rendering.render(dataclasses.replace(doc, **marks), fmt)
    except DomainError as exc:  # not found included: the form's choice, said on the form
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("bulletins:index"))
    numbered = queries.numbered_notice_id(doc.register_key)
    if numbered is not None:
        services.fingerprint("notice", numbered, fmt, body)
    return attachment(body, ctype, name)


REGISTER_PAGE = 50
REGISTER_KIND_LABELS = {
    "notice": _lazy("Notice"),
    "letter": _lazy("Urging letter"),
    "bulletin": _lazy("Bulletin issue"),
    "minutes": _lazy("Meeting minutes"),
    "resolution": _lazy("Residents' resolution"),
    "result": _lazy("Vote result announcement"),
}
REGISTER_COLUMNS = (
    exports.Column(_lazy("Document kind"), 10),
    exports.Column(_lazy("Reference number"), 26),
    exports.Column(_lazy("Document title"), 40),
    exports.Column(_lazy("Issuing unit"), 20),
    exports.Column(_lazy("Addressed to"), 24),
    exports.Column(_lazy("Date written"), 12),
    exports.Column(_lazy("SHA-256 (.docx)"), 66),
    exports.Column(_lazy("SHA-256 (.pdf)"), 66),
)


def _register_filter(g) -> queries.RegisterFilter:
    def number(raw: str) -> int | None:
        raw = (raw or "").strip()
        return int(raw) if raw.isdigit() else None

    kind = g.get("kind", "")
    return queries.RegisterFilter(
        q=g.get("q", "").strip(),
        kind=kind if kind in queries.REGISTER_KINDS else "",
        year=number(g.get("year", "")),
        issuer=number(g.get("issuer", "")),
    )


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """发文登记: every document the reader's units issued, searchable, paged, exportable."""
    user = request.user
    if not rules.may_read_register(user):
        raise PermissionDenied
    flt = _register_filter(request.GET)
    if exports.wants_xlsx(request):
        rows = queries.register_rows(user, flt, limit=exports.MAX_ROWS)
        return exports.xlsx_response(
            _("Document register"),
            _("Document register"),
            REGISTER_COLUMNS,
            (
                [
                    str(REGISTER_KIND_LABELS[r.kind]),
                    r.reference,
                    r.title,
                    r.issuer,
                    r.addressees,
                    r.day,
                    r.hashes.get("docx", ""),
                    r.hashes.get("pdf", ""),
                ]
                for r in rows
            ),
        )
    try:
        before = queries.parse_register_cursor(request.GET.get("before", ""))
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc
    rows = queries.register_rows(user, flt, before=before, limit=REGISTER_PAGE + 1)
    more = len(rows) > REGISTER_PAGE
    rows = rows[:REGISTER_PAGE]
    keep = {k: v for k, v in request.GET.items() if k in ("q", "kind", "year", "issuer") and v}
    return render(
        request,
        "bulletins/register.html",
        {
            "rows": [{"row": r, "label": REGISTER_KIND_LABELS[r.kind]} for r in rows],
            "flt": flt,
            "kinds": list(REGISTER_KIND_LABELS.items()),
            "issuers": queries.register_issuers(user),
            "query": urlencode(keep),
            "next_cursor": rows[-1].cursor if more else "",
            "may_set_letterhead": bool(queries.letterhead_units(user)),
        },
    )


@login_required
def letterhead(request: HttpRequest) -> HttpResponse:
    """An issuing unit's letterhead: red header, abbreviation, 主送 / 抄送, signature."""
    user = request.user
    units = queries.letterhead_units(user)
    if not units:
        raise PermissionDenied
    if request.method == "POST":
        p = request.POST
        raw = p.get("unit") or ""
        unit_id = int(raw) if raw.isdigit() else 0
        upload = request.FILES.get("template")
        try:
            services.letterhead_save(
                actor=user,
                unit_id=unit_id,
                values={f: p.get(f, "") for f in services.LETTERHEAD_FIELDS},
                template=upload.read() if upload else None,
                template_name=upload.name if upload else "",
                remove_template=p.get("remove_template") == "1",
            )
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Letterhead saved."))
        return HttpResponseRedirect(
            f"{reverse('bulletins:letterhead')}?{urlencode({'unit': unit_id})}"
        )
    raw = request.GET.get("unit") or ""
    unit = next((u for u in units if str(u.pk) == raw), units[0])
    return render(
        request,
        "bulletins/letterhead.html",
        {"units": units, "unit": unit, "lh": queries.letterhead_of(unit)},
    )


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@require_GET
def letterhead_template(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The issuing unit's uploaded Word template, as it was uploaded (to edit it in Word)."""
    unit = found(queries.letterhead_unit, request.user, unit_id)
    blob, name = queries.letterhead_template_file(unit)
    if not blob:
        raise Http404(_("No template uploaded"))
    return attachment(blob, DOCX_TYPE, name)


@login_required
@require_GET
def letterhead_preview(request: HttpRequest, unit_id: int, ext: str) -> HttpResponse:
    """A sample notice in the unit's letterhead (and, in Word, its template), not issued."""
    from cityloop.bulletins import preview

    unit = found(queries.letterhead_unit, request.user, unit_id)
    if ext == "docx":
        body, ctype = preview.sample_docx(unit), DOCX_TYPE
    elif ext == "pdf":
        body, ctype = preview.sample_pdf(unit), "application/pdf"
    else:
        raise Http404(_("Not found"))
    return attachment(body, ctype, f"{unit.name}-样稿.{ext}")
