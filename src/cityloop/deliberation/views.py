"""Deliberation pages. Staff (``/deliberation/``): topics, one topic with its full trail and
the step forms, households and their import, the "1+1+1" coverage and documents. Residents
(``/topics/``, no account): the topics of their compound, opinions, the owner's code, the
ballot, the published resolution with its tally, the result and its rating.

Thin, as everywhere: the workflow decides; a refusal is shown as its message and changes
nothing; outside the reader's scope is 404.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityloop.core import documents as core_documents
from cityloop.core import import_progress, net
from cityloop.core.downloads import attachment
from cityloop.core.errors import DomainError, InvalidInput
from cityloop.core.exports import Column, wants_xlsx, xlsx_response
from cityloop.core.steps import attempt, found
from cityloop.deliberation import documents, queries, rules, services, workflow
from cityloop.deliberation.actions import TOPICS
from cityloop.deliberation.labels import (
    CHANNEL_LABELS,
    THRESHOLD_LABELS,
    VERB_LABELS,
)
from cityloop.deliberation.models import (
    Ballot,
    CharterDocument,
    Opinion,
    Rating,
    Topic,
    TopicDocument,
    TopicStep,
)
from cityloop.org import queries as org_queries
from cityloop.org.models import Place

SESSION_KEY = "deliberation_phone:%s"
UPLOAD_MAX = 5 * 1024 * 1024


def _trail(
    topic: Topic, *, public_only: bool = False, with_roll: bool = True
) -> list[tuple[Any, Any, str]]:
    """Events with their label and a short detail (unit, channel, ballot number); without
    the roll-call events for those who may not see who voted."""
    rows = []
    for e in queries.events(topic, public_only=public_only, with_roll=with_roll):
        d = e.data or {}
        channel = CHANNEL_LABELS.get(d.get("channel", ""), "")
        detail = " · ".join(str(p) for p in (d.get("household"), channel, d.get("ballot_no")) if p)
        rows.append((e, VERB_LABELS.get(e.verb, e.verb), detail))
    return rows


def _int(value: Any, code: str = "number_invalid") -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(code, _("Not a whole number: %(value)s") % {"value": value}) from None


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("date_invalid", _("Not a date: %(value)s") % {"value": value}) from None


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def ribbon(steps: dict[str, TopicStep]) -> list[tuple[str, str, str]]:
    """The eight steps with "done", "now" or nothing: the ribbon on both pages."""
    out = []
    for kind, label in TopicStep.Kind.choices:
        step = steps.get(kind)
        state = "" if step is None else ("done" if step.ended_at else "now")
        out.append((kind, label, state))
    return out


def choice_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The totals of each choice of a tally: by floor area and by owners (heads) for an
    owners' decision, by votes for a meeting. The same rows on the page and in the export."""
    if not result:
        return []
    labels = dict(Ballot.Choice.choices)
    if result.get("rule") == Topic.Rule.MEETING:
        votes = result.get("votes", {})
        return [
            {"key": c, "label": labels[c], "votes": votes.get(c, 0)} for c in Ballot.Choice.values
        ]
    area, heads = result.get("area", {}), result.get("heads", {})
    return [
        {"key": c, "label": labels[c], "area": area.get(c, "0"), "heads": heads.get(c, "0")}
        for c in Ballot.Choice.values
    ]


