"""Importing a district's own frame: places, units, people, zones, duties and partnerships.

Each kind has a column :class:`~cityloop.core.imports.Spec` and an apply step that hands every
row to the same service the admin and the demo use (``org/services.py``), so the rules are
written once. The whole file runs in one transaction: any problem, on any row, and nothing is
written; a dry run does all the work and then rolls it back, so its counts are the real ones.

:func:`run_file` (read, check, apply in one transaction, report) and the helpers an apply
step uses (:class:`ImportRun`, :func:`tree_order`, :func:`resolve_parent`, :func:`lookup`,
:func:`choice_map`) serve other apps' import kinds too (``cases/importers.py``).

Columns missing from a file leave the stored value alone (a file with only codes and names
does not wipe geometries); a column that is present is the truth, empty cells included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cityloop.core.errors import InvalidInput
from cityloop.core.imports import (
    CRS_CHOICES,
    LET_GO,
    Column,
    ImportFileError,
    ImportReport,
    Parsed,
    Row,
    RowError,
    Spec,
    parse,
    read_table,
)
from cityloop.org import geometry, services
from cityloop.org.models import Partnership, Person, Place, Unit, Zone, ZoneRole

# --- accepted values -----------------------------------------------------------------------


def choice_map(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """``{stored: (spellings…)}`` → ``{spelling: stored}``; the stored code is accepted too."""
    out = {}
    for stored, spellings in table.items():
        for s in (stored, *spellings):
            out[s.lower()] = stored
    return out


PLACE_KINDS = choice_map(
    {
        "district": ("区", "区县", "县", "县区"),
        "street": ("街道", "镇", "乡", "乡镇"),
        "community": ("社区", "村"),
        "compound": ("小区", "楼院", "院落"),
        "building": ("楼栋", "楼"),
    }
)
MANAGEMENT = choice_map(
    {
        "property_company": ("物业", "物业公司", "物业管理"),
        "owners_committee": ("业委会", "业主委员会"),
        "self_managed": ("自管会", "自管", "居民自管"),
        "unmanaged": ("无主管", "无物业"),
    }
)
UNIT_KINDS = choice_map(
    {
        "party_government": ("党政机关",),
        "bureau": ("区直部门", "区直单位", "职能部门"),
        "street_office": ("街道办事处", "街道办", "镇政府"),
        "office": ("科室", "内设科室"),
        "community_committee": ("社区居委会", "居委会", "村委会"),
        "company": ("企业", "公司"),
        "partner": ("联建共建单位", "共建单位", "联建单位"),
    }
)
ZONE_KINDS = choice_map(
    {
        "road": ("道路",),
        "grid": ("网格", "单元网格"),
        "hazard_point": ("隐患点", "风险点"),
        "park": ("公园", "游园"),
    }
)
ROLES = choice_map(
    {
        "road_chief": ("路长",),
        "compound_head": ("楼院长", "小区长"),
        "building_head": ("楼长", "楼栋长"),
        "red_steward": ("红管家",),
        "grid_worker": ("网格员",),
        "inspector": ("督查员",),
    }
)
LEVELS = choice_map(
    {
        "district": ("区级", "区"),
        "street": ("街道级", "街道", "镇级"),
        "community": ("社区级", "社区", "村级"),
    }
)
TARGET_TYPES = choice_map({"zone": ("责任对象",), "place": ("地点",)})

# --- specs ---------------------------------------------------------------------------------

C = Column
SPECS: dict[str, Spec] = {
    "places": Spec(
        "places",
        (
            C("code", ("编码", "code", "地点编码", "区划代码"), required=True),
            C("name", ("名称", "name", "地点名称"), required=True),
            C("kind", ("类型", "kind", "层级"), required=True, choices=PLACE_KINDS),
            C("parent_code", ("上级编码", "parent_code", "parent", "上级")),
            C("management", ("管理方式", "management", "管理类型"), choices=MANAGEMENT),
            C("address", ("地址", "address")),
        ),
        geometry=True,
    ),
    "units": Spec(
        "units",
        (
            C("code", ("编码", "code", "单位编码"), required=True),
            C("name", ("名称", "name", "单位名称"), required=True),
            C("kind", ("类型", "kind", "单位类型"), required=True, choices=UNIT_KINDS),
            C("parent_code", ("上级编码", "parent_code", "上级单位编码", "parent")),
            C("place_code", ("辖区编码", "place_code", "所辖地点编码", "地点编码")),
            C("short_name", ("简称", "short_name")),
            C("work_hours", ("工作时间", "work_hours")),
            C("works_weekends", ("周末无休", "works_weekends"), kind="bool"),
            C("round_the_clock", ("24小时服务", "round_the_clock", "24小时"), kind="bool"),
        ),
    ),
    "people": Spec(
        "people",
        (
            C("code", ("编码", "code", "人员编码"), required=True),
            C("name", ("姓名", "name", "名称"), required=True),
            C("phone", ("电话", "phone", "手机", "联系电话")),
            C("title", ("职务", "title")),
            C("unit_code", ("单位编码", "unit_code")),
            C("place_code", ("地点编码", "place_code", "所在地点编码")),
        ),
    ),
    "zones": Spec(
        "zones",
        (
            C("code", ("编码", "code", "对象编码"), required=True),
            C("name", ("名称", "name"), required=True),
            C("kind", ("类型", "kind"), required=True, choices=ZONE_KINDS),
            C("place_code", ("所属地点编码", "place_code", "地点编码"), required=True),
        ),
        geometry=True,
    ),
    "duties": Spec(
        "duties",
        (
            C("person_code", ("人员编码", "person_code", "person"), required=True),
            C("role", ("职责", "role", "角色"), required=True, choices=ROLES),
            C("level", ("层级", "level", "级别"), choices=LEVELS),
            C("target_code", ("对象编码", "target_code", "责任对象编码"), required=True),
            C("target_type", ("对象类型", "target_type"), choices=TARGET_TYPES),
        ),
        key=("person_code", "role", "level", "target_code", "target_type"),
    ),
    "partnerships": Spec(
        "partnerships",
        (
            C("unit_code", ("单位编码", "unit_code", "共建单位编码"), required=True),
            C("compound_code", ("小区编码", "compound_code", "楼院编码"), required=True),
            C("note", ("备注", "note")),
        ),
        key=("unit_code", "compound_code"),
    ),
}
KINDS = tuple(SPECS)

# Places accept these shapes (place_save checks the exact rule); checked here first so that a
# bad geometry and a bad parent on the same row are both reported.
ANY_GEOMETRY = {"Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}

# Where a service's complaint belongs: error code → column, then model field → column.
ERROR_COLUMNS = {
    "place_bad_parent": "parent_code",
    "place_cycle": "parent_code",
    "unit_cycle": "parent_code",
    "duty_bad_target": "target_code",
    "duty_level_required": "level",
    "partnership_bad_target": "compound_code",
    "work_hours_invalid": "work_hours",
}
FIELD_COLUMNS = {
    "parent": "parent_code",
    "place": "place_code",
    "unit": "unit_code",
    "person": "person_code",
    "zone": "target_code",
    "compound": "compound_code",
}


# --- running -------------------------------------------------------------------------------


class _RollBack(Exception):
    """Raised inside the import transaction to undo it (errors found, or a dry run)."""


@dataclass
class ImportRun:
    """One file being applied: the parsed rows, the report, and the helpers an apply step
    uses (also by other apps' importers, through :func:`run_file`)."""

    kind: str
    parsed: Parsed
    report: ImportReport
    actor: Any
    stored_parents: dict[str, Any] = field(default_factory=dict)
    # error code of a service → the column it belongs to
    error_columns: dict[str, str] = field(default_factory=lambda: ERROR_COLUMNS)
    # progress(stage, done, total): the CLI's bar; stage "check" (rows) or "write" (rows)
    progress: Callable[[str, int, int], None] | None = None
    _saved: int = 0

    def tick(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    @cached_property
    def file_codes(self) -> set[str]:
        return {r.values["code"] for r in self.parsed.rows if r.values.get("code")}

    def present(self, name: str) -> bool:
        return name in self.parsed.present

    def error(self, row: Row, name: str, reason: str, code: str) -> None:
        self.parsed.error(row, name, reason, code)

    def keep(self, row: Row, existing, name: str, default: Any) -> Any:
        """The file's value when the column is there, else the stored value, else default."""
        if self.present(name):
            value = row.values.get(name)
            return default if value is None else value
        return getattr(existing, name) if existing is not None else default

    def save(
        self,
        row: Row,
        service: Callable[..., tuple[Any, str]],
        kwargs: dict[str, Any],
        fields: dict[str, str] | None = None,
    ):
        """Call one service in its own savepoint; its complaint becomes a row error.

        ``fields`` maps a model field to the column it came from where the name differs.
        """
        try:
            with transaction.atomic():
                obj, outcome = service(actor=self.actor, **kwargs)
        except InvalidInput as exc:
            self._service_error(row, exc, fields or {})
            return None
        except IntegrityError:
            self.error(row, "", _("This row conflicts with data already stored"), "conflict")
            return None
        if outcome == "updated":
            self.stored_parents.clear()
        if row.ok:
            self.report.count(self.kind, outcome)
        self._saved += 1
        if self._saved % 50 == 0 or self._saved == len(self.parsed.rows):
            self.tick("write", self._saved, len(self.parsed.rows))
        return obj

    def _service_error(self, row: Row, exc: InvalidInput, fields: dict[str, str]) -> None:
        if exc.code == "invalid_record" and exc.detail.get("fields"):
            for field_name, messages in exc.detail["fields"].items():
                name = fields.get(field_name) or FIELD_COLUMNS.get(field_name) or field_name
                if field_name == "__all__" or name not in self.parsed.present:
                    name = ""
                self.error(row, name, " ".join(str(m) for m in messages), exc.code)
            return
        name = self.error_columns.get(exc.code, "")
        if exc.code.startswith("geometry_"):
            name = "geometry"
        self.error(row, name, str(exc.message), exc.code)


def run_import(
    kind: str,
    path: Path | str,
    *,
    actor=None,
    dry_run: bool = False,
    crs: str = "wgs84",
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import one file of one kind; returns the report (``report.ok`` false → nothing written)."""
    if kind not in SPECS:
        raise InvalidInput(
            "import_bad_kind",
            _("Unknown import kind %(kind)s (one of: %(kinds)s)")
            % {"kind": kind, "kinds": ", ".join(KINDS)},
        )
    # Every kind is checked for the whole file first and written in bulk (PLAN).
    report = run_file(
        SPECS[kind],
        PLAN[kind],
        path,
        actor=actor,
        dry_run=dry_run,
        crs=crs,
        planned=True,
        progress=progress,
    )
    if kind == "places" and report.written:  # fresh statistics after a large import
        from cityloop.core.db import analyze_after_bulk

        analyze_after_bulk(Place, report.total("created") + report.total("updated"))
    return report


def run_file(
    spec: Spec,
    apply: Callable[[ImportRun], None],
    path: Path | str,
    *,
    actor=None,
    dry_run: bool = False,
    crs: str = "wgs84",
    error_columns: dict[str, str] | None = None,
    planned: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Read and check ``path`` against ``spec``, then write it all or nothing.

    ``planned``: ``apply`` only reads (lookups in batches) and returns the function that
    writes; it runs outside any transaction, so a long file never holds SQLite's write lock
    while it is checked, and the writes then take one short transaction. Otherwise ``apply``
    writes row by row in one transaction that is rolled back on any problem or on a dry run.
    Other apps' import kinds use it too."""
    if crs not in CRS_CHOICES:
        raise InvalidInput(
            "import_bad_crs",
            _("Unknown coordinate system %(crs)s (one of: %(crs_list)s)")
            % {"crs": crs, "crs_list": ", ".join(CRS_CHOICES)},
        )
    kind = spec.kind
    report = ImportReport(kind=kind, source=Path(path).name, dry_run=dry_run)
    try:
        table = read_table(path)
    except ImportFileError as exc:
        report.errors.append(RowError(exc.line, "", exc.reason, exc.code))
        return report
    parsed = parse(table, spec, crs=crs)
    del table  # the cells as read are in parsed now; 100 k rows of them are worth freeing
    report.rows = len(parsed.rows)
    report.warnings = parsed.warnings
    if any(e.line == 0 for e in parsed.errors):
        report.errors = parsed.errors
        return report
    run = ImportRun(kind, parsed, report, actor, progress=progress)
    if error_columns is not None:
        run.error_columns = error_columns
    if planned:
        write = apply(run)
        if not parsed.errors:
            # Planned: what is written is in the built objects; the parsed cells can go
            # before the write needs its memory (100 k rows of them).
            for row in parsed.rows:
                row.values, row.geometry = LET_GO, None
        if not parsed.errors and not dry_run:
            try:
                with transaction.atomic():
                    write()
            except IntegrityError:
                # Someone wrote the same codes between the check and the write.
                parsed.errors.append(
                    RowError(
                        0,
                        "",
                        _("The data changed while this file was checked; import it again"),
                        "import_conflict",
                        parsed.unit,
                    )
                )
        report.errors = parsed.errors
        if report.errors:
            report.counts = {}
        return report
    try:
        with transaction.atomic():
            apply(run)
            if parsed.errors or dry_run:
                raise _RollBack
    except _RollBack:
        pass
    report.errors = parsed.errors
    if report.errors:  # nothing was written, so no count is true
        report.counts = {}
    return report


# --- trees: a child row may come before its parent row --------------------------------------


def tree_order(run: ImportRun, model) -> list[Row]:
    """Rows in an order where a parent in the file comes before its children.

    Checks on the way that every parent is in the file or in the database, and that no chain
    of parents in the file loops.
    """
    rows = [r for r in run.parsed.rows if r.values.get("code")]
    in_file = {}
    for r in rows:
        in_file.setdefault(r.values["code"], r)
    parent_of = {r.values["code"]: r.values.get("parent_code") or "" for r in in_file.values()}
    outside = {p for p in parent_of.values() if p and p not in in_file}
    stored = set(model.objects.filter(code__in=outside).values_list("code", flat=True))
    for r in rows:
        parent = r.values.get("parent_code")
        if parent and parent not in in_file and parent not in stored:
            run.error(
                r,
                "parent_code",
                _("Parent code %(code)s is neither in this file nor in the database")
                % {"code": parent},
                "parent_not_found",
            )

    depth: dict[str, int | None] = {}
    for code in in_file:
        chain, c = [], code
        while c in in_file and c not in depth and c not in chain:
            chain.append(c)
            c = parent_of[c]
        if c in chain:  # walked back into this chain: a loop
            loop = chain[chain.index(c) :]
            for member in loop:
                run.error(
                    in_file[member],
                    "parent_code",
                    _("The parent codes in this file form a loop: %(loop)s")
                    % {"loop": " → ".join([*loop, loop[0]])},
                    "parent_loop",
                )
            base = None
        else:
            base = depth.get(c, 0) if c in in_file else -1
        for member in reversed(chain):
            base = None if base is None else base + 1
            depth[member] = base
    ordered = [r for r in rows if depth.get(r.values["code"]) is not None]
    return sorted(ordered, key=lambda r: (depth[r.values["code"]], r.line))


def resolve_parent(run: ImportRun, row: Row, model, done: dict, existing) -> tuple[bool, Any]:
    """``(ready, parent)``: not ready when the parent row in this file failed."""
    if not run.present("parent_code"):
        return True, existing.parent if existing is not None else None
    code = row.values.get("parent_code")
    if not code:
        return True, None
    if code in done:
        return done[code] is not None, done[code]
    if code in run.file_codes:
        return False, None  # the parent row failed; its own error says why
    # Many rows share one stored parent (all buildings of a compound): look it up once. A move
    # (an update) may re-path stored nodes, so the cache is dropped after every update.
    if code not in run.stored_parents:
        run.stored_parents[code] = model.objects.filter(code=code).first()
    return True, run.stored_parents[code]


def _geometry(run: ImportRun, row: Row, existing, allowed: set[str]) -> dict | None:
    """The row's geometry, checked; a bad one is reported and left out."""
    if not run.present("geometry") and not run.present("lng"):
        return existing.geometry if existing is not None else None
    if row.geometry is None:
        return None
    try:
        geometry.check(row.geometry, allowed=allowed)
    except InvalidInput as exc:
        run.error(row, "geometry", str(exc.message), exc.code)
        return None
    return row.geometry


def lookup(run: ImportRun, row: Row, name: str, model, reason: str):
    code = row.values.get(name)
    if not code:
        return None, True
    obj = model.objects.filter(code=code).first()
    if obj is None:
        run.error(row, name, reason % {"code": code}, "reference_not_found")
        return None, False
    return obj, True


# --- per kind ------------------------------------------------------------------------------


def by_code(queryset, codes) -> dict[str, Any]:
    """``{code: row}`` for the codes that exist: one query per batch, never one per row."""
    wanted = sorted({c for c in codes if c})
    found: dict[str, Any] = {}
    for i in range(0, len(wanted), services.BULK_BATCH):
        found.update(
            (o.code, o) for o in queryset.filter(code__in=wanted[i : i + services.BULK_BATCH])
        )
    return found


def _checked(run: ImportRun, row: Row, build: Callable[..., tuple[Any, str]], kwargs: dict):
    """``build(**kwargs)`` with its complaint as a row error: ``(obj, outcome)`` or None."""
    try:
        obj, outcome = build(fast=True, **kwargs)
    except InvalidInput as exc:
        run._service_error(row, exc, {})
        return None
    if row.ok:
        run.report.count(run.kind, outcome)
    return obj, outcome


def _plan_places(run: ImportRun) -> Callable[[], None]:
    rows = tree_order(run, Place)
    parents = {r.values.get("parent_code") for r in rows if run.present("parent_code")}
    stored = by_code(
        Place.objects.select_related("parent"), [r.values["code"] for r in rows] + [*parents]
    )
    done: dict[str, Place | None] = {}
    built: list[tuple[Place, str]] = []
    moved: list[Place] = []
    run.file_codes  # noqa: B018 - read now: each row's cells are let go once it is built
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0 or n == len(rows):
            run.tick("check", n, len(rows))
        if not row.ok:
            continue
        code = row.values["code"]
        existing = stored.get(code)
        ready, parent = _planned_parent(run, row, done, stored, existing)
        if not ready:
            continue
        kind = row.values["kind"]
        management = run.keep(row, existing, "management", "")
        if management and kind != Place.Kind.COMPOUND:
            run.error(
                row,
                "management",
                _("Only a compound has a management type"),
                "management_not_compound",
            )
            management = ""
        old_path = existing.path if existing is not None else None
        result = _checked(
            run,
            row,
            services.place_build,
            {
                "code": code,
                "name": row.values["name"],
                "kind": kind,
                "existing": existing,
                "parent": parent,
                "management": management,
                "address": run.keep(row, existing, "address", ""),
                "geometry_json": _geometry(run, row, existing, ANY_GEOMETRY),
                "attrs": existing.attrs if existing is not None else None,
                "is_demo": existing.is_demo if existing is not None else False,
            },
        )
        done[code] = result[0] if result is not None else None
        row.values, row.geometry = LET_GO, None  # in the place now: 100 k rows need the room
        if result is not None and result[1] != "unchanged":
            built.append(result)
            if old_path is not None and result[0].path != old_path:
                moved.append(result[0])

    def write() -> None:
        services.bulk_write(Place, "place", built, services.PLACE_FIELDS, actor=run.actor)
        _repath_below(moved)
        run.tick("write", len(rows), len(rows))

    return write


def _planned_parent(run: ImportRun, row: Row, done: dict, stored: dict, existing):
    """``(ready, parent)`` of a tree row checked in :func:`tree_order`'s order: the parent
    built from the file, or stored; not ready when the parent row failed (its error says
    why)."""
    if not run.present("parent_code"):
        return True, existing.parent if existing is not None else None
    parent_code = row.values.get("parent_code")
    if not parent_code:
        return True, None
    if parent_code in done:
        return done[parent_code] is not None, done[parent_code]
    if parent_code in run.file_codes:
        return False, None
    return True, stored.get(parent_code)  # tree_order made sure it is stored


def _repath_below(moved: list, model=Place) -> None:
    """Stored nodes under a moved one follow it, one tree level (and batch) at a time."""
    frontier = {p.pk: p.path for p in moved}
    while frontier:
        ids = list(frontier)
        children = []
        for i in range(0, len(ids), services.BULK_BATCH):
            children += model.objects.filter(parent_id__in=ids[i : i + services.BULK_BATCH])
        changed = []
        for child in children:
            path = f"{frontier[child.parent_id]}{child.code}/"
            if child.path != path:
                child.path, child.depth = path, path.count("/") - 2
                changed.append(child)
        model.objects.bulk_update(changed, ["path", "depth"], batch_size=services.BULK_BATCH)
        frontier = {c.pk: c.path for c in changed}


def _plan_people(run: ImportRun) -> Callable[[], None]:
    rows = run.parsed.rows
    # A reference is compared and written by id: its code and id are all that is loaded
    # (100 k stored places with their geometries would be most of the memory).
    stored = by_code(
        Person.objects.select_related("unit", "place").defer(
            *(
                f"{ref}__{f.name}"
                for ref, model in (("unit", Unit), ("place", Place))
                for f in model._meta.concrete_fields
                if f.name not in ("id", "code")
            )
        ),
        [r.values["code"] for r in rows],
    )
    refs_by_column = {
        name: by_code(model.objects.only("id", "code"), [r.values.get(name) for r in rows])
        for name, model in (("unit_code", Unit), ("place_code", Place))
        if run.present(name)
    }
    reasons = {
        "unit_code": _("No unit with code %(code)s"),
        "place_code": _("No place with code %(code)s"),
    }
    built: list[tuple[Person, str]] = []
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0 or n == len(rows):
            run.tick("check", n, len(rows))
        code = row.values["code"]
        existing = stored.get(code) if code else None
        refs = {}
        for name in ("unit_code", "place_code"):
            attr = name.removesuffix("_code")
            if name not in refs_by_column:
                refs[attr] = getattr(existing, attr) if existing is not None else None
                continue
            ref = row.values.get(name)
            refs[attr] = refs_by_column[name].get(ref) if ref else None
            if ref and refs[attr] is None:
                run.error(row, name, reasons[name] % {"code": ref}, "reference_not_found")
        if not row.ok:
            continue
        result = _checked(
            run,
            row,
            services.person_build,
            {
                "code": code,
                "name": row.values["name"],
                "existing": existing,
                "unit": refs["unit"],
                "place": refs["place"],
                "phone": run.keep(row, existing, "phone", ""),
                "title": run.keep(row, existing, "title", ""),
                "is_demo": existing.is_demo if existing is not None else False,
            },
        )
        if result is not None and result[1] != "unchanged":
            built.append(result)

    def write() -> None:
        services.bulk_write(Person, "person", built, services.PERSON_FIELDS, actor=run.actor)
        run.tick("write", len(rows), len(rows))

    return write


def _references(run: ImportRun, columns: dict[str, type]) -> dict[str, dict[str, Any]]:
    """``{column: {code: row}}`` of the codes the file names in each reference column that
    is present: one query per batch of codes, only ids and codes (and kinds) loaded."""
    return {
        name: by_code(
            model.objects.only(
                *(f for f in ("id", "code", "kind", "name", "path") if _has_field(model, f))
            ),
            [r.values.get(name) for r in run.parsed.rows],
        )
        for name, model in columns.items()
        if run.present(name)
    }


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _ref(run: ImportRun, row: Row, refs: dict, name: str, reason: str):
    """The row's reference in column ``name`` (None when empty); a missing code is a row
    error."""
    code = row.values.get(name)
    if not code:
        return None
    found = refs[name].get(code)
    if found is None:
        run.error(row, name, reason % {"code": code}, "reference_not_found")
    return found


def _plan_units(run: ImportRun) -> Callable[[], None]:
    rows = tree_order(run, Unit)
    parents = {r.values.get("parent_code") for r in rows if run.present("parent_code")}
    stored = by_code(
        Unit.objects.select_related("parent", "place"),
        [r.values["code"] for r in rows] + [*parents],
    )
    refs = _references(run, {"place_code": Place})
    done: dict[str, Unit | None] = {}
    built: list[tuple[Unit, str]] = []
    moved: list[Unit] = []
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0 or n == len(rows):
            run.tick("check", n, len(rows))
        code = row.values["code"]
        existing = stored.get(code)
        if run.present("place_code"):
            place = _ref(run, row, refs, "place_code", _("No place with code %(code)s"))
        else:
            place = existing.place if existing is not None else None
        if not row.ok:
            continue
        ready, parent = _planned_parent(run, row, done, stored, existing)
        if not ready:
            continue
        old_path = existing.path if existing is not None else None
        result = _checked(
            run,
            row,
            services.unit_build,
            {
                "code": code,
                "name": row.values["name"],
                "kind": row.values["kind"],
                "existing": existing,
                "parent": parent,
                "place": place,
                "short_name": run.keep(row, existing, "short_name", ""),
                "work_hours": run.keep(row, existing, "work_hours", ""),
                "works_weekends": run.keep(row, existing, "works_weekends", False),
                "round_the_clock": run.keep(row, existing, "round_the_clock", False),
                "is_demo": existing.is_demo if existing is not None else False,
            },
        )
        done[code] = result[0] if result is not None else None
        if result is not None and result[1] != "unchanged":
            built.append(result)
            if old_path is not None and result[0].path != old_path:
                moved.append(result[0])

    def write() -> None:
        services.bulk_write(Unit, "unit", built, services.UNIT_FIELDS, actor=run.actor)
        _repath_below(moved, Unit)
        run.tick("write", len(rows), len(rows))

    return write


def _plan_zones(run: ImportRun) -> Callable[[], None]:
    rows = run.parsed.rows
    stored = by_code(Zone.objects.all(), [r.values["code"] for r in rows])
    refs = _references(run, {"place_code": Place})
    built: list[tuple[Zone, str]] = []
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0 or n == len(rows):
            run.tick("check", n, len(rows))
        place = _ref(run, row, refs, "place_code", _("No place with code %(code)s"))
        if not row.ok:
            continue
        code = row.values["code"]
        existing = stored.get(code)
        kind = row.values["kind"]
        result = _checked(
            run,
            row,
            services.zone_build,
            {
                "code": code,
                "name": row.values["name"],
                "kind": kind,
                "existing": existing,
                "place": place,
                "geometry_json": _geometry(
                    run, row, existing, Zone.GEOMETRY_TYPES[Zone.Kind(kind)]
                ),
                "attrs": existing.attrs if existing is not None else None,
                "is_demo": existing.is_demo if existing is not None else False,
            },
        )
        if result is not None and result[1] != "unchanged":
            built.append(result)

    def write() -> None:
        services.bulk_write(Zone, "zone", built, services.ZONE_FIELDS, actor=run.actor)
        run.tick("write", len(rows), len(rows))

    return write


def _stored_duties(people: dict[str, Person]) -> dict[tuple, ZoneRole]:
    ids = sorted(p.pk for p in people.values())
    found: dict[tuple, ZoneRole] = {}
    for i in range(0, len(ids), services.BULK_BATCH):
        for d in ZoneRole.objects.filter(person_id__in=ids[i : i + services.BULK_BATCH]):
            found[services.duty_key(d.person_id, d.role, d.level, d.zone_id, d.place_id)] = d
    return found


def _planned_duty_target(run: ImportRun, row: Row, zones: dict, places: dict):
    """A duty row's zone or place, from the zones and places read for the whole file."""
    code = row.values["target_code"]
    if not code:
        return None, None
    wanted = row.values.get("target_type") or ""
    if not wanted and row.values.get("role"):
        target_kind, _kinds = services.ROLE_TARGET[ZoneRole.Role(row.values["role"])]
        wanted = "" if target_kind == "either" else target_kind
    zone = zones.get(code) if wanted in ("", "zone") else None
    place = places.get(code) if wanted in ("", "place") else None
    if zone is not None and place is not None:
        run.error(
            row,
            "target_code",
            _("Code %(code)s is both a zone and a place; add a target type column (对象类型)")
            % {"code": code},
            "target_ambiguous",
        )
        return None, None
    if zone is None and place is None:
        reason = {
            "zone": _("No zone with code %(code)s"),
            "place": _("No place with code %(code)s"),
        }.get(wanted, _("No zone or place with code %(code)s"))
        run.error(row, "target_code", reason % {"code": code}, "reference_not_found")
    return zone, place


def _plan_duties(run: ImportRun) -> Callable[[], None]:
    rows = run.parsed.rows
    refs = _references(run, {"person_code": Person})
    targets = [r.values.get("target_code") for r in rows]
    zones = by_code(Zone.objects.only("id", "code", "kind", "name"), targets)
    places = by_code(Place.objects.only("id", "code", "kind", "name", "path"), targets)
    stored = _stored_duties(refs["person_code"])
    built: list[tuple[ZoneRole, str]] = []
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0 or n == len(rows):
            run.tick("check", n, len(rows))
        person = _ref(run, row, refs, "person_code", _("No person with code %(code)s"))
        zone, place = _planned_duty_target(run, row, zones, places)
        if not row.ok:
            continue
        level = row.values.get("level") or ""
        key = services.duty_key(
            person.pk,
            row.values["role"],
            level,
            getattr(zone, "pk", None),
            getattr(place, "pk", None),
        )
        try:
            result = services.duty_build(
                person=person,
                role=row.values["role"],
                level=level,
                zone=zone,
                place=place,
                existing=stored.get(key),
                fast=True,
            )
        except InvalidInput as exc:
            run._service_error(row, exc, {"place": "target_code"})
            continue
        run.report.count(run.kind, result[1])
        if result[1] == "created":
            built.append(result)
            stored[key] = result[0]  # the same duty again further down: unchanged

    def write() -> None:
        services.bulk_write(
            ZoneRole,
            "duty",
            built,
            [],
            actor=run.actor,
            verbs={"created": "duty_assign"},
            data=services.duty_data,
        )
        run.tick("write", len(rows), len(rows))

    return write


def _plan_partnerships(run: ImportRun) -> Callable[[], None]:
    rows = run.parsed.rows
    refs = _references(run, {"unit_code": Unit, "compound_code": Place})
    stored: dict[tuple[int, int], Partnership] = {}
    unit_ids = sorted(u.pk for u in refs["unit_code"].values())
    for i in range(0, len(unit_ids), services.BULK_BATCH):
        for p in Partnership.objects.filter(unit_id__in=unit_ids[i : i + services.BULK_BATCH]):
            stored[(p.unit_id, p.compound_id)] = p
    built: list[tuple[Partnership, str]] = []
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0 or n == len(rows):
            run.tick("check", n, len(rows))
        unit = _ref(run, row, refs, "unit_code", _("No unit with code %(code)s"))
        compound = _ref(run, row, refs, "compound_code", _("No place with code %(code)s"))
        if not row.ok:
            continue
        try:
            result = services.partnership_build(
                unit=unit,
                compound=compound,
                existing=stored.get((unit.pk, compound.pk)),
                note=row.values.get("note") or "",
            )
        except InvalidInput as exc:
            run._service_error(row, exc, {})
            continue
        run.report.count(run.kind, result[1])
        if result[1] != "unchanged":
            built.append(result)
            stored[(unit.pk, compound.pk)] = result[0]

    def write() -> None:
        services.bulk_write(
            Partnership,
            "partnership",
            built,
            services.PARTNERSHIP_FIELDS,
            actor=run.actor,
            data=lambda _row: {},
        )
        run.tick("write", len(rows), len(rows))

    return write


PLAN: dict[str, Callable[[ImportRun], Callable[[], None]]] = {
    "places": _plan_places,
    "people": _plan_people,
    "units": _plan_units,
    "zones": _plan_zones,
    "duties": _plan_duties,
    "partnerships": _plan_partnerships,
}
