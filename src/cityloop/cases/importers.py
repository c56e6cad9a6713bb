"""Importing the case loop's tables: the category tree and a 12345 hotline export.

Both kinds run through the shared runner (:func:`cityloop.org.importers.run_file`): the whole
file is checked, every problem is named with its line and column, and nothing is written
unless every row is good; a dry run does the work and rolls it back.

- ``categories`` hands each row to :func:`cityloop.cases.services.category_save`; parents may
  come after their children in the file; re-importing the same file changes nothing.
- ``hotline`` checks each row by the intake rules of :func:`cityloop.cases.workflow.report`
  (:func:`~cityloop.cases.workflow.plan_report`, source ``hotline``, as the desk account
  given with ``--actor``) outside any transaction, then writes every new case with its event,
  scope keys, light and figures in one short bulk transaction
  (:func:`~cityloop.cases.workflow.write_planned`). A case is known by its work-order number
  (工单编号), so importing the same export again creates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from cityloop.cases import rules, services
from cityloop.cases.deadlines import parse_limit
from cityloop.cases.models import Case, Category, Level
from cityloop.core import clock
from cityloop.core.errors import InvalidInput
from cityloop.core.imports import Column, ImportReport, Row, Spec
from cityloop.core.roles import has_any
from cityloop.org.importers import (
    ImportRun,
    choice_map,
    lookup,
    resolve_parent,
    run_file,
    tree_order,
)
from cityloop.org.models import Place, Unit

# --- accepted values -----------------------------------------------------------------------

CATEGORY_KINDS = choice_map(
    {
        "component": ("部件",),
        "event": ("事件",),
        "message": ("诉求", "市民诉求", "留言"),
    }
)
LEVELS = choice_map(
    {
        "building": ("楼栋", "楼栋级"),
        "compound": ("小区", "楼院", "小区级"),
        "community": ("社区", "社区级", "村", "村级"),
        "street": ("街道", "街道级", "镇", "镇级"),
        "district": ("区", "区级", "区县", "县级"),
    }
)
ROUTINGS = choice_map(
    {
        "unit": ("按单位", "默认单位", "单位"),
        "place": ("按属地", "属地", "按地点", "地点"),
    }
)
URGENCIES = choice_map({"normal": ("一般", "普通"), "urgent": ("紧急",)})

# --- specs ---------------------------------------------------------------------------------

C = Column
STAGE_COLUMNS = (
    C("accept", ("受理时限", "accept")),
    C("dispatch", ("派遣时限", "dispatch")),
    C("handle", ("处置时限", "handle", "办理时限")),
    C("verify", ("核查时限", "verify")),
    C("return_visit", ("回访时限", "return_visit")),
)
SPECS: dict[str, Spec] = {
    "categories": Spec(
        "categories",
        (
            C("code", ("编码", "code", "类别编码", "分类编码"), required=True),
            C("name", ("名称", "name", "类别名称", "分类名称"), required=True),
            C("parent_code", ("大类编码", "parent_code", "上级编码", "parent")),
            C("kind", ("种类", "kind", "类型"), choices=CATEGORY_KINDS),
            C("level", ("处置层级", "level", "层级"), choices=LEVELS),
            C("routing", ("派遣方式", "routing"), choices=ROUTINGS),
            C("default_unit_code", ("默认责任单位编码", "default_unit_code", "责任单位编码")),
            C("urgency", ("紧急程度", "urgency"), choices=URGENCIES),
            *STAGE_COLUMNS,
            C("keywords", ("关键词", "keywords")),
            C("description", ("说明", "description", "描述")),
            C("sort", ("排序", "sort"), kind="number"),
            C("is_active", ("启用", "is_active"), kind="bool"),
        ),
    ),
    "hotline": Spec(
        "hotline",
        (
            C("external_id", ("工单编号", "external_id", "工单号", "留言编号"), required=True),
            C("reported_at", ("来电时间", "reported_at", "留言时间")),
            C("description", ("诉求内容", "description", "留言详情"), required=True),
            C("title", ("标题", "title", "留言主题")),
            C("address", ("地址", "address", "事发地址")),
            C("category", ("类别", "category", "类别编码")),
            C("reporter_name", ("来电人", "reporter_name")),
            C("reporter_phone", ("电话", "reporter_phone", "联系电话", "来电号码")),
        ),
        key=("external_id",),
        geometry=True,  # 经度/纬度 (and --crs gcj02), checked by the shared parser
    ),
}
KINDS = tuple(SPECS)

# Where a service's complaint belongs: error code → column.
ERROR_COLUMNS = {
    "category_bad_parent": "parent_code",
    "category_unit_required": "default_unit_code",
    "case_description_required": "description",
    "text_too_long": "description",
    "case_category_not_leaf": "category",
    "case_location_invalid": "lng",
    "case_outside_area": "lng",
    "case_location_required": "address",
}
FIELD_COLUMNS = {"parent": "parent_code", "default_unit": "default_unit_code"}
MAX_EXTERNAL_ID = Case._meta.get_field("external_id").max_length
MAX_SORT = 32767
BATCH = 900  # numbers per lookup query (below SQLite's parameter limit)


def run_import(
    kind: str,
    path: Path | str,
    *,
    actor=None,
    dry_run: bool = False,
    crs: str = "wgs84",
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import one file of ``categories`` or ``hotline``; ``report.ok`` false → nothing written.

    A hotline import needs ``actor``: a staff account that may take in hotline cases."""
    if kind not in SPECS:
        raise InvalidInput(
            "import_bad_kind",
            _("Unknown import kind %(kind)s (one of: %(kinds)s)")
            % {"kind": kind, "kinds": ", ".join(KINDS)},
        )
    if kind == "hotline":
        _check_hotline_actor(actor)
    report = run_file(
        SPECS[kind],
        PLAN.get(kind) or APPLY[kind],
        path,
        actor=actor,
        dry_run=dry_run,
        crs=crs,
        error_columns=ERROR_COLUMNS,
        planned=kind in PLAN,
        progress=progress,
    )
    if kind == "hotline" and report.written:  # fresh statistics after a large import
        from cityloop.core.db import analyze_after_bulk

        analyze_after_bulk(Case, report.total("created") + report.total("updated"))
    return report