def tally_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The thresholds of a tally, labelled for people."""
    return [
        {**t, "label": THRESHOLD_LABELS.get(t["key"], t["key"])}
        for t in (result or {}).get("thresholds", [])
    ]


def resolution_panel(user, project) -> dict[str, Any] | None:
    """For the project page: the residents' resolution the project carries out — the topic,
    the question, the electorate and the frozen tally (public once the vote closed). The
    topic's own page is linked for those who may read it, the residents' page for all."""
    link = queries.resolution_of_project(project)
    if link is None:
        return None
    topic = link.topic
    vote = queries.vote_of(topic)
    result = queries.tally_or_empty(vote)
    resolution = topic.steps.filter(kind=TopicStep.Kind.PUBLISH_RESOLUTION).first()
    return {
        "topic": topic,
        "vote": vote,
        "result": result,
        "thresholds": tally_rows(result),
        "choice_totals": choice_rows(result),
        "resolution_text": resolution.text if resolution else "",
        "staff_url": reverse("deliberation:topic", args=[topic.pk])
        if queries.visible_topics(user).filter(pk=topic.pk).exists()
        else "",
        "public_url": reverse("topic-public", args=[topic.code]),
        "linked_at": link.linked_at,
    }


# --- staff: topics ----------------------------------------------------------------------------


def _manageable_places(user):
    return (
        org_queries.visible_places(user)
        .filter(kind__in=[Place.Kind.COMPOUND, Place.Kind.COMMUNITY])
        .select_related("parent")
        .order_by("path")[:500]
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        p = request.POST

        def create():
            place = org_queries.place_get(user, place_id=_int(p.get("place")) or 0)
            return services.topic_create(
                actor=user,
                place=place,
                title=p.get("title", ""),
                description=p.get("description", ""),
                rule=p.get("rule", ""),
            )

        try:
            topic = create()
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, _("Topic %(code)s opened for opinions.") % {"code": topic.code}
            )
            return redirect("deliberation:topic", topic_id=topic.pk)
    stage = request.GET.get("stage", "")
    rows = queries.topic_rows(user, stage=stage if stage in Topic.Stage.values else "")
    context = {
        "topics": rows[:200],
        "stage": stage,
        "stages": Topic.Stage.choices,
        "rules": Topic.Rule.choices,
        "places": _manageable_places(user),
        "current": "topics",
        "form": request.POST if request.method == "POST" else {},
    }
    return render(request, "deliberation/list.html", context)


@login_required
@require_GET
def topic_detail(request: HttpRequest, topic_id: int) -> HttpResponse:
    user = request.user
    topic = found(queries.topic_get, user, topic_id)
    vote = queries.vote_of(topic)
    # Sealed while open (rules.is_sealed): the page shows no count and no choice.
    result = queries.tally_or_empty(vote)
    compound = queries.place_compound(topic)
    owners_vote = vote is not None and vote.rule in Topic.Rule.owners()
    see_roll = owners_vote and rules.can_see_roll(user, vote)
    see_choices = owners_vote and rules.can_see_choices(user, vote)
    roll = queries.roll_rows(vote, with_choices=see_choices) if see_roll else []
    if wants_xlsx(request) and vote is not None:
        if request.GET.get("part") == "roll":
            if not see_roll:
                raise Http404(_("Not found"))
            return _roll_xlsx(topic, vote, roll, with_choices=see_choices)
        if rules.is_sealed(vote):
            messages.error(request, str(queries.sealed_error().message))
            return redirect("deliberation:topic", topic_id=topic.pk)
        return _tally_xlsx(topic, vote, result)
    can_manage = rules.can_manage(user, topic.place)
    context = {
        "topic": topic,
        "vote": vote,
        "sealed": rules.is_sealed(vote),
        "result": result,
        "thresholds": tally_rows(result),
        "choice_totals": choice_rows(result),
        "steps": (steps := {s.kind: s for s in topic.steps.all()}),
        "ribbon": ribbon(steps),
        "opinions": queries.opinions(topic),
        "events": _trail(topic, with_roll=vote is None or rules.can_see_roll(user, vote)),
        "actions": [(a, TOPICS.label(a)) for a in workflow.allowed_actions(user, topic)],
        "can_manage": can_manage,
        "can_opinion": rules.can_record_opinion(user, topic.place)
        and topic.stage in workflow.OPINION_STAGES,
        "can_read_register": compound is not None and rules.can_read_register(user, compound),
        "can_publish_choices": can_manage and owners_vote,
        "see_choices": see_choices,
        "choice_labels": dict(Ballot.Choice.choices),
        "channels": [c for c in Opinion.Channel.choices if c[0] != Opinion.Channel.MOBILE],
        "choices": Ballot.Choice.choices,
        # Unit labels only (for the opinion form): no names, areas or phones.
        "households": queries.households(compound) if compound else [],
        # The buildings and entrances of the register, for choosing the vote's electorate.
        "scopes": [
            (b, [(e, queries.scope_label(b, e)) for e in entrances])
            for b, entrances in queries.electorate_scopes(compound)
        ]
        if compound is not None and topic.stage == Topic.Stage.DELIBERATED
        else [],
        "roll": roll,
        "project_links": queries.project_links(topic),
        "linkable_projects": queries.linkable_projects(user, topic)
        if can_manage and vote is not None and vote.passed and topic.stage in workflow.PASSED_STAGES
        else [],
        "ratings": queries.rating_counts(topic),
        "rating_labels": dict(Rating.Score.choices),
        "public_url": reverse("topic-public", args=[topic.code]),
        "issued_code": request.session.pop("deliberation_issued_code", None),
        "issued_documents": _documents_panel(topic, vote) if can_manage else [],
    }
    return render(request, "deliberation/topic.html", context)


def _documents_panel(topic: Topic, vote) -> list[dict[str, Any]]:
    """The 决议 and 结果公告 an organiser may issue once the vote is counted (the 决议 only for
    a vote that passed), each with its 发文字号 once issued."""
    if vote is None or vote.closed_at is None:
        return []
    issued = queries.documents_of(topic)
    kinds = [TopicDocument.Kind.RESULT]
    if vote.passed:
        kinds.insert(0, TopicDocument.Kind.RESOLUTION)
    return [{"kind": k, "label": TopicDocument.Kind(k).label, "doc": issued.get(k)} for k in kinds]


@login_required
@require_http_methods(["GET", "POST"])
def topic_document(request: HttpRequest, topic_id: int, kind: str) -> HttpResponse:
    """A topic's 决议 or 结果公告: POST issues it (its number in the 发文登记), GET downloads the
    issued document as .docx or PDF with the optional 份号, 密级 and 附件 of the form. Only
    the organisers issue; an issued document is an announcement (counts, never a ballot), so
    whoever reads the topic may download it — the 发文登记 links it for every reader. Outside
    the reader's scope 404."""
    user = request.user
    topic = found(queries.topic_get, user, topic_id)
    if kind not in TopicDocument.Kind.values:
        raise Http404(_("Not found"))
    back = reverse("deliberation:topic", args=[topic.pk])
    if request.method == "POST":
        if not rules.can_manage(user, topic.place):
            raise PermissionDenied
        try:
            doc = workflow.issue_document(actor=user, topic_id=topic.pk, kind=kind)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Issued as %(reference)s.") % {"reference": doc.reference})
        return redirect(back)
    doc = queries.document_of(topic, kind)
    if doc is None:
        raise Http404(_("Not found"))
    g = request.GET
    fmt = g.get("format", "docx")
    try:
        extras = core_documents.marks_from(
            g.get("copy_number", ""), g.get("secrecy", ""), g.get("attachments", "")
        )
        body, ctype, name = documents.render(doc, fmt, **extras)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    core_documents.issued(kind, doc.pk, fmt, body)  # into the 发文登记
    return attachment(body, ctype, name)


