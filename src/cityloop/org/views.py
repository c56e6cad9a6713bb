"""Org browser pages: the place tree, units, zones and people, all through ``org.queries``.

An object outside the reader's scope is not found (404), exactly as in the API. htmx
requests get the named fragment of the same template (``page.html#partial``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from cityloop.core.steps import found
from cityloop.org import queries
from cityloop.org.models import Place, Unit, Zone

SEARCH_LIMIT = 50
DETAIL_LIMIT = 20
PAGE_SIZE = 50


def _render(
    request: HttpRequest, template: str, context: dict, *, partial: str = ""
) -> HttpResponse:
    """Render the page, or only ``partial`` when htmx asked for it (not on history restore)."""
    htmx = getattr(request, "htmx", None)
    if partial and htmx and not htmx.history_restore_request:
        template = f"{template}#{partial}"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass
class TreeNode:
    place: Place
    children: list[TreeNode] | None = None  # None: not loaded yet (expanded lazily)
    selected: bool = False
    extra: dict = field(default_factory=dict)


def _tree(user, selected: Place | None) -> list[TreeNode]:
    """The roots, with the branch down to the selected place already open."""
    open_paths = set()
    if selected is not None:
        codes = selected.path.strip("/").split("/")
        open_paths = {"/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))}
    roots = queries.place_rows(user).filter(pk__in=queries.place_roots(user).values("pk"))

    def build(rows) -> list[TreeNode]:
        nodes = []
        for p in rows:
            node = TreeNode(p, selected=selected is not None and p.pk == selected.pk)
            if p.path in open_paths and p.children_count:
                node.children = build(queries.place_rows(user, parent_id=p.pk))
            nodes.append(node)
        return nodes

    return build(roots)


def _place_detail(user, place: Place) -> dict:
    codes = place.path.strip("/").split("/")[:-1]
    ancestors = list(queries.visible_places(user).filter(code__in=codes).order_by("path"))
    zones = queries.zone_rows(user, place_id=place.pk)
    people = queries.people_rows(user, place_id=place.pk)
    duties = list(queries.duties_on(user, place))
    partners = list(queries.partners_of(user, place)) if place.kind == Place.Kind.COMPOUND else []
    return {
        "place": place,
        "ancestors": ancestors,
        "children": list(queries.place_rows(user, parent_id=place.pk)),
        "zones": list(zones[:DETAIL_LIMIT]),
        "zone_total": zones.count(),
        "people": list(people[:DETAIL_LIMIT]),
        "people_total": people.count(),
        "duties": duties,
        "partners": partners,
        # A chief of a wider zone or a partner unit is named here, but its own page is for
        # those whose scope holds it: link only what the reader may open (no link to a 404).
        "linkable_people": queries.visible_ids(user, "people", [d.person_id for d in duties]),
        "linkable_units": queries.visible_ids(user, "units", [pt.unit_id for pt in partners]),
    }


def _search(request: HttpRequest) -> dict:
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "")
    kind = kind if kind in Place.Kind.values else ""
    results = None
    if q or kind:
        rows = list(queries.place_rows(request.user, q=q, kind=kind or None)[: SEARCH_LIMIT + 1])
        results = rows[:SEARCH_LIMIT]
    return {
        "q": q,
        "kind": kind,
        "kind_label": Place.Kind(kind).label if kind else "",
        "results": results,
        "results_truncated": results is not None and len(rows) > SEARCH_LIMIT,
        "kinds": Place.Kind.choices,
    }


@login_required
def browser(request: HttpRequest, place_id: int | None = None) -> HttpResponse:
    user = request.user
    context = _search(request)
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "search-results":
        return _render(request, "org/browser.html", context, partial="search-results")
    if place_id is not None:
        selected = found(queries.place_get, user, place_id=place_id)
    else:
        selected = queries.place_roots(user).select_related("parent").first()
    if selected is not None:
        context.update(_place_detail(user, selected))
    if htmx and htmx.target == "detail":
        return _render(request, "org/browser.html", context, partial="detail")
    context["tree"] = _tree(user, selected)
    return _render(request, "org/browser.html", context)


@login_required
def tree_children(request: HttpRequest, place_id: int) -> HttpResponse:
    parent = found(queries.place_get, request.user, place_id=place_id)
    nodes = [TreeNode(p) for p in queries.place_rows(request.user, parent_id=parent.pk)]
    return _render(request, "org/browser.html#tree-nodes", {"nodes": nodes})


@login_required
def units(request: HttpRequest) -> HttpResponse:
    rows = list(queries.unit_rows(request.user, q=request.GET.get("q", "").strip()[:50]))
    top = min((u.depth for u in rows), default=0)
    for u in rows:
        u.indent = u.depth - top
    return render(request, "org/units.html", {"units": rows, "q": request.GET.get("q", "")})


@login_required
def unit(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = request.user
    obj = found(queries.unit_get, user, unit_id=unit_id)
    context = {
        "unit": obj,
        "sub_units": list(queries.unit_rows(user).filter(parent_id=obj.pk)),
        "people": list(queries.people_rows(user, unit_id=obj.pk)),
    }
    return render(request, "org/unit.html", context)


@login_required
def zones(request: HttpRequest) -> HttpResponse:
    user = request.user
    kind = request.GET.get("kind", "")
    kind = kind if kind in Zone.Kind.values else ""
    place_id = _int(request.GET.get("place"))
    place = found(queries.place_get, user, place_id=place_id) if place_id else None
    q = request.GET.get("q", "").strip()[:50]
    rows = queries.zone_rows(user, kind=kind or None, place_id=place_id, q=q)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "kind": kind,
        "kind_label": Zone.Kind(kind).label if kind else "",
        "kinds": Zone.Kind.choices,
        "place": place,
        "q": q,
        "query": _query_without_page(request),
    }
    return render(request, "org/zones.html", context)


@login_required
def zone(request: HttpRequest, zone_id: int) -> HttpResponse:
    obj = found(queries.zone_get, request.user, zone_id=zone_id)
    duties = list(queries.duties_on(request.user, obj))
    return render(request, "org/zone.html", {"zone": obj, "duties": duties})


@login_required
def people(request: HttpRequest) -> HttpResponse:
    user = request.user
    q = request.GET.get("q", "").strip()[:50]
    place_id = _int(request.GET.get("place"))
    unit_id = _int(request.GET.get("unit"))
    place = found(queries.place_get, user, place_id=place_id) if place_id else None
    unit_obj: Unit | None = found(queries.unit_get, user, unit_id=unit_id) if unit_id else None
    rows = queries.people_rows(user, q=q, place_id=place_id, unit_id=unit_id)
    with_duties = request.GET.get("with_duties") == "1"
    if with_duties:
        rows = rows.filter(zone_roles__isnull=False).distinct()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "place": place,
        "unit": unit_obj,
        "with_duties": with_duties,
        "query": _query_without_page(request),
    }
    return render(request, "org/people.html", context)


@login_required
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    obj = found(queries.person_get, request.user, person_id=person_id)
    duties = list(queries.duties_of(request.user, obj))
    context = {
        "person": obj,
        "duties": duties,
        "unit_linkable": bool(queries.visible_ids(request.user, "units", [obj.unit_id or 0])),
    }
    return render(request, "org/person.html", context)
