"""Reads of cases: lists, detail, timeline, duplicates and figures — always through scope.

Every read starts from :func:`visible_cases`, so a case outside the reader's scope is simply
not found. Figures come with the ids of the cases they count, so each can explain itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from cityloop.cases import deadlines
from cityloop.cases.models import Case, CaseEvent, Category, Level
from cityloop.core import clock
from cityloop.core.errors import NotFound
from cityloop.core.privacy import mask_phone
from cityloop.core.roles import DESK, HANDLERS, has_any
from cityloop.core.scope import scope_for, unit_ids_for
from cityloop.core.text import tokens

# Events whose note a resident may read on the tracking page (reasons and results); Open311
# answers show the same notes.
PUBLIC_NOTE_VERBS = frozenset({"reject", "reply", "reopen", "cancel", "return_visit"})


def visible_cases(actor, *, open_only: bool = False) -> QuerySet[Case]:
    """Cases in the reader's places, units (responsible, assisting or dispatching) or
    patrol zones, and the reader's own reports.

    PostgreSQL reads the rule off :attr:`Case.scope_keys` through one GIN index (one overlap
    test instead of an ``OR`` of path prefixes, unit sub-queries and an ``EXISTS``, which no
    index serves); SQLite, an embedded file that scans anyway, applies the rule itself
    (:func:`scope_rule_q`). Both say the same: tests/cases/test_list_scale.py compares them.

    ``open_only``: the open cases alone, read on PostgreSQL by walking the small indexes of
    the open cases (:func:`_open_scope_match`) rather than through the scope's GIN index.
    """
    scope = scope_for(actor)
    qs = Case.objects.filter(status__in=Case.OPEN) if open_only else Case.objects.all()
    if scope.everything:
        return qs
    if connection.vendor != "postgresql":
        return qs.filter(scope_rule_q(scope, actor))
    if open_only:
        return qs.filter(_open_scope_match(scope, actor))
    return qs.filter(_scope_keys_match(scope, actor))


def scope_rule_q(scope, actor) -> Q:
    """The scope rule on the case's own columns (what :attr:`Case.scope_keys` stands for)."""
    q = Q(pk__in=[])
    for path in sorted(scope.place_paths):
        q |= Q(place_path__startswith=path)
    if scope.unit_paths:
        # Unit ids as literals, read once per request (:func:`unit_ids_for`): the case row
        # is then read alone, and the planner can estimate the ids.
        units = list(unit_ids_for(actor, scope))
        assisting = Case.assisting_units.through.objects.filter(
            case_id=OuterRef("pk"), unit_id__in=units
        )
        q |= Q(responsible_unit_id__in=units) | Q(dispatcher_unit_id__in=units)
        q |= Q(Exists(assisting))
    if scope.zone_ids:
        ids = sorted(scope.zone_ids)
        q |= Q(zone_id__in=ids) | Q(road_id__in=ids) | Q(grid_id__in=ids)
    if actor is not None and getattr(actor, "is_authenticated", False):
        q |= Q(reporter=actor)
    return q


class _Overlaps(Func):
    """``string_to_array(scope_keys, ' ') && <keys>``: the expression of the GIN index
    ``case_scope_keys_gin`` (migration 0006), written exactly as indexed."""

    arg_joiner = " && "
    template = "(%(expressions)s)"

    def __init__(self, sql: str, params: list) -> None:
        keys = Func(
            F("scope_keys"),
            template="string_to_array(%(expressions)s, ' ')",
            output_field=TextField(),
        )
        super().__init__(
            keys, RawSQL(sql, params, output_field=TextField()), output_field=BooleanField()
        )


def reader_keys(scope, actor, *, places: bool = True) -> tuple[str, list]:
    """The reader's keys as a PostgreSQL ``text[]`` of literals: places, zones, own reports
    and the ids of the unit subtrees (read once per request, :func:`unit_ids_for`). Literals,
    not a sub-query: PostgreSQL estimates how many cases each key matches from the index's
    statistics, and so chooses between the full-text index, the scope index and the list
    order; of a sub-query it knows nothing and guesses."""
    literal = [f"p:{p}" for p in sorted(scope.place_paths)] if places else []
    for pk in unit_ids_for(actor, scope):
        literal += [f"u:{pk}", f"a:{pk}"]
    literal += [f"z:{pk}" for pk in sorted(scope.zone_ids)]
    if actor is not None and getattr(actor, "is_authenticated", False):
        literal.append(f"r:{actor.pk}")
    return "(ARRAY[" + ", ".join(["%s"] * len(literal)) + "]::text[])", literal


def _scope_keys_match(scope, actor) -> Func:
    return _Overlaps(*reader_keys(scope, actor))


def _open_scope_match(scope, actor) -> Q:
    """The scope test for a walk over the open cases' indexes, which holds each row's keys:
    the reader's places as substrings of the stored keys first, then the overlap with the
    other keys only for the rows outside them (``OR`` stops at the first true arm).

    The same cases as :func:`_scope_keys_match`; what differs is the price per row. A street
    reads as one place and some forty unit keys, and the overlap compares every stored key
    with every one of them: at 1 M cases the street's light counts took 35–40 ms over 27 k
    open rows, against ~4 ms for the count alone. A place key matched as text is exact: a
    stored ``p:`` key starts at a key boundary, and every path segment ends with ``/``.
    Written with lookups and expressions, not raw SQL, so that it stays right inside a
    sub-query, where Django renames the table."""
    paths = sorted(scope.place_paths)
    if not paths:
        return Q(_scope_keys_match(scope, actor))
    found = Q(pk__in=[])
    for path in paths:
        found |= Q(scope_keys__contains=f"p:{path}")
    others, values = reader_keys(scope, actor, places=False)
    if values:
        found |= Q(_Overlaps(others, values))
    return found