def _tally_xlsx(topic: Topic, vote, result: dict[str, Any]) -> HttpResponse:
    """The count of a vote: each choice's totals, then every threshold with its numbers."""
    totals = choice_rows(result)
    if vote.rule == Topic.Rule.MEETING:
        columns = [Column(_("Choice"), 16), Column(_("Votes"), 12)]
        rows: list[list[Any]] = [[t["label"], int(t["votes"])] for t in totals]
    else:
        columns = [Column(_("Choice"), 16), Column(_("Floor area (m²)"), 18)]
        columns.append(Column(_("Owners (heads)"), 14))
        rows = [[t["label"], float(t["area"]), float(t["heads"])] for t in totals]
    rows.append([_("Electorate: %(scope)s") % {"scope": vote.scope_label}])
    return xlsx_response(f"{topic.code}-{_('Tally')}", _("Tally"), columns, rows)


def _roll_xlsx(
    topic: Topic, vote, roll: list[queries.RollRow], *, with_choices: bool = False
) -> HttpResponse:
    """Who voted, by which channel and when; what they chose only after the vote closed and
    for those who may see it (the same rows as the page)."""
    labels = dict(Ballot.Choice.choices)
    columns = [
        Column(_("Dwelling"), 20),
        Column(_("Floor area (m²)"), 14),
        Column(_("Owners"), 24),
        Column(_("Voting channel"), 12),
        Column(_("Voted at"), 18),
        Column(_("Signed by"), 14),
    ]
    if with_choices:
        columns.append(Column(_("Choice"), 10))
    rows = [
        [
            r.household.label,
            r.area,
            "、".join(r.owners),
            CHANNEL_LABELS.get(r.channel, "") if r.channel else "",
            r.cast_at,
            r.voter,
        ]
        + ([labels.get(r.choice, "")] if with_choices else [])
        for r in roll
    ]
    rows.append([_("Electorate: %(scope)s") % {"scope": vote.scope_label}])
    return xlsx_response(f"{topic.code}-{_('Roll')}", _("Roll"), columns, rows)