# --- categories ----------------------------------------------------------------------------


def _time_limits(run: ImportRun, row: Row, existing: Category | None) -> dict[str, Any]:
    """The stored limits, with each stage column present in the file taking over."""
    limits = dict(existing.time_limits or {}) if existing is not None else {}
    for col in STAGE_COLUMNS:
        if not run.present(col.name):
            continue
        text = row.values.get(col.name) or ""
        if not text:
            limits.pop(col.name, None)
            continue
        try:
            limits[col.name] = parse_limit(text, stage=col.name).as_dict()
        except InvalidInput as exc:
            run.error(
                row,
                col.name,
                _(
                    "%(value)s is not a time limit: write a number and a type, e.g. 5工作日, "
                    "2工作时, 4紧急工作时, 3自然日 or 5 work_days"
                )
                % {"value": text},
                exc.code,
            )
    return limits


def _sort(run: ImportRun, row: Row, existing: Category | None) -> int:
    if not run.present("sort"):
        return existing.sort if existing is not None else 0
    value = row.values.get("sort")
    if value is None:
        return 0
    if not (float(value).is_integer() and 0 <= value <= MAX_SORT):
        run.error(
            row,
            "sort",
            _("The order is a whole number from 0 to %(max)d") % {"max": MAX_SORT},
            "cell_invalid",
        )
        return 0
    return int(value)


