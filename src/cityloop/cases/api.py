"""The case loop over the API: categories, intake, lists, detail, timeline, actions, figures.

Handlers parse, resolve ids to objects through scoped queries, call the workflow or a query,
and shape the answer. A case outside the caller's scope is 404 ``case_not_found``; an action
not allowed in the case's state is 409 ``case_bad_state``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from cityloop.cases import actions, queries, workflow
from cityloop.cases.models import Case, Category
from cityloop.cases.schemas import (
    ActionIn,
    CaseBulkIn,
    CaseBulkOut,
    CaseEventOut,
    CaseOut,
    CasePage,
    CategoryOut,
    DuplicateOut,
    FigureCasesOut,
    FiguresOut,
    ReportIn,
    UploadOut,
)
from cityloop.core import clock, events, openapi, photos
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.core.schemas import API_ERRORS, ErrorOut, Limit, Offset, ref
from cityloop.org import queries as org_queries

router = Router(tags=["cases"])

ERRORS = API_ERRORS


# --- shaping -----------------------------------------------------------------------------------


def _photo(p) -> dict[str, Any]:
    return {
        "id": p.pk,
        "step": p.step,
        "url": reverse("case-photo", args=[p.pk]),
        "width": p.width,
        "height": p.height,
    }


def case_out(user, case: Case, *, photos: list | None = None) -> dict[str, Any]:
    """The API's case. ``photos``: the case's photos when the caller has them in hand."""
    cat = case.category
    return {
        **{
            f: getattr(case, f)
            for f in (
                "id code status source title description level lng lat address stage light "
                "warn_at due_at handle_due_at reported_at accepted_at dispatched_at replied_at "
                "closed_at closed_on_time handling_hours rework_count reopen_count escalations "
                "extensions heat satisfaction result pending_request public_summary"
            ).split()
        },
        "status_label": str(Case.Status(case.status).label),
        "category": ref(cat),
        "main_category": ref(cat.parent) if cat is not None else None,
        "place": ref(case.place),
        "road": ref(case.road),
        "grid": ref(case.grid),
        "dispatcher_unit": ref(case.dispatcher_unit),
        "responsible_unit": ref(case.responsible_unit),
        "assisting_units": [ref(u) for u in case.assisting_units.all()],
        "master_code": case.master.code if case.master_id else "",
        "allowed_actions": workflow.allowed_actions(user, case),
        "photos": [_photo(p) for p in _photos_of(case, photos)],
    }


def _photos_of(case: Case, photos: list | None) -> list:
    if photos is not None:
        return photos
    if getattr(case, "has_photos", None) is False:  # known with the row: none to read
        return []
    return list(case.photos.all())


def _row(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "code": case.code,
        "status": case.status,
        "source": case.source,
        "title": case.title,
        "category": str(case.category) if case.category_id else "",
        "place": case.place.name if case.place_id else "",
        "responsible_unit": case.responsible_unit.name if case.responsible_unit_id else "",
        "light": case.light,
        "due_at": case.due_at,
        "reported_at": case.reported_at,
        "heat": case.heat,
    }


def _category_out(c: Category, children: list[Category]) -> dict[str, Any]:
    return {
        "id": c.pk,
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "level": c.level,
        "routing": c.routing,
        "default_unit": ref(c.default_unit),
        "urgency": c.urgency,
        "time_limits": c.time_limits or {},
        "keywords": c.keywords,
        "children": [_category_out(k, []) for k in children],
    }


# --- lookups through scope ---------------------------------------------------------------------


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.select_related("parent").filter(pk=category_id).first()
    if category is None:
        raise NotFound("category_not_found", _("Category not found"))
    return category


def _unit(user, unit_id: int | None):
    if unit_id is None:
        return None
    from cityloop.org.models import Unit

    # Any unit may receive a district-level case, so look it up unscoped; the workflow checks
    # whether this desk may send work there.
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("unit_not_found", _("Not found"))
    return unit


# --- endpoints ---------------------------------------------------------------------------------


@router.get("/categories", response={200: list[CategoryOut], 401: ErrorOut})
def list_categories(request: HttpRequest, include_inactive: bool = False):
    """The two-level category tree (大类 › 小类) with routing and time limits per stage."""
    return [_category_out(c, kids) for c, kids in queries.category_tree(include_inactive)]


@router.post("/uploads", response={201: UploadOut, **ERRORS, 503: ErrorOut, 507: ErrorOut})
def upload_photo(request: HttpRequest, file: File[UploadedFile]):
    """Upload one photo (JPEG/PNG/WebP/GIF by content, EXIF removed); name its id in a report
    or an action's ``photo_ids``. 507 ``storage_full`` / 503 ``storage_unavailable``: the
    server could not store it (nothing was kept); send it again later."""
    upload = photos.upload_save(owner=request.auth, filename=file.name or "", data=file.read())
    return Status(
        201,
        {
            "id": upload.pk,
            "width": upload.width,
            "height": upload.height,
            "sha256": upload.sha256,
            "gps": upload.gps,
        },
    )


@router.post("/cases", response={201: CaseOut, **ERRORS})
def create_case(request: HttpRequest, payload: ReportIn):
    """Report a case. Send an ``Idempotency-Key`` header to make retries safe: the same key
    from the same account gives back the first case."""
    user = request.auth
    key, client = request.headers.get("Idempotency-Key", "")[:200], f"user:{user.pk}"
    checked = bool(key and payload.photo_ids)
    if checked and (earlier := queries.case_for_idempotency_key(client, key)) is not None:
        # A retry naming photos: answer as the first time, without touching the uploads again.
        return Status(201, case_out(user, queries.case_get(user, earlier.pk)))
    try:
        # One transaction, no savepoint inside it; the uploads stay unused if it is refused.
        with transaction.atomic():
            case = _report(user, payload, key, client, checked)
    except (NotFound, IntegrityError) as exc:
        # A retry racing its first try: the first made the case (and claimed the photos)
        # while this one waited. Answer the first's case, not "photo not found".
        earlier = queries.case_for_idempotency_key(client, key) if key else None
        if earlier is None or (isinstance(exc, NotFound) and exc.code != "upload_not_found"):
            raise
        case = earlier
        case.replayed = True
    if getattr(case, "replayed", False):  # an earlier case: read it as the caller may see it
        return Status(201, case_out(user, queries.case_get(user, case.pk)))
    # The reporter may always read back what they reported: shape the case in hand rather
    # than fetch it again through the scope filter.
    return Status(201, case_out(user, case, photos=_new_photos(case)))


def _new_photos(case: Case) -> list:
    """The photos of a case just made: the ones its report event stored (no query)."""
    return list(getattr(case, "new_photos", ()))


def _report(user, payload: ReportIn, key: str, client: str, checked: bool = False) -> Case:
    zone = org_queries.zone_get(user, zone_id=payload.zone_id) if payload.zone_id else None
    return workflow.report(
        actor=user,
        source=payload.source,
        description=payload.description,
        title=payload.title,
        category=_category(payload.category_id),
        lng=payload.lng,
        lat=payload.lat,
        address=payload.address,
        zone=zone,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        reporter_email=payload.reporter_email,
        on_behalf_of=payload.on_behalf_of,
        external_id=payload.external_id,
        photos=photos.photos_from_uploads(user, payload.photo_ids),
        share_gps=payload.share_gps,
        idempotency_key=key,
        client=client,
        accept=payload.accept,
        savepoint=False,
        key_checked=checked,
    )


@router.post("/cases/bulk", response={200: CaseBulkOut, **ERRORS, 429: ErrorOut})
def create_cases_bulk(request: HttpRequest, payload: CaseBulkIn):
    """Report up to 500 cases at once — for machine channels (the 12345 hotline feed, an
    Open311 bulk load) under their API token. One transaction for the batch; the rules are
    those of a single report. Each report is answered at its ``index``: ``created``,
    ``existing`` (its ``idempotency_key`` — or its source's ``external_id`` — named an earlier
    case, which is answered instead of a new one) or ``refused`` with its ``error`` (a stable
    ``code``); the refused ones are not stored, the others are. A body that does not match the
    schema is refused whole (422). Limited like machine clients: requests per minute per
    account (429 ``rate_limited``)."""
    user = request.auth
    from django.conf import settings

    from cityloop.core import ratelimit

    limit = settings.CITYLOOP.open311_rate_per_minute
    ratelimit.hit(
        "cases-bulk",
        f"user:{user.pk}",
        limit=limit,
        window=60,
        message=_("Too many requests: at most %(n)d a minute.") % {"n": limit},
    )
    reports = [r.dict() for r in payload.reports]
    wanted = {r["category_id"] for r in reports if r["category_id"] is not None}
    categories = {c.pk: c for c in Category.objects.select_related("parent").filter(pk__in=wanted)}
    fields: list[dict[str, Any] | None] = []
    refused: dict[int, dict[str, Any]] = {}
    for index, r in enumerate(reports):
        category_id, zone_id = r.pop("category_id"), r.pop("zone_id")
        if category_id is not None and category_id not in categories:
            refused[index] = NotFound("category_not_found", _("Category not found")).as_dict()
            fields.append(None)
            continue
        try:
            zone = org_queries.zone_get(user, zone_id=zone_id) if zone_id else None
        except NotFound as exc:
            refused[index] = exc.as_dict()
            fields.append(None)
            continue
        fields.append({**r, "category": categories.get(category_id), "zone": zone})
    taken = [f for f in fields if f is not None]
    done = iter(workflow.report_many(actor=user, reports=taken, client=f"user:{user.pk}"))
    items = []
    for index, f in enumerate(fields):
        if f is None:
            items.append({"index": index, "outcome": "refused", "error": refused[index]})
            continue
        o = next(done)
        item: dict[str, Any] = {"index": index, "outcome": o.outcome}
        if o.case is not None:
            item.update(id=o.case.pk, code=o.case.code)
        if o.error is not None:
            item["error"] = o.error.as_dict()
        items.append(item)
    counts = {k: sum(1 for i in items if i["outcome"] == k) for k in ("created", "existing")}
    return {**counts, "refused": len(items) - sum(counts.values()), "items": items}


@router.get("/cases", response={200: CasePage, **ERRORS})
def list_cases(
    request: HttpRequest,
    status: str = Query("", description="comma list of states / 状态，逗号分隔"),
    category_id: int | None = None,
    unit_id: int | None = None,
    place_id: int | None = None,
    source: str = "",
    light: str = "",
    overdue: bool | None = None,
    open_only: bool = False,
    since: date | None = None,
    until: date | None = None,
    q: str = Query("", description="full text / 全文检索（中文分词）"),
    mine: bool = Query(False, description="only my queue / 只看待我处理"),
    limit: int = Limit(50, 500),
    after: str = Query(
        "",
        max_length=200,
        description="cursor from the previous page's `next` (the way to page) / 上一页返回的 next",
    ),
    offset: int = Offset,
):
    """Cases in the caller's scope, red and overdue first.

    Page with `after`: each answer's `next` is the cursor of the page that follows ("" on the
    last page); a cursor page costs the same at any depth. `offset` still works (for old
    clients) but reads every skipped row. `count` is exact up to 1000; beyond that it is 1000
    with `count_is_estimate` true ("1000+"), so no answer counts the whole table."""
    states = [s for s in status.split(",") if s]
    bad = [s for s in states if s not in Case.Status.values]
    if bad:
        raise InvalidInput("case_status_invalid", _("Unknown status"), {"status": bad})
    f = queries.CaseFilter(
        status=states,
        category_id=category_id,
        unit_id=unit_id,
        place_id=place_id,
        source=source,
        light=light,
        overdue=overdue,
        open_only=open_only,
        since=since,
        until=until,
        q=q,
    )
    qs = queries.my_queue(request.auth, f) if mine else queries.case_rows(request.auth, f)
    page = queries.page_of(qs, limit=limit, after=after, offset=offset)
    return {
        "items": [_row(c) for c in page.items],
        "count": page.count,
        "count_is_estimate": page.count_is_estimate,
        "next": page.next,
        "limit": limit,
        "offset": offset,
    }


@router.get("/cases/figures", response={200: FiguresOut, **ERRORS})
def case_figures(
    request: HttpRequest,
    since: date | None = None,
    until: date | None = None,
    group_by: str | None = Query(None, description="unit, street, community, category, source"),
    case_ids: bool = Query(
        False,
        description="true: each figure lists the ids of every case it counts (slow for long "
        "periods; /cases/figures/cases pages through them instead)",
    ),
):
    """Reported, accepted, closed, on-time close rate, reopen rate, satisfaction rate and mean
    handling time, with numerator and denominator. Default period: this month so far.
    Figures come from the day summary; ``case_ids`` is empty unless asked for — the cases
    behind one figure are paged by ``GET /cases/figures/cases``."""
    since, until = _figure_period(since, until)
    rows = queries.case_figures(
        request.auth, since=since, until=until, group_by=group_by, with_ids=case_ids
    )
    return {
        "since": since,
        "until": until,
        "group_by": group_by,
        "rules": queries.figure_rules(),
        "rows": [
            {
                "group": r.group,
                "label": r.label,
                "figures": {k: vars(v) for k, v in r.figures.items()},
            }
            for r in rows
        ],
    }


def _figure_period(since: date | None, until: date | None) -> tuple[date, date]:
    until = until or clock.today()
    since = since or until.replace(day=1)
    if since > until or until - since > timedelta(days=3660):
        raise InvalidInput("period_invalid", _("The period is not valid."))
    return since, until


@router.get("/cases/figures/cases", response={200: FigureCasesOut, **ERRORS})
def figure_cases(
    request: HttpRequest,
    figure: str = Query(..., description="a figure key: reported, closed, on_time_close_rate …"),
    since: date | None = None,
    until: date | None = None,
    group_by: str | None = Query(None, description="unit, street, community, category, source"),
    group: str = Query("", description="the row's group key (empty: the whole scope)"),
    after: int = Query(0, ge=0, description="the cursor: the last id of the previous page"),
    limit: int = Query(100, ge=1, le=1000),
):
    """The ids of the cases one figure counts (the cases of its denominator for the rates),
    in id order, a page at a time; ``next`` is the ``after`` of the next page (null: the
    last page). Same period defaults as ``/cases/figures``."""
    since, until = _figure_period(since, until)
    ids, after_next = queries.figure_case_ids(
        request.auth,
        figure=figure,
        since=since,
        until=until,
        group_by=group_by,
        group=group,
        after=after,
        limit=limit,
    )
    return {"figure": figure, "group": group, "ids": ids, "next": after_next}


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def get_case(request: HttpRequest, case_id: int):
    return case_out(request.auth, queries.case_get(request.auth, case_id))


@router.get("/cases/{case_id}/events", response={200: list[CaseEventOut], **ERRORS})
def case_events(request: HttpRequest, case_id: int):
    """The case's timeline, oldest first."""
    case = queries.case_get(request.auth, case_id)
    return [
        events.event_out(e, public=e.public, photos=[_photo(p) for p in e.photos.all()])
        for e in queries.timeline_for(request.auth, case)
    ]