def _scope_form(p) -> dict[str, Any]:
    """The electorate chosen on the vote-opening form: one select whose values are
    ``compound``, ``building:<building>``, ``entrance:<building>:<entrance>`` or ``units``
    (then the ticked ``units``); the workflow checks it against the compound."""
    kind, _sep, rest = (p.get("scope") or "compound").partition(":")
    if kind == "building":
        return {"electorate": kind, "building": rest}
    if kind == "entrance":
        building, _sep, entrance = rest.rpartition(":")
        return {"electorate": kind, "building": building, "entrance": entrance}
    if kind == "units":
        ids = [_int(v, "electorate_units_invalid") for v in p.getlist("units") if v]
        return {"electorate": kind, "household_ids": ids}
    return {"electorate": kind}


@login_required
@require_POST
def topic_action(request: HttpRequest, topic_id: int, action: str) -> HttpResponse:
    user, p = request.user, request.POST
    back = reverse("deliberation:topic", args=[topic_id])
    calls: dict[str, Callable[[], Any]] = {
        "propose": lambda: workflow.propose(
            actor=user,
            topic_id=topic_id,
            proposal=p.get("text", ""),
            body=p.get("body", ""),
            held_on=_date(p.get("held_on")),
            participants=p.get("participants", ""),
            documents=_lines(p.get("documents", "")),
        ),
        "deliberate": lambda: workflow.deliberate(
            actor=user,
            topic_id=topic_id,
            minutes=p.get("text", ""),
            amendments=p.get("amendments", ""),
            participants=p.get("participants", ""),
            attendance=_int(p.get("attendance")),
            held_on=_date(p.get("held_on")),
            documents=_lines(p.get("documents", "")),
        ),
        "open_vote": lambda: workflow.open_vote(
            actor=user,
            topic_id=topic_id,
            question=p.get("text", ""),
            closes_on=_date(p.get("closes_on")),
            **_scope_form(p),
        ),
        "close_vote": lambda: workflow.close_vote(
            actor=user,
            topic_id=topic_id,
            attendees=_int(p.get("attendees")),
            votes_for=_int(p.get("votes_for")),
            votes_against=_int(p.get("votes_against")),
            note=p.get("note", ""),
        ),
        "publish_resolution": lambda: workflow.publish_resolution(
            actor=user,
            topic_id=topic_id,
            resolution=p.get("text", ""),
            notice_days=_int(p.get("notice_days")),
            documents=_lines(p.get("documents", "")),
        ),
        "start_implementation": lambda: workflow.start_implementation(
            actor=user, topic_id=topic_id, note=p.get("note", "")
        ),
        "publish_result": lambda: workflow.publish_result(
            actor=user,
            topic_id=topic_id,
            result=p.get("text", ""),
            notice_days=_int(p.get("notice_days")),
            documents=_lines(p.get("documents", "")),
        ),
        "close": lambda: workflow.close(actor=user, topic_id=topic_id, note=p.get("note", "")),
        "withdraw": lambda: workflow.withdraw(
            actor=user, topic_id=topic_id, reason=p.get("note", "")
        ),
        "opinion": lambda: workflow.opinion_record(
            actor=user,
            topic_id=topic_id,
            channel=p.get("channel", ""),
            text_body=p.get("text", ""),
            author=p.get("author", ""),
            household_id=_int(p.get("household")),
        ),
        "ballot": lambda: workflow.ballot_paper(
            actor=user,
            topic_id=topic_id,
            household_id=_int(p.get("household")) or 0,
            choice=p.get("choice", ""),
            ballot_no=p.get("ballot_no", ""),
            voter_name=p.get("voter_name", ""),
            by_proxy=p.get("by_proxy") == "on",
        ),
        "proxy": lambda: workflow.proxy_register(
            actor=user,
            topic_id=topic_id,
            household_id=_int(p.get("household")) or 0,
            name=p.get("name", ""),
            phone=p.get("phone", ""),
            document=p.get("document", ""),
        ),
        "owner_code": lambda: workflow.access_issue(
            actor=user, topic_id=topic_id, phone=p.get("phone", "")
        ),
        "link_project": lambda: workflow.link_project(
            actor=user,
            topic_id=topic_id,
            project_id=_int(p.get("project")) or 0,
            note=p.get("note", ""),
        ),
        "publish_choices": lambda: workflow.vote_publish_choices(
            actor=user,
            topic_id=topic_id,
            publish=p.get("publish") == "on",
            note=p.get("note", ""),
        ),
    }
    if action not in calls:
        raise Http404(_("Unknown action"))
    outcome = attempt(request, calls[action], "" if action == "owner_code" else _("Done."))
    if action == "owner_code" and outcome:
        # Shown once on the next page, never stored in clear.
        request.session["deliberation_issued_code"] = {"phone": p.get("phone", ""), "code": outcome}
    return HttpResponseRedirect(back)