def _apply_categories(run: ImportRun) -> None:
    done: dict[str, Category | None] = {}
    for row in tree_order(run, Category):
        code = row.values["code"]
        existing = Category.objects.filter(code=code).first()
        if run.present("default_unit_code"):
            unit, _found = lookup(
                run, row, "default_unit_code", Unit, _("No unit with code %(code)s")
            )
        else:
            unit = existing.default_unit if existing is not None else None
        limits = _time_limits(run, row, existing)
        sort = _sort(run, row, existing)
        if not row.ok:
            continue
        ready, parent = resolve_parent(run, row, Category, done, existing)
        if not ready:
            continue
        # An empty kind: a sub-category is of its main category's kind.
        kind = (
            row.values.get("kind")
            or (parent.kind if parent is not None else None)
            or (existing.kind if existing is not None else None)
            or Category.Kind.EVENT
        )
        done[code] = run.save(
            row,
            services.category_save,
            {
                "code": code,
                "name": row.values["name"],
                "parent": parent,
                "kind": kind,
                "level": run.keep(row, existing, "level", "") or Level.COMMUNITY,
                "routing": run.keep(row, existing, "routing", "") or Category.Routing.PLACE,
                "default_unit": unit,
                "urgency": run.keep(row, existing, "urgency", "") or Category.Urgency.NORMAL,
                "time_limits": limits,
                "keywords": run.keep(row, existing, "keywords", ""),
                "description": run.keep(row, existing, "description", ""),
                "sort": sort,
                "is_active": run.keep(row, existing, "is_active", True),
            },
            FIELD_COLUMNS,
        )


# --- hotline -------------------------------------------------------------------------------


def _check_hotline_actor(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise InvalidInput(
            "import_actor_required",
            _(
                "A hotline import is entered by a desk account: give --actor with the username "
                "of a staff member who takes in cases (e.g. street staff)."
            ),
        )
    if not has_any(actor, rules.STAFF_SOURCES_ROLES):
        raise InvalidInput(
            "import_actor_not_allowed",
            _(
                "Account %(username)s may not take in hotline cases: it needs a desk role "
                "(e.g. street staff)."
            )
            % {"username": actor.get_username()},
        )


class _Categories:
    """Finds a sub-category by code, by name, or as 大类/小类; loaded once per file."""

    def __init__(self) -> None:
        self.all = list(Category.objects.select_related("parent"))
        self.by_code = {c.code.upper(): c for c in self.all}
        self.by_name: dict[str, list[Category]] = {}
        for c in self.all:
            self.by_name.setdefault(_squash(c.name), []).append(c)
            if c.parent is not None:
                self.by_name.setdefault(_squash(f"{c.parent.name}/{c.name}"), []).append(c)

    def find(self, text: str) -> tuple[Category | None, str]:
        """``(leaf, "")`` or ``(None, reason)``."""
        found = self.by_code.get(text.strip().upper())
        matches = [found] if found is not None else self.by_name.get(_squash(text), [])
        leaves = [c for c in matches if c.parent_id is not None]
        if not matches:
            return None, _("No sub-category with code or name %(value)s") % {"value": text}
        if not leaves:
            return None, _(
                "%(value)s is a main category; give a sub-category (小类) code or name"
            ) % {"value": text}
        if len(leaves) > 1:
            return None, _("%(value)s names several sub-categories (%(codes)s); give the code") % {
                "value": text,
                "codes": ", ".join(c.code for c in leaves),
            }
        if not leaves[0].is_active:
            return None, _("Sub-category %(value)s is no longer in use") % {"value": text}
        return leaves[0], ""


def _squash(text: str) -> str:
    """Compare names without spaces, with any of / ／ › > between main and sub-category."""
    return re.sub(r"\s+", "", re.sub(r"[／›>]", "/", text))


_MOMENT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y%m%d%H%M%S",
)


def parse_moment(text: str) -> datetime | None:
    """A call time as hotline exports write it (2019/4/25 9:32:09, 2019-04-25 09:32, ISO …),
    read in local time unless it carries an offset; ``None`` if unreadable."""
    raw = re.sub(r"\s+", " ", text.strip())
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
        cleaned = raw.replace("/", "-").replace("T", " ")
        cleaned = re.sub(r"(日)(\d)", r"\1 \2", cleaned)
        for fmt in _MOMENT_FORMATS:
            try:
                value = datetime.strptime(cleaned, fmt)
                break
            except ValueError:
                continue
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.local_zone())
    return value