@router.get("/cases/{case_id}/duplicates", response={200: list[DuplicateOut], **ERRORS})
def case_duplicates(request: HttpRequest, case_id: int):
    """Open cases that may be the same problem (same category, near, recent, similar text)."""
    case = queries.case_get(request.auth, case_id)
    return [
        {
            "id": d.case.pk,
            "code": d.case.code,
            "title": d.case.title,
            "status": d.case.status,
            "distance_m": d.distance_m,
            "similarity": d.similarity,
        }
        for d in queries.visible_duplicates(request.auth, case)
    ]


# Which body fields each input shape of :mod:`cases.actions` takes, and how they become
# workflow arguments.
def _payload(user, action: str, body: ActionIn) -> dict[str, Any]:
    p: dict[str, Any]
    shape = actions.REGISTRY[action].input
    if shape == "accept":
        p = {
            "category": _category(body.category_id),
            "note": body.note,
            "public_summary": body.public_summary,
        }
    elif shape == "reason":
        p = {"reason": body.reason or body.note}
    elif shape == "merge":
        if body.master_id is None:
            raise InvalidInput("case_master_required", _("Name the case to merge into."))
        p = {"master_id": body.master_id, "note": body.note}
    elif shape == "dispatch":
        handler = None
        if body.handler_id is not None:
            handler = org_queries.person_get(user, person_id=body.handler_id)
        p = {
            "unit": _unit(user, body.unit_id),
            "assisting": [_unit(user, i) for i in body.assisting_unit_ids],
            "handler": handler,
            "note": body.note,
        }
    elif shape == "note":
        p = {"note": body.note}
    elif shape == "reply":
        p = {
            "result": body.result or body.note,
            "photos": photos.photos_from_uploads(user, body.photo_ids),
        }
    elif shape == "verify":
        if body.passed is None:
            raise InvalidInput("case_passed_required", _("Say whether the work passed."))
        p = {
            "passed": body.passed,
            "note": body.note,
            "photos": photos.photos_from_uploads(user, body.photo_ids),
        }
    elif shape == "return_visit":
        p = {"satisfaction": body.satisfaction, "note": body.note, "channel": body.channel}
    elif shape == "request":
        p = {"kind": body.kind, "reason": body.reason or body.note, "days": body.days}
    elif shape == "decide":
        if body.approve is None:
            raise InvalidInput("case_approve_required", _("Approve or deny the request."))
        p = {"approve": body.approve, "note": body.note}
    elif shape == "extend":
        p = {"days": body.days, "reason": body.reason or body.note}
    else:  # comment
        p = {
            "note": body.note,
            "public": body.public,
            "photos": photos.photos_from_uploads(user, body.photo_ids),
        }
    return p