# --- staff: households -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def households(request: HttpRequest, place_id: int) -> HttpResponse:
    user = request.user
    compound = _register_of(user, place_id)
    if request.method == "GET" and wants_xlsx(request):
        return _households_xlsx(compound)
    report = None
    refused = False
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size > UPLOAD_MAX:
            refused = True
            messages.error(request, _("Choose an .xlsx or .csv file of at most 5 MB."))
        else:
            suffix = Path(upload.name).suffix.lower()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"households{suffix}"
                path.write_bytes(upload.read())
                token = request.POST.get("progress_token")
                try:
                    report = services.households_import(
                        actor=user,
                        compound=compound,
                        path=path,
                        dry_run=request.POST.get("dry_run") == "on",
                        progress=import_progress.reporter(user, token),
                    )
                except DomainError as exc:
                    refused = True
                    messages.error(request, str(exc.message))
                    import_progress.finish(user, token, ok=False, summary=str(exc.message))
                else:
                    import_progress.finish(user, token, ok=report.ok, summary=report.summary())
            if report is not None and report.ok:
                messages.success(request, report.summary())
            elif report is not None:
                refused = True
    rows = list(queries.households(compound))
    for h in rows:
        for o in h.owners.all():  # prefetched: the attribute stays on the row shown
            o.masked_phone = queries.mask_phone(o.phone)
    total = sum((h.area for h in rows if h.eligible), start=0)
    shown = None
    if request.method == "GET":  # shown once, on the page right after "Show number"
        shown = request.session.pop("deliberation_shown_phone", None)
    context = {
        "shown": shown,
        "compound": compound,
        "households": rows,
        "total_area": total,
        "report": report,
        "errors": report.sorted_errors() if report else [],
        "can_manage": rules.can_manage(user, compound),
        "progress_token": import_progress.new_token(),
        "current": "topics",
    }
    return render(request, "deliberation/households.html", context, status=400 if refused else 200)


@login_required
@require_GET
def households_progress(request: HttpRequest, place_id: int) -> HttpResponse:
    """The progress fragment of the import this account is sending to the register."""
    compound = _register_of(request.user, place_id)
    if not rules.can_manage(request.user, compound):
        raise Http404
    progress = import_progress.read(request.user, request.GET.get("token"))
    response = render(request, "core/_import_progress.html", {"progress": progress})
    response["Cache-Control"] = "no-store"
    return response


def _register_of(user, place_id: int) -> Place:
    """The compound whose owners register ``user`` may read; 404 otherwise, exactly as for a
    compound outside the scope (the register's existence is not told)."""
    compound = found(org_queries.place_get, user, place_id=place_id)
    if compound.kind != Place.Kind.COMPOUND or not rules.can_read_register(user, compound):
        raise Http404(_("Not found"))
    return compound


@login_required
@require_POST
def phone_show(request: HttpRequest, place_id: int, owner_id: int) -> HttpResponse:
    """显示号码: one owner's full number, shown once on the next page; each showing is
    recorded (``phone_shown``)."""
    user = request.user
    compound = _register_of(user, place_id)
    phone = found(workflow.phone_show, actor=user, compound=compound, owner_id=owner_id)
    request.session["deliberation_shown_phone"] = {"owner": owner_id, "phone": phone}
    back = reverse("deliberation:households", args=[compound.pk])
    return HttpResponseRedirect(f"{back}#owner-{owner_id}")