def _reported_at(run: ImportRun, row: Row) -> datetime | None:
    text = row.values.get("reported_at") or ""
    if not text:
        return None
    moment = parse_moment(text)
    if moment is None:
        run.error(
            row,
            "reported_at",
            _("%(value)s is not a date and time (e.g. 2026-11-23 09:30)") % {"value": text},
            "cell_invalid",
        )
    elif moment > clock.now() + timedelta(minutes=5):
        run.error(
            row, "reported_at", _("%(value)s is in the future") % {"value": text}, "cell_invalid"
        )
    return moment


def _point(run: ImportRun, row: Row) -> tuple[float | None, float | None]:
    geometry = row.geometry
    if geometry is None:
        return None, None
    if geometry.get("type") != "Point":
        run.error(
            row,
            "geometry",
            _("A case is located by a point: give longitude and latitude"),
            "geometry_not_point",
        )
        return None, None
    lng, lat = geometry["coordinates"][:2]
    return lng, lat


def _plan_hotline(run: ImportRun) -> Callable[[], None]:
    """Check every work order by the intake rules (outside any transaction), then write the
    new cases in bulk in one short transaction: each gets what a single intake gives it."""
    # Imported here: intake pulls in the triage model (scikit-learn, ~100 MB), which a
    # places or people import, sharing this command, has no use for.
    from cityloop.cases import routing, workflow

    rows = run.parsed.rows
    categories = _Categories()
    root = Place.objects.filter(parent__isnull=True).order_by("path").first()
    numbers = {r.values["external_id"] for r in rows if r.values.get("external_id")}
    stored = set()
    wanted = sorted(numbers)
    for i in range(0, len(wanted), BATCH):
        stored.update(
            Case.objects.filter(
                source=Case.Source.HOTLINE, external_id__in=wanted[i : i + BATCH]
            ).values_list("external_id", flat=True)
        )
    planned: list[tuple[Case, dict[str, Any]]] = []
    with routing.memo():
        # Every row's point in one pass over the map (a row whose point is refused below
        # costs a lookup nobody reads).
        workflow.locate_ahead(
            row.geometry["coordinates"][:2]
            for row in rows
            if row.ok and row.geometry is not None and row.geometry.get("type") == "Point"
        )
        for n, row in enumerate(rows, start=1):
            if n % 500 == 0 or n == len(rows):
                run.tick("check", n, len(rows))
            external_id = row.values["external_id"]
            if len(external_id) > MAX_EXTERNAL_ID:
                run.error(
                    row,
                    "external_id",
                    _("The number is too long (at most %(n)d characters)") % {"n": MAX_EXTERNAL_ID},
                    "cell_invalid",
                )
            category = None
            if row.values.get("category"):
                category, reason = categories.find(row.values["category"])
                if reason:
                    run.error(row, "category", reason, "category_not_found")
            reported_at = _reported_at(run, row)
            lng, lat = _point(run, row)
            if not row.ok:
                continue
            if external_id in stored:
                run.report.count(run.kind, "unchanged")
                continue
            address = row.values.get("address") or ""
            # No address and no point: the district takes it in (a 12345 matter often has
            # none). The case's reported_at is the intake time; the call time and the file
            # go into the data of the report event.
            try:
                planned.append(
                    workflow.plan_report(
                        actor=run.actor,
                        source=Case.Source.HOTLINE,
                        external_id=external_id,
                        event_data={
                            "imported_from": run.report.source,
                            **({"reported_at": reported_at.isoformat()} if reported_at else {}),
                        },
                        description=row.values["description"],
                        title=row.values.get("title") or "",
                        category=category,
                        lng=lng,
                        lat=lat,
                        address=address,
                        place=root if not address and lng is None else None,
                        reporter_name=row.values.get("reporter_name") or "",
                        reporter_phone=row.values.get("reporter_phone") or "",
                    )
                )
            except InvalidInput as exc:
                run._service_error(row, exc, {})
                continue
            run.report.count(run.kind, "created")

    def write() -> None:
        workflow.write_planned(
            run.actor, planned, tick=lambda done: run.tick("write", done, len(planned))
        )

    return write


APPLY = {"categories": _apply_categories}
PLAN = {"hotline": _plan_hotline}