@router.post("/cases/{case_id}/actions/{action}", response={200: CaseOut, **ERRORS})
def case_action(request: HttpRequest, case_id: int, action: str, payload: ActionIn):
    """Take an action (the list below comes from the action registry). Not allowed in the
    current state → 409 ``case_bad_state``; not your part → 403; unknown → 404."""
    user = request.auth
    if action not in actions.REGISTRY:
        raise NotFound("case_action_unknown", _("No such action."), {"action": action})
    if not _names_uploads(payload):
        # Nothing to claim before the action: its own transaction is the only one (no
        # savepoint), and the case out of scope is 404 from its locked read.
        case = workflow.perform(user, case_id, action, _payload(user, action, payload))
    else:
        queries.case_get(user, case_id)  # 404 before the uploads are touched
        with transaction.atomic():  # uploads named in the body stay unused if it fails
            case = workflow.perform(user, case_id, action, _payload(user, action, payload))
    # Answered from the case in hand: the actor could lock it, so it may read it.
    return case_out(user, case)


def _names_uploads(payload: ActionIn) -> bool:
    return bool(getattr(payload, "photo_ids", None))


@openapi.amend
def _describe_actions(schema: dict[str, Any]) -> None:
    """The action endpoint names every registered action: an enum on ``action`` and one line
    each (label, part, input shape) in its description."""
    op = openapi.operation(schema, "/cases/{case_id}/actions/{action}", "post")
    if op is None:
        return
    for param in op.get("parameters", []):
        if param.get("name") == "action":
            param["schema"] = {**param.get("schema", {}), "enum": actions.names()}
    base = (op.get("description") or "").split("\n\n可用的操作")[0]
    op["description"] = f"{base}\n\n可用的操作：\n\n{actions.openapi_description()}"