def _households_xlsx(compound: Place) -> HttpResponse:
    """The page's list: unit, area, owners and their phones, masked as on every list."""
    columns = [
        Column(_("Dwelling"), 20),
        Column(_("Floor area (m²)"), 14),
        Column(_("Owners"), 24),
        Column(_("Phone"), 28),
        Column(_("May vote"), 10),
        Column(_("Note"), 20),
    ]
    rows = (
        [
            h.label,
            h.area,
            "、".join(o.name for o in h.owners.all()),
            "、".join(queries.mask_phone(o.phone) for o in h.owners.all() if o.phone),
            h.eligible,
            h.note,
        ]
        for h in queries.households(compound)
    )
    return xlsx_response(
        f"{compound.name}-{_('Households and owners')}",
        _("Households and owners"),
        columns,
        rows,
    )


# The example row of the import template: two co-owners of one unit, their keys and phones
# in the same order as their names.
TEMPLATE_EXAMPLE = {
    "building": "1号楼",
    "entrance": "1",
    "room": "101",
    "area": "98.50",
    "owners": "王建国、李华",
    "keys": "W1、L1",
    "phones": "13900000001、13900000002",
    "eligible": "是",
    "note": "",
}


@login_required
@require_GET
def households_template(request: HttpRequest) -> HttpResponse:
    """An empty import sheet with the exact headers the import reads and one example row."""
    spec = services.HOUSEHOLD_SPEC.columns
    columns = [Column(c.label, 24 if c.name in ("owners", "keys", "phones") else 12) for c in spec]
    rows = [[TEMPLATE_EXAMPLE[c.name] for c in spec]]
    return xlsx_response(_("Households import template"), _("Households"), columns, rows)