def case_get(actor, case_id: int) -> Case:
    """One case the reader may see, with what its page shows.

    Six tables joined, not nine: PostgreSQL plans a join of nine in ~6 ms (every order of
    the joins is weighed) against ~0.5 ms to run it, and ~2 ms for six; the patrol zones come
    with one more small query and the case merged into, when there is one, on first use."""
    from cityloop.org.models import Zone

    case = (
        visible_cases(actor)
        .select_related(
            "category__parent", "place", "responsible_unit", "dispatcher_unit", "handler"
        )
        .prefetch_related("assisting_units")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("case_not_found", _("Case not found"))
    wanted = {pk for pk in (case.road_id, case.grid_id) if pk}
    if wanted:
        zones = Zone.objects.in_bulk(wanted)
        for field in ("road", "grid"):
            if (pk := getattr(case, f"{field}_id")) in zones:
                setattr(case, field, zones[pk])  # fills the relation's cache: no query
    return case


def case_by_code(code: str) -> Case:
    """For the public tracking page: by code alone, no account."""
    case = (
        Case.objects.select_related("category__parent", "place", "responsible_unit", "master")
        .filter(code=(code or "").strip().upper())
        .first()
    )
    if case is None:
        raise NotFound("case_not_found", _("Case not found"))
    return case


def photo_for(actor, photo_id: int, *, code: str = ""):
    """A case photo for whoever sees the case; a photo of a public step also for the tracking
    page, which must name the case code, so photos cannot be walked by number."""
    from cityloop.cases.models import CasePhoto

    p = CasePhoto.objects.select_related("case", "event").filter(pk=photo_id).first()
    if p is None:
        raise NotFound("photo_not_found", _("Not found"))
    if visible_cases(actor).filter(pk=p.case_id).exists():
        return p
    code = (code or "").strip().upper()
    if code and code == p.case.code and p.event is not None and p.event.public:
        return p
    raise NotFound("photo_not_found", _("Not found"))


def case_for_idempotency_key(client: str, key: str) -> Case | None:
    """The case an earlier request with this ``Idempotency-Key`` created, if any."""
    from cityloop.cases.models import IdempotencyKey

    # The key row alone first: most requests carry a new key, and then no case row is read.
    case_id = (
        IdempotencyKey.objects.filter(client=client, key=key).values_list("case_id", flat=True)
    ).first()
    return Case.objects.filter(pk=case_id).first() if case_id else None


def hazard_point_choices() -> list[tuple[str, str]]:
    """Hazard points (隐患点) a report may name, as (code, "name（street）"): their names are
    public like the area outlines, so residents pick them too."""
    from cityloop.org.models import Zone

    rows = (
        Zone.objects.filter(kind=Zone.Kind.HAZARD_POINT)
        .select_related("place")
        .order_by("place__path", "code")[:500]
    )
    return [(z.code, f"{z.name}（{z.place.name}）") for z in rows]


def category_tree(include_inactive: bool = False) -> list[tuple[Category, list[Category]]]:
    """Main categories with their leaves, in display order (two queries)."""
    qs = Category.objects.select_related("default_unit").order_by("sort", "code")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    rows = list(qs)
    leaves: dict[int, list[Category]] = {}
    for c in rows:
        if c.parent_id:
            leaves.setdefault(c.parent_id, []).append(c)
    return [(c, leaves.get(c.pk, [])) for c in rows if c.parent_id is None]


def sees_internal(actor, case: Case) -> bool:
    """Staff of the case's place or units see internal notes; a reporter who sees the case
    only because they reported it sees what the public tracking page shows."""
    from cityloop.cases import rules

    return rules.covers_case_place(actor, case) or rules.is_handler(actor, case)


def reporter_phone_for(actor, case: Case) -> str:
    """The reporter's phone as this reader may see it: whole for the units handling the case
    (:func:`rules.sees_reporter_phone`), masked (``138****0001``) for anyone else."""
    from cityloop.cases import rules

    if not case.reporter_phone or rules.sees_reporter_phone(actor, case):
        return case.reporter_phone
    return mask_phone(case.reporter_phone)


def timeline_for(actor, case: Case) -> QuerySet[CaseEvent]:
    return timeline(case, public_only=not sees_internal(actor, case))


def timeline(case: Case, *, public_only: bool = False) -> QuerySet[CaseEvent]:
    qs = case.events.prefetch_related("photos").order_by("at", "pk")
    return qs.filter(public=True) if public_only else qs


# --- lists -------------------------------------------------------------------------------------


@dataclass
class CaseFilter:
    status: list[str] = field(default_factory=list)
    category_id: int | None = None
    unit_id: int | None = None
    place_id: int | None = None
    source: str = ""
    light: str = ""
    overdue: bool | None = None
    open_only: bool = False
    since: date | None = None
    until: date | None = None
    q: str = ""
    mine: bool = False


def fts_filter(qs: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Full-text match on the jieba tokens: FTS5 on SQLite, the stored tsvector
    ``search_vector`` through its GIN index on PostgreSQL."""
    words = tokens(text)
    if not words:
        return qs
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{w}"' for w in words)
        return qs.filter(
            pk__in=RawSQL("SELECT rowid FROM cases_case_fts WHERE cases_case_fts MATCH %s", [match])
        )
    if connection.vendor == "postgresql":
        # The stored column ``search_vector`` (migration 0008) under its own GIN index: the
        # vector is read, not recomputed per row on the recheck. A lookup, not a literal
        # ``cases_case.…`` clause: inside a sub-query (page_of's ids) it names that query's
        # own alias, never the outer row.
        return qs.filter(search_text__vector_match=" ".join(words))
    for w in words:
        qs = qs.filter(search_text__contains=w)
    return qs


class _VectorMatch(Lookup):
    """``search_text__vector_match=words`` on PostgreSQL: the row's stored ``search_vector``
    (the generated column beside ``search_text``, migration 0008) matches the words."""

    lookup_name = "vector_match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        column = connection.ops.quote_name("search_text")
        if not lhs.endswith(column):
            raise ValueError(f"vector_match reads search_text, not {lhs}")
        vector = lhs[: -len(column)] + "search_vector"
        return f"{vector} @@ plainto_tsquery('simple', {rhs})", [*lhs_params, *rhs_params]


Case._meta.get_field("search_text").register_lookup(_VectorMatch)


def _local_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=clock.local_zone())


def case_rows(actor, f: CaseFilter | None = None) -> QuerySet[Case]:
    """The list behind the workbench and ``GET /cases``: overdue and red first, then by due."""
    f = f or CaseFilter()
    qs = visible_cases(actor, open_only=f.open_only).select_related(
        "category__parent", "place", "responsible_unit", "dispatcher_unit"
    )
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.category_id:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    if f.unit_id:
        qs = qs.filter(responsible_unit_id=f.unit_id)
    if f.place_id:
        from cityloop.org.models import Place

        place = Place.objects.filter(pk=f.place_id).only("path").first()
        qs = qs.filter(place_path__startswith=place.path) if place else qs.none()
    if f.source:
        qs = qs.filter(source=f.source)
    if f.light:
        qs = qs.filter(light=f.light)
    if f.overdue is not None:
        overdue = deadlines.overdue_q(clock.now())
        qs = qs.filter(overdue) if f.overdue else qs.exclude(overdue)
    if f.since:
        qs = qs.filter(reported_at__gte=_local_start(f.since))
    if f.until:
        qs = qs.filter(reported_at__lt=_local_start(f.until + timedelta(days=1)))
    if f.q:
        qs = fts_filter(qs, f.q)
    # Plain columns in the order of the index ``case_list_order``: PostgreSQL walks it from
    # the top and stops at the page's end instead of sorting every visible case.
    return qs.order_by(*LIST_ORDER)


LIST_ORDER = ("light_rank", F("due_at").asc(nulls_last=True), "-reported_at", "-pk")


# --- keyset paging -----------------------------------------------------------------------------
# A page ends at a case; the next page is the cases after it in LIST_ORDER. The cursor is that
# case's sort key, opaque to the client (base64 JSON), so a page never re-reads what went before
# (OFFSET would) and a case that moves while someone pages is neither lost twice nor shown twice
# more than the move itself implies.


def cursor_of(case: Case) -> str:
    """The opaque ``after`` cursor that starts the page following ``case``."""
    import base64
    import json

    key = [
        case.light_rank if case.light_rank is not None else _rank_of(case.light),
        case.due_at.isoformat() if case.due_at else None,
        case.reported_at.isoformat(),
        case.pk,
    ]
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _rank_of(light: str) -> int:
    return {"red": 0, "yellow": 1}.get(light, 2)


def after_cursor(qs: QuerySet[Case], cursor: str) -> QuerySet[Case]:
    """The rows of ``qs`` (ordered by :data:`LIST_ORDER`) after the cursor's case; a cursor
    that cannot be read is bad input."""
    import base64
    import binascii
    import json

    from cityloop.core.errors import InvalidInput

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, due, reported, pk = json.loads(raw)
        rank, pk = int(rank), int(pk)
        due = datetime.fromisoformat(due) if due else None
        reported = datetime.fromisoformat(reported)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidInput("cursor_invalid", _("This page link is no longer valid.")) from None
    tail = Q(reported_at__lt=reported) | Q(reported_at=reported, pk__lt=pk)
    if due is None:
        same_rank = Q(due_at__isnull=True) & tail
    else:
        same_rank = Q(due_at__gt=due) | Q(due_at__isnull=True) | (Q(due_at=due) & tail)
    # ``light_rank >= rank`` first: a range on the index's first column.
    return qs.filter(light_rank__gte=rank).filter(
        Q(light_rank__gt=rank) | (Q(light_rank=rank) & same_rank)
    )


@dataclass(frozen=True)
class Page:
    items: list[Case]
    next: str  # the cursor of the next page, "" on the last
    count: int
    count_is_estimate: bool  # True: "at least ``count``" (more were not counted)


COUNT_CAP = 1000


def page_of(qs: QuerySet[Case], *, limit: int, after: str = "", offset: int = 0) -> Page:
    """One page of an ordered case list, read as ``limit + 1`` rows (the extra one tells
    whether a next page exists), and a count capped at :data:`COUNT_CAP`: exact below it,
    else ``COUNT_CAP`` marked as a lower bound — never a count of the whole table.

    The first page and its count come from one statement: the first ``COUNT_CAP + 1`` ids in
    the list's order (ids alone, a few kB), of which the page is the head — one walk over the
    reader's cases instead of one for the page and another for the count."""
    rows = after_cursor(qs, after) if after else qs
    if _few(qs):
        rows = rows.order_by(*SORTED_ORDER)
    ids = rows.values_list("pk", flat=True)
    if after:  # the ids as a sub-query of the rows' statement, then the capped count
        page_ids = ids[offset : offset + limit + 1]
        seen = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    else:
        head = list(ids[: max(COUNT_CAP + 1, offset + limit + 1)])
        page_ids, seen = head[offset : offset + limit + 1], len(head)
    items = _rows_of_page(qs, page_ids)
    more = len(items) > limit
    items = items[:limit]
    nxt = cursor_of(items[-1]) if more and items else ""
    return Page(items, nxt, min(seen, COUNT_CAP), seen > COUNT_CAP)


# At most this many rows by the planner's estimate — or this share of the table — a page is
# picked by sorting them rather than by walking ``case_list_order``. PostgreSQL assumes a
# reader's cases are spread evenly along the list order and so expects the walk to stop
# early; a department whose cases (1.2 %) sit near the end of the order (old, closed) made
# it filter 180 k rows at 1 M cases (3.2 s) and read for 4.9 s at 10 M, while the scope
# index and a top-N sort of the same rows cost what the rows cost. Above both bounds the
# walk is the right plan: a reader with that many cases meets them early.
SORT_BELOW = 20_000
SORT_SHARE = 0.02
# The list order written so that no index matches it: the planner must sort.
SORTED_ORDER = (
    (F("light_rank") + Value(0)).asc(),
    F("due_at").asc(nulls_last=True),
    "-reported_at",
    "-pk",
)


def _few(qs: QuerySet[Case]) -> bool:
    """Whether ``qs`` matches few enough rows (estimated) to be sorted: see :data:`SORT_BELOW`."""
    from cityloop.core.db import estimated_rows, table_rows

    if not qs.query.where:
        return False  # every case: the walk, with no EXPLAIN to ask
    n = estimated_rows(qs.order_by().values("pk"))
    if n is None:
        return False
    return n <= SORT_BELOW or n <= SORT_SHARE * (table_rows(Case) or 0)


def _rows_of_page(qs: QuerySet[Case], ids: list[int] | QuerySet) -> list[Case]:
    """The page's cases, by the ids picked with the filter and the order (ids alone — on
    PostgreSQL an index-only walk of ``case_open_list_order``, which holds every column the
    scope and the queues read): only those rows are read with their joins, not every row
    the filter looked at."""
    if isinstance(ids, list) and not ids:
        return []
    outer = Case.objects.filter(pk__in=ids).order_by(*qs.query.order_by)
    outer.query.select_related = qs.query.select_related
    return list(outer)


def _own_desks_below(actor, level: str) -> list[str]:
    """Place paths inside the actor's scope that have a desk of their own below ``level``
    (a community with its community worker): their cases wait for that desk."""
    from cityloop.cases import rules
    from cityloop.org.models import Person

    scope = scope_for(actor)
    if not scope.place_paths:
        return []
    order = Level.order()
    desk_roles = {r.value for r in DESK}
    people = (
        Person.objects.filter(scope.places_q("unit__place__"), user__groups__name__in=desk_roles)
        .exclude(user=actor)
        .select_related("unit__place", "place")
        .distinct()
    )
    paths = set()
    for person in people:
        place = person.unit.place if person.unit_id else None
        if place is not None and order.index(rules.person_level(person)) < order.index(level):
            paths.add(place.path)
    return sorted(paths)


def my_queue(actor, f: CaseFilter | None = None) -> QuerySet[Case]:
    """What waits for this person's own action, overdue first: not everything under them.

    A handler's queue is its own unit's cases (and those handed to the person), not its
    communities'. A desk's is the cases it is the one to accept, dispatch, verify and close:
    those at its own level, and those below it in areas without a desk of their own (a
    street desk may step into a community's case, but that case waits for the community).
    """
    from cityloop.cases import rules

    f = f or CaseFilter()
    f.open_only = True
    qs = case_rows(actor, f)
    if getattr(actor, "is_superuser", False):
        return qs
    person = rules.person_of(actor)
    handler_q = Q(pk__in=[])
    at_handler = [Case.Status.DISPATCHED, Case.Status.HANDLING]
    if person is not None:
        handler_q = Q(handler=person, status__in=at_handler)
        if person.unit_id and has_any(actor, HANDLERS):
            handler_q |= Q(responsible_unit_id=person.unit_id, status__in=at_handler)
    desk_q = Q(pk__in=[])
    if has_any(actor, DESK):
        at_desk = Q(
            status__in=[
                Case.Status.REPORTED,
                Case.Status.ACCEPTED,
                Case.Status.REPLIED,
                Case.Status.SUSPENDED,
            ]
        ) | ~Q(pending_request={})
        level = rules.actor_level(actor)
        order = Level.order()
        below = Q(level__in=order[: order.index(level)])
        for path in _own_desks_below(actor, level):
            below &= ~Q(place_path__startswith=path)
        desk_q = at_desk & (Q(level=level) | below)
    return qs.filter(handler_q | desk_q)


# --- duplicates --------------------------------------------------------------------------------

EARTH_METRES = 6_371_000.0


def distance_metres(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance (haversine); exact enough at the scale of a street."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_METRES * math.asin(math.sqrt(h))


def text_similarity(a: str, b: str) -> float:
    """0…1, the triage app's near-duplicate score (shingle Jaccard with rapidfuzz)."""
    from cityloop.cases.duplicates import similarity

    return similarity(a, b)


@dataclass(frozen=True)
class Duplicate:
    case: Case
    distance_m: float
    similarity: float


def possible_duplicates(
    *,
    category: Category | None,
    lng: float | None,
    lat: float | None,
    text: str,
    exclude_id: int | None = None,
    metres: float | None = None,
    days: int | None = None,
    min_similarity: float = 0.3,
    limit: int = 5,
) -> list[Duplicate]:
    """Open cases of the same category close in space and time with similar text.

    Searches every open case, whoever may see it: a reporter is shown only the public
    fields (code, title, status), and the staff screen filters by scope itself.
    """
    from django.conf import settings

    if lng is None or lat is None:
        return []
    cfg = settings.CITYLOOP
    metres = cfg.duplicate_distance_metres if metres is None else metres
    days = cfg.duplicate_window_days if days is None else days
    # A bounding box in degrees first (indexed), the exact distance after.
    dlat = metres / 111_320.0
    dlng = metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    qs = Case.objects.filter(
        status__in=Case.OPEN,
        lat__range=(lat - dlat, lat + dlat),
        lng__range=(lng - dlng, lng + dlng),
        reported_at__gte=clock.now() - timedelta(days=days),
    ).select_related("category")
    if category is not None:
        qs = qs.filter(category=category)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    from cityloop.cases.duplicates import rank

    within = {}
    for other in qs[:500]:
        d = distance_metres(lng, lat, other.lng, other.lat)
        if d <= metres:
            within[other.pk] = (other, d)
    # MinHash/LSH candidates when the window holds many cases, each scored exactly.
    scored = rank(
        text,
        [(pk, f"{o.title} {o.description}") for pk, (o, _d) in within.items()],
        min_similarity=min_similarity,
    )
    found = [Duplicate(within[pk][0], round(within[pk][1], 1), round(s, 2)) for pk, s in scored]
    found.sort(key=lambda x: (-x.similarity, x.distance_m))
    return found[:limit]


def visible_duplicates(actor, case: Case) -> list[Duplicate]:
    """The possible duplicates of ``case`` that ``actor`` may see: the one rule behind the
    case page's list and ``GET /cases/{id}/duplicates``. (A resident's report form uses
    :func:`possible_duplicates` itself and shows only the public fields.)"""
    found = possible_duplicates(
        category=case.category,
        lng=case.lng,
        lat=case.lat,
        text=f"{case.title} {case.description}",
        exclude_id=case.pk,
    )
    ids = [d.case.pk for d in found]
    visible = set(visible_cases(actor).filter(pk__in=ids).values_list("pk", flat=True))
    return [d for d in found if d.case.pk in visible]


# --- figures -----------------------------------------------------------------------------------

FIGURE_KEYS = (
    "reported",
    "accepted",
    "closed",
    "on_time_close_rate",
    "reopen_rate",
    "satisfaction_rate",
    "mean_handling_hours",
)
GROUPS = ("unit", "street", "community", "category", "source")


@dataclass
class Figure:
    """One computed figure and the cases behind it (the rule is in :data:`FIGURE_RULES`)."""

    key: str
    value: float | int | None
    numerator: int = 0
    denominator: int = 0
    case_ids: list[int] = field(default_factory=list)


@dataclass
class FigureRow:
    group: str  # the group's key ("" for the whole scope)
    label: str
    figures: dict[str, Figure]


def figure_rules() -> dict[str, str]:
    """How each figure is counted, in words; shown next to the figure."""
    return {
        "reported": _("Cases reported in the period (duplicates included)."),
        "accepted": _("Cases accepted in the period."),
        "closed": _("Cases closed (verified) in the period."),
        "on_time_close_rate": _(
            "Closed on time ÷ (cases due to close − suspended). A case is due to close when it "
            "was closed in the period or its handling deadline fell in the period and has "
            "passed; on time means the unit replied before the deadline (extensions count, "
            "suspension stops the clock); cases suspended now are left out."
        ),
        "reopen_rate": _(
            "Cases closed in the period that failed verification or were reopened at least "
            "once ÷ cases closed in the period."
        ),
        "satisfaction_rate": _(
            "(Satisfied + basically satisfied) ÷ return visits made in the period."
        ),
        "mean_handling_hours": _(
            "Mean working hours from dispatch to reply, suspension excluded, of cases closed "
            "in the period."
        ),
    }


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def case_figures(
    actor, *, since: date, until: date, group_by: str | None = None, with_ids: bool = True
) -> list[FigureRow]:
    """The case figures of a period (both dates included), for the whole scope or by group.

    Rows come back sorted by group label. With ``with_ids`` each figure keeps the ids of the
    cases it counted (every case is read); without, the figures are sums of the day summary
    (:mod:`cityloop.cases.summary`), the same numbers with no ids — :func:`figure_case_ids`
    pages through those.
    """
    if group_by is not None and group_by not in GROUPS:
        from cityloop.core.errors import InvalidInput

        raise InvalidInput("figures_bad_group", _("Unknown grouping."), {"allowed": list(GROUPS)})
    if with_ids:
        return _recount(actor, since=since, until=until, group_by=group_by)
    return _summed(actor, scope_for(actor), since=since, until=until, group_by=group_by)


def _recount(actor, *, since: date, until: date, group_by: str | None) -> list[FigureRow]:
    """The figures counted case by case, with their ids (the reference for the summary)."""
    from cityloop.org.models import Place

    start, end = _local_start(since), _local_start(until + timedelta(days=1))
    now = clock.now()
    due_limit = min(now, end)
    rows = (
        visible_cases(actor)
        .filter(
            Q(reported_at__gte=start, reported_at__lt=end)
            | Q(accepted_at__gte=start, accepted_at__lt=end)
            | Q(closed_at__gte=start, closed_at__lt=end)
            | Q(visited_at__gte=start, visited_at__lt=end)
            | Q(handle_due_at__gte=start, handle_due_at__lt=due_limit)
        )
        .values(
            "pk",
            "status",
            "source",
            "place_path",
            "reported_at",
            "accepted_at",
            "closed_at",
            "closed_on_time",
            "handle_due_at",
            "visited_at",
            "satisfaction",
            "rework_count",
            "reopen_count",
            "handling_hours",
            "responsible_unit_id",
            "responsible_unit__name",
            "category__parent__code",
            "category__parent__name",
        )
    )
    place_names: dict[str, str] = {}
    if group_by in ("street", "community"):
        kind = group_by
        place_names = dict(Place.objects.filter(kind=kind).values_list("code", "name"))
    sources = dict(Case.Source.choices)
    buckets: dict[str, tuple[str, list[dict]]] = {}
    for r in rows:
        key, label = _group_of(r, group_by, place_names, sources)
        if key is None:
            continue
        buckets.setdefault(key, (label, []))[1].append(r)
    if group_by is None:
        buckets.setdefault("", ("", []))
    out = [
        FigureRow(key, label, _figures(items, start, end, due_limit))
        for key, (label, items) in buckets.items()
    ]
    return sorted(out, key=lambda row: (row.label, row.group))


_DIMENSION = {"unit": "unit_id", "category": "category_id", "source": "source"}
_SUMS = ("reported", "accepted", "closed", "visited")  # a group with none of these is absent


def _namer(group_by: str | None) -> Callable[[str, int, int, str], tuple[str, str] | None]:
    """The group (key, label) of a summary row's place path, unit, category and source."""
    from cityloop.org.models import Place, Unit

    if group_by is None:
        return lambda path, unit, category, source: ("", "")
    if group_by == "unit":
        names = dict(Unit.objects.values_list("pk", "name"))
        return lambda path, unit, category, source: (
            (str(unit), names.get(unit, "")) if unit else None
        )
    if group_by == "category":
        parents = {
            pk: (code, name)
            for pk, code, name in Category.objects.filter(parent__isnull=False).values_list(
                "pk", "parent__code", "parent__name"
            )
        }
        return lambda path, unit, category, source: parents.get(category)
    if group_by == "source":
        sources = dict(Case.Source.choices)
        return lambda path, unit, category, source: (source, str(sources.get(source, source)))
    place_names = dict(Place.objects.filter(kind=group_by).values_list("code", "name"))
    found: dict[str, tuple[str, str] | None] = {}

    def by_path(path: str, unit: int, category: int, source: str) -> tuple[str, str] | None:
        if path not in found:
            key, label = _group_of({"place_path": path}, "street", place_names, {})
            found[path] = (key, label) if key is not None else None
        return found[path]

    return by_path


def _summed(actor, scope, *, since: date, until: date, group_by: str | None) -> list[FigureRow]:
    """The figures from the day summary: the same numbers as :func:`_recount`, no ids.

    Summed by day (:mod:`cityloop.cases.summary`): the cases of the reader's places, of its
    units as responsible or dispatching unit — the summary rows carry all three. Read from the
    cases, because they are few: (1) the cases due to close because their handling deadline
    fell in the period and has passed though they were not closed in it — that depends on now
    (the index on handle_due_at, closed_at); (2) the cases visible only as an assisting unit's,
    a patrol zone's or as the reader's own reports (each through its own index).
    """
    from cityloop.cases import summary

    start, end = _local_start(since), _local_start(until + timedelta(days=1))
    due_limit = min(clock.now(), end)
    name = _namer(group_by)
    tallies: dict[str, tuple[str, dict[str, float]]] = {}

    def tally(found: tuple[str, str] | None) -> dict[str, float] | None:
        if found is None:
            return None
        return tallies.setdefault(found[0], (found[1], dict.fromkeys(summary.COUNTERS, 0)))[1]

    def named(r: dict) -> dict[str, float] | None:
        return tally(
            name(
                r.get("place_path", ""),
                r.get("responsible_unit_id") or r.get("unit_id") or 0,
                r.get("category_id") or 0,
                r.get("source", ""),
            )
        )

    summed, cases_summed, unit_ids = _summary_share(actor, scope)
    ways = [] if scope.everything else _visible_ways(actor, scope, unit_ids)
    if scope.everything or scope.place_paths or unit_ids:
        _add_summary_rows(scope, summed, since, until, group_by, named)
    if start < due_limit:  # (1) due, deadline passed, not closed in the period
        _add_due_cases(scope, unit_ids, cases_summed, ways, (start, end, due_limit), named)
    if not scope.everything:  # (2) visible, but not through the summary's share
        dated = (
            Q(reported_at__gte=start, reported_at__lt=end)
            | Q(accepted_at__gte=start, accepted_at__lt=end)
            | Q(closed_at__gte=start, closed_at__lt=end)
            | Q(visited_at__gte=start, visited_at__lt=end)
        )
        rest = Case.objects.filter(dated).exclude(cases_summed).order_by()
        for r in _outside_summary(ways, rest):
            for (day, path, unit, _d, category, source), counts in summary.contribution(r).items():
                if since <= day <= until and (t := tally(name(path, unit, category, source))):
                    for c, n in counts.items():
                        t[c] += n
    if group_by is None:
        tally(("", ""))
    out = [FigureRow(key, label, _from_tally(t)) for key, (label, t) in tallies.items()]
    return sorted(out, key=lambda row: (row.label, row.group))


def _summary_share(actor, scope) -> tuple[Q, Q, list[int]]:
    """The summary's share of the scope, as a filter on summary rows and on cases alike, and
    the ids of the reader's units."""
    summed, cases_summed = Q(pk__in=[]), Q(pk__in=[])
    for path in sorted(scope.place_paths):
        summed |= Q(place_path__startswith=path)
        cases_summed |= Q(place_path__startswith=path)
    unit_ids: list[int] = []
    if scope.unit_paths:
        unit_ids = list(unit_ids_for(actor, scope))  # the request's own, read once
        summed |= Q(unit_id__in=unit_ids) | Q(dispatcher_id__in=unit_ids)
        cases_summed |= Q(responsible_unit_id__in=unit_ids) | Q(dispatcher_unit_id__in=unit_ids)
    return summed, cases_summed, unit_ids


def _add_summary_rows(scope, summed: Q, since: date, until: date, group_by, named) -> None:
    """The summary's share: month rows for whole months, day rows at the edges."""
    from cityloop.cases import summary
    from cityloop.cases.models import CaseDayFigure

    rows = CaseDayFigure.objects.filter(summary.period_q(since, until))
    if not scope.everything:
        rows = rows.filter(summed)
    sums = {f"n_{c}": Sum(c) for c in summary.COUNTERS}
    dims = ("place_path",) if group_by in ("street", "community") else ()
    dims += (_DIMENSION[group_by],) if group_by in _DIMENSION else ()
    found = [rows.aggregate(**sums)] if not dims else rows.values(*dims).annotate(**sums)
    for r in found:
        if any(r[f"n_{c}"] for c in _SUMS) and (t := named(r)) is not None:
            for c in summary.COUNTERS:
                t[c] += r[f"n_{c}"] or 0


def _visible_ways(actor, scope, unit_ids: list[int]) -> list[Q]:
    """The ways a case is visible besides the summary's share (assisting units, patrol zones,
    the reader's own reports), one filter each so that each query uses its own index."""
    ways = []
    if unit_ids:
        through = Case.assisting_units.through.objects.filter(unit_id__in=unit_ids)
        ways.append(Q(pk__in=through.values("case_id")))
    if scope.zone_ids:
        ids = sorted(scope.zone_ids)
        ways += [Q(zone_id__in=ids), Q(road_id__in=ids), Q(grid_id__in=ids)]
    if actor is not None and getattr(actor, "is_authenticated", False):
        ways.append(Q(reporter=actor))
    return ways


def _add_due_cases(scope, unit_ids: list[int], cases_summed: Q, ways, window, named) -> None:
    """Cases due in the period whose deadline passed, not closed in it (read from the cases:
    the answer depends on now).

    Counted by the database in one query, grouped by what names a group and decides the
    summary's share (place, units, category, source): a few hundred rows, not every open case,
    and the index range on (handle_due_at, closed_at) the only filter. The cases visible only
    another way (``ways``, outside the share) are counted apart in the same groups. A group
    whose straddling cases are all finished without a close still shows, with nothing due, as
    in the recount.
    """
    from cityloop.cases import summary

    start, end, due_limit = window
    due = ~Q(status__in=summary.NOT_DUE)
    on_time = due & Q(closed_on_time=True, closed_at__isnull=False)
    counts = {"n": Count("pk", filter=due), "on_time": Count("pk", filter=on_time)}
    if ways:
        other = Q(pk__in=[])
        for way in ways:
            other |= way
        other &= ~cases_summed
        counts |= {
            "seen_other": Count("pk", filter=other),
            "n_other": Count("pk", filter=other & due),
            "on_time_other": Count("pk", filter=other & on_time),
        }
    # One grouped count per arm (the arms are disjoint): the unclosed cases' arm reads the
    # covering index case_unclosed_due alone, which a bitmap over all arms could not.
    groups = [
        r
        for arm in _straddling_arms(start, end, due_limit)
        for r in Case.objects.filter(arm)
        .order_by()
        .values("place_path", "responsible_unit_id", "dispatcher_unit_id", "category_id", "source")
        .annotate(**counts)
    ]
    units = set(unit_ids)
    for r in groups:
        if scope.everything or (
            any(r["place_path"].startswith(p) for p in scope.place_paths)
            or r["responsible_unit_id"] in units
            or r["dispatcher_unit_id"] in units
        ):
            n, n_on_time = r["n"], r["on_time"]
        elif ways and r["seen_other"]:
            n, n_on_time = r["n_other"], r["on_time_other"]
        else:
            continue
        t = named(r)
        if t is not None:
            t["closed_due"] += n
            t["closed_due_on_time"] += n_on_time


class _SpanHolds(Func):
    """``tstzrange(LEAST(handle_due_at, closed_at), GREATEST(…), '(]') @> moment``: a closed
    case's span between its handling deadline and its closing, written exactly as the GiST
    index ``case_closed_span`` holds it (cases migration 0012), holding ``moment``."""

    template = (
        "tstzrange(LEAST(%(expressions)s), GREATEST(%(expressions)s), '(]') "
        "@> %(moment)s::timestamptz"
    )
    output_field = BooleanField()

    def __init__(self, moment: datetime) -> None:
        super().__init__(F("handle_due_at"), F("closed_at"))
        self.moment = moment

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, moment="%s", **extra)
        return sql, [*params, *params, self.moment]


def _straddling_arms(start: datetime, end: datetime, due_limit: datetime) -> list[Q]:
    """Cases whose handling deadline fell in ``[start, due_limit)`` and that were not closed
    in ``[start, end)``: not closed at all, closed before the period, or closed after it.

    On PostgreSQL each arm is written so that an index finds just its cases: the unclosed
    ones by deadline (``case_unclosed_due``), and a case closed before the period — its span
    from closing to deadline holds ``start`` — or after it — its span from deadline to
    closing holds ``end`` — by a stabbing lookup in ``case_closed_span``. The plain range on
    the deadline reads every case due in the period (a third of the table for a year)."""
    due = Q(handle_due_at__gte=start, handle_due_at__lt=due_limit)
    if connection.vendor != "postgresql":
        return [due & (Q(closed_at__isnull=True) | Q(closed_at__lt=start) | Q(closed_at__gte=end))]

    def holds(moment: datetime) -> Q:
        return Q(_SpanHolds(moment))

    return [
        due & Q(closed_at__isnull=True),
        (holds(start) & Q(closed_at__lt=start, handle_due_at__lt=due_limit))
        | (holds(end) & Q(closed_at__gte=end) & due),
    ]


def _outside_summary(ways: list[Q], rest):
    """The dated cases visible only another way than the summary's share: one query per way,
    so that each uses its own index; each case once."""
    from cityloop.cases import summary

    seen: set[int] = set()
    for way in ways:
        for r in rest.filter(way).values("pk", *summary.FIELDS):
            if r["pk"] not in seen:
                seen.add(r["pk"])
                yield r


def _from_tally(t: dict[str, float]) -> dict[str, Figure]:
    n = {k: int(v) for k, v in t.items() if k != "hours_sum"}
    hours = n["hours_count"]
    mean = round(t["hours_sum"] / hours, 2) if hours else None
    due, on_time = n["closed_due"], n["closed_due_on_time"]
    return {
        "reported": Figure("reported", n["reported"], n["reported"], 0),
        "accepted": Figure("accepted", n["accepted"], n["accepted"], 0),
        "closed": Figure("closed", n["closed"], n["closed"], 0),
        "on_time_close_rate": Figure("on_time_close_rate", _rate(on_time, due), on_time, due),
        "reopen_rate": Figure(
            "reopen_rate", _rate(n["reworked"], n["closed"]), n["reworked"], n["closed"]
        ),
        "satisfaction_rate": Figure(
            "satisfaction_rate", _rate(n["pleased"], n["visited"]), n["pleased"], n["visited"]
        ),
        "mean_handling_hours": Figure("mean_handling_hours", mean, hours, 0),
    }


def figure_case_ids(
    actor,
    *,
    figure: str,
    since: date,
    until: date,
    group_by: str | None = None,
    group: str = "",
    after: int = 0,
    limit: int = 100,
) -> tuple[list[int], int | None]:
    """The ids of the cases one figure counts (one group's, or the whole scope's), in id
    order from ``after``; answers a page of ids and the cursor of the next page (or None)."""
    from cityloop.core.errors import InvalidInput
    from cityloop.org.models import Place

    if figure not in FIGURE_KEYS:
        raise InvalidInput(
            "figures_bad_figure", _("Unknown figure."), {"allowed": list(FIGURE_KEYS)}
        )
    if group_by is not None and group_by not in GROUPS:
        raise InvalidInput("figures_bad_group", _("Unknown grouping."), {"allowed": list(GROUPS)})
    start, end = _local_start(since), _local_start(until + timedelta(days=1))
    due_limit = min(clock.now(), end)
    closed = Q(closed_at__gte=start, closed_at__lt=end)
    from cityloop.cases.summary import NOT_DUE

    where = {
        "reported": Q(reported_at__gte=start, reported_at__lt=end),
        "accepted": Q(accepted_at__gte=start, accepted_at__lt=end),
        "closed": closed,
        "on_time_close_rate": ~Q(status__in=NOT_DUE)
        & (closed | Q(handle_due_at__gte=start, handle_due_at__lt=due_limit)),
        "reopen_rate": closed & (Q(rework_count__gt=0) | Q(reopen_count__gt=0)),
        "satisfaction_rate": Q(visited_at__gte=start, visited_at__lt=end) & ~Q(satisfaction=""),
        "mean_handling_hours": closed & Q(handling_hours__isnull=False),
    }[figure]
    qs = visible_cases(actor).filter(where)
    if group_by == "unit":
        qs = qs.filter(responsible_unit_id=int(group) if group.isdigit() else -1)
    elif group_by == "category":
        qs = qs.filter(category__parent__code=group)
    elif group_by == "source":
        qs = qs.filter(source=group)
    elif group_by in ("street", "community"):
        if not Place.objects.filter(kind=group_by, code=group).exists():
            return [], None
        qs = qs.filter(place_path__contains=f"/{group}/")
    ids = list(qs.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[: limit + 1])
    return ids[:limit], (ids[limit - 1] if len(ids) > limit else None)


def _group_of(
    r: dict, group_by: str | None, place_names: dict[str, str], sources: dict[str, str]
) -> tuple[str | None, str]:
    if group_by is None:
        return "", ""
    if group_by == "unit":
        if r["responsible_unit_id"] is None:
            return None, ""
        return str(r["responsible_unit_id"]), r["responsible_unit__name"]
    if group_by == "category":
        code = r["category__parent__code"]
        return (code, r["category__parent__name"]) if code else (None, "")
    if group_by == "source":
        return r["source"], str(sources.get(r["source"], r["source"]))
    parts = [p for p in (r["place_path"] or "").split("/") if p]
    for code in parts:
        if code in place_names:
            return code, place_names[code]
    return None, ""


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _is_due(r: dict, start: datetime, end: datetime, due_limit: datetime) -> bool:
    """Due to close in the period: closed in it, or its handling deadline fell in it and has
    passed (cancelled, rejected, merged and suspended cases are not due)."""
    from cityloop.cases.summary import NOT_DUE

    if r["status"] in NOT_DUE:
        return False
    if _within(r["closed_at"], start, end):
        return True
    return r["handle_due_at"] is not None and start <= r["handle_due_at"] < due_limit


def _figures(items: list[dict], start: datetime, end: datetime, due_limit: datetime) -> dict:
    from cityloop.cases import summary

    reported = [r["pk"] for r in items if _within(r["reported_at"], start, end)]
    accepted = [r["pk"] for r in items if _within(r["accepted_at"], start, end)]
    closed_rows = [r for r in items if _within(r["closed_at"], start, end)]
    closed = [r["pk"] for r in closed_rows]
    due_rows = [r for r in items if _is_due(r, start, end, due_limit)]
    on_time = [r["pk"] for r in due_rows if r["closed_on_time"] and r["closed_at"] is not None]
    reworked = [r["pk"] for r in closed_rows if r["rework_count"] or r["reopen_count"]]
    visited = [r for r in items if _within(r["visited_at"], start, end) and r["satisfaction"]]
    pleased = [r["pk"] for r in visited if r["satisfaction"] in summary.PLEASED]
    hours = [r for r in closed_rows if r["handling_hours"] is not None]
    mean = round(sum(r["handling_hours"] for r in hours) / len(hours), 2) if hours else None
    return {
        "reported": Figure("reported", len(reported), len(reported), 0, reported),
        "accepted": Figure("accepted", len(accepted), len(accepted), 0, accepted),
        "closed": Figure("closed", len(closed), len(closed), 0, closed),
        "on_time_close_rate": Figure(
            "on_time_close_rate",
            _rate(len(on_time), len(due_rows)),
            len(on_time),
            len(due_rows),
            [r["pk"] for r in due_rows],
        ),
        "reopen_rate": Figure(
            "reopen_rate", _rate(len(reworked), len(closed)), len(reworked), len(closed), reworked
        ),
        "satisfaction_rate": Figure(
            "satisfaction_rate",
            _rate(len(pleased), len(visited)),
            len(pleased),
            len(visited),
            [r["pk"] for r in visited],
        ),
        "mean_handling_hours": Figure(
            "mean_handling_hours", mean, len(hours), 0, [r["pk"] for r in hours]
        ),
    }


def light_counts(actor) -> dict[str, int]:
    """Open cases by light, for the home page and the workbench header: one grouped count
    over the open cases alone, never the closed history; PostgreSQL reads it off the small
    covering index ``case_open_light_keys`` (light + scope keys), not the case rows."""
    from django.db.models import Count

    counts = dict(
        visible_cases(actor, open_only=True)
        .order_by()
        .values_list("light")
        .annotate(n=Count("*"))  # not the id: the light and the keys are all an index holds
        .values_list("light", "n")
    )
    return {k: counts.get(k, 0) for k in ("red", "yellow", "green")} | {
        "open": sum(counts.values())
    }


# --- reply templates ---------------------------------------------------------------------------


def reply_template_unit(case: Case, used_for: str):
    """Whose templates an action uses: the responsible unit's for a reply, the desk's
    (the dispatching unit's) for a return visit."""
    from cityloop.cases.models import ReplyTemplate

    if used_for == ReplyTemplate.UsedFor.RETURN_VISIT:
        return case.dispatcher_unit
    return case.responsible_unit


def reply_templates_for(actor, case: Case, used_for: str) -> list:
    """The active templates that fit ``case`` for ``used_for`` (``reply``/``return_visit``):
    the unit's own, for the case's category, its main category or any category, in the
    unit's order. One query; nothing for an account that does not play that part."""
    from cityloop.cases import rules
    from cityloop.cases.models import ReplyTemplate

    unit = reply_template_unit(case, used_for)
    if unit is None:
        return []
    allowed = (
        rules.is_dispatcher(actor, case)
        if used_for == ReplyTemplate.UsedFor.RETURN_VISIT
        else rules.is_handler(actor, case)
    )
    if not allowed:
        return []
    fits = Q(category__isnull=True)
    if case.category_id:
        fits |= Q(category_id=case.category_id)
        if case.category.parent_id:
            fits |= Q(category_id=case.category.parent_id)
    qs = ReplyTemplate.objects.filter(fits, unit_id=unit.pk, used_for=used_for, active=True)
    return list(qs.order_by("sort", "title", "pk"))


PLACEHOLDERS = ("{编号}", "{地点}", "{类别}")


def fill_template(text: str, case: Case) -> str:
    """The template's text with ``{编号}`` ``{地点}`` ``{类别}`` replaced from the case (the
    place's name, else the address); other braces are left as written."""
    place = case.place.name if case.place_id else case.address
    values = {
        "{编号}": case.code,
        "{地点}": place or "",
        "{类别}": case.category.name if case.category_id else "",
    }
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def reply_template_rows(actor) -> QuerySet:
    """The templates the account keeps (its unit's and the units under it), retired ones
    included; none for an account that keeps none."""
    from cityloop.cases import rules
    from cityloop.cases.models import ReplyTemplate

    root = rules.reply_template_root(actor)
    qs = ReplyTemplate.objects.select_related("unit", "category", "category__parent")
    if root is None:
        return qs.none()
    return qs.filter(unit__path__startswith=root).order_by(
        "-active", "unit__path", "used_for", "sort", "title"
    )


def reply_template_units(actor) -> QuerySet:
    """The units whose templates the account may write, in tree order."""
    from cityloop.cases import rules
    from cityloop.org.models import Unit

    root = rules.reply_template_root(actor)
    if root is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=root).order_by("path")


# --- where a case came from, named by the app that made it ----------------------------------


@dataclass(frozen=True)
class SourceLink:
    """A link on the case page to the record a case came from (the patrol that found it …)."""

    key: str  # names the link in the page (``data-<key>-link``)
    label: str
    url: str


# Apps that make cases register a provider in their ``ready()``: ``provider(actor, case)``
# answers the link, or ``None`` when there is none or the reader may not follow it (a link the
# reader cannot open would be a 404). Cases does not import those apps.
_SOURCE_LINKS: list[Callable[[object, Case], SourceLink | None]] = []


def register_source_link(provider: Callable[[object, Case], SourceLink | None]) -> None:
    if provider not in _SOURCE_LINKS:
        _SOURCE_LINKS.append(provider)


def source_links(actor, case: Case) -> list[SourceLink]:
    return [link for p in _SOURCE_LINKS if (link := p(actor, case)) is not None]


# The triage app registers the reader of its suggestions for a case (shown on the accept and
# dispatch screens, which preselect a confident one). Cases does not import intel: without a
# registered reader the page simply shows none.
_SUGGESTIONS: list[Callable[[Case], list]] = []


def register_suggestions(reader: Callable[[Case], list]) -> None:
    if reader not in _SUGGESTIONS:
        _SUGGESTIONS.append(reader)


def suggestions_for(case: Case) -> list:
    """Suggestions for a case already read through the reader's scope."""
    return [s for reader in _SUGGESTIONS for s in reader(case)]