# --- staff: 1+1+1 ------------------------------------------------------------------------------


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    data = queries.coverage(request.user)
    context = {
        "rows": data["rows"],
        "summary": data["summary"],
        "kinds": CharterDocument.Kind.choices,
        "current": "charter",
    }
    return render(request, "deliberation/coverage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def charter(request: HttpRequest, place_id: int) -> HttpResponse:
    user = request.user
    place = found(org_queries.place_get, user, place_id=place_id)
    if request.method == "POST":
        p = request.POST

        def publish():
            photo = ""
            upload = request.FILES.get("photo")
            if upload is not None:
                from cityloop.core.photos import store_photos

                stored = store_photos([(upload.name, upload.read())])
                photo = stored[0].file if stored else ""
            return services.document_publish(
                actor=user,
                place=place,
                kind=p.get("kind", ""),
                title=p.get("title", ""),
                text_body=p.get("text", ""),
                adopted_on=_date(p.get("adopted_on")),
                address=p.get("address", ""),
                capacity=_int(p.get("capacity")),
                photo=photo,
            )

        if attempt(request, publish, _("New version adopted.")):
            return redirect("deliberation:charter", place_id=place.pk)
    context = {
        "place": place,
        "current_docs": queries.current_documents(place),
        "history": queries.document_history(place),
        "kinds": CharterDocument.Kind.choices,
        "can_manage": rules.can_manage(user, place),
        "current": "charter",
    }
    return render(request, "deliberation/charter.html", context)


# --- public pages ------------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Residents pick their compound and see its topics (and its community's)."""
    code = (request.GET.get("compound") or "").strip()
    compound = (
        Place.objects.filter(code=code, kind=Place.Kind.COMPOUND).select_related("parent").first()
        if code
        else None
    )
    context = {
        "compound": compound,
        "topics": queries.public_topics(compound) if compound else [],
        "compounds": [] if compound else queries.public_compounds(request.GET.get("q", "")),
        "q": request.GET.get("q", ""),
    }
    return render(request, "deliberation/public_list.html", context)


def _phone_of(request: HttpRequest, topic: Topic) -> str:
    return request.session.get(SESSION_KEY % topic.code, "")


@require_GET
def public_topic(request: HttpRequest, code: str) -> HttpResponse:
    topic = found(queries.public_topic, code)
    vote = queries.vote_of(topic)
    phone = _phone_of(request, topic)
    units = queries.phone_units(topic, phone) if phone and vote else []
    voted = dict(vote.ballots.values_list("household_id", "channel")) if vote else {}
    steps = {s.kind: s for s in topic.steps.all()}
    public_result = topic.stage in queries.RESOLUTION_PUBLIC and vote and vote.closed_at
    context = {
        "topic": topic,
        "vote": vote,
        "steps": steps,
        "ribbon": ribbon(steps),
        "phone": phone,
        "masked": queries.mask_phone(phone),
        "units": [(h, proxy, voted.get(h.pk, "")) for h, proxy in units],
        "collecting": topic.stage in workflow.OPINION_STAGES,
        "voting": topic.stage == Topic.Stage.VOTING and topic.rule in Topic.Rule.owners(),
        "rating_open": topic.stage == Topic.Stage.RESULT_PUBLISHED,
        "resolution_public": bool(public_result),
        "result": vote.result if public_result else {},
        "thresholds": tally_rows(vote.result) if public_result else [],
        "choice_totals": choice_rows(vote.result) if public_result else [],
        "choices": Ballot.Choice.choices,
        "scores": Rating.Score.choices,
        "ratings": queries.rating_counts(topic),
        "events": _trail(topic, public_only=True),
        "owners_vote": topic.rule in Topic.Rule.owners(),
        "pending_phone": request.session.get("deliberation_pending_phone", ""),
        "published_choices": queries.published_choices(vote) if public_result else [],
        "choice_labels": dict(Ballot.Choice.choices),
    }
    return render(request, "deliberation/public_topic.html", context)


def _back(code: str, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("topic-public", args=[code]) + anchor)


@require_POST
def public_opinion(request: HttpRequest, code: str) -> HttpResponse:
    topic = found(queries.public_topic, code)
    attempt(
        request,
        lambda: workflow.opinion_public(
            code=code,
            text_body=request.POST.get("text", ""),
            author=request.POST.get("author", ""),
            phone=_phone_of(request, topic),
        ),
        _("Thank you: your opinion was recorded."),
    )
    return _back(code, "#opinion")


@require_POST
def public_code(request: HttpRequest, code: str) -> HttpResponse:
    """Ask for a code (SMS), or enter one (from the SMS or from staff)."""
    topic = found(queries.public_topic, code)
    phone = request.POST.get("phone", "")
    if request.POST.get("secret"):
        proven = attempt(
            request,
            lambda: workflow.access_verify(
                code=code, phone=phone, secret=request.POST.get("secret", "")
            ),
            _("Your number is verified."),
        )
        if proven:
            request.session[SESSION_KEY % topic.code] = proven
        return _back(code, "#owner")
    if not request.session.session_key:
        request.session.save()  # a key to count this browser's requests by
    attempt(
        request,
        lambda: workflow.access_request(
            code=code,
            phone=phone,
            address=net.client_address(request),
            session=request.session.session_key or "",
        ),
        _("If this number is registered for an owner of this compound, a code was sent to it."),
    )
    request.session["deliberation_pending_phone"] = phone
    return _back(code, "#owner")


@require_POST
def public_vote(request: HttpRequest, code: str) -> HttpResponse:
    topic = found(queries.public_topic, code)
    phone = _phone_of(request, topic)
    if not phone:
        messages.error(request, _("Verify your phone number first."))
        return _back(code, "#owner")

    def cast():
        return workflow.ballot_mobile(
            code=code,
            phone=phone,
            household_id=_int(request.POST.get("household")) or 0,
            choice=request.POST.get("choice", ""),
        )

    attempt(request, cast, _("Your vote was recorded."))
    return _back(code, "#owner")


@require_POST
def public_rate(request: HttpRequest, code: str) -> HttpResponse:
    topic = found(queries.public_topic, code)
    phone = _phone_of(request, topic)
    if not phone:
        messages.error(request, _("Verify your phone number first."))
        return _back(code, "#owner")
    attempt(
        request,
        lambda: workflow.rate(
            code=code,
            phone=phone,
            score=request.POST.get("score", ""),
            note=request.POST.get("note", ""),
        ),
        _("Thank you for rating the result."),
    )
    return _back(code, "#rate")
