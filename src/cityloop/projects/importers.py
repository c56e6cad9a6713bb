"""Importing projects and their work items from xlsx/csv (``cityloop import projects FILE``,
``cityloop import work_items FILE``, ``POST /api/v1/projects/import``).

Both kinds run through the shared runner (:func:`cityloop.org.importers.run_file`): every
row is checked, every problem is reported with its line number, and any problem means
nothing is written. Each row goes to the same service the pages and the API call. A project
code or a work item already stored is left as it is ("unchanged") when the file says the same,
so importing a file twice changes nothing; changes to stored ones go through the pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from django.utils.translation import gettext as _

from cityloop.core.errors import DomainError, InvalidInput
from cityloop.core.imports import Column, ImportReport, Row, Spec
from cityloop.org.importers import ImportRun, run_file
from cityloop.projects import services
from cityloop.projects.models import Project, ProjectType, WorkItem

C = Column
SPECS: dict[str, Spec] = {
    "projects": Spec(
        "projects",
        (
            C("code", ("项目编号", "code", "编号"), required=True),
            C("name", ("项目名称", "name", "名称"), required=True),
            C("type", ("项目类型", "type", "类型"), required=True),
            C("responsible_unit", ("责任单位编码", "responsible_unit", "责任单位"), required=True),
            C("supervising_unit", ("督办单位编码", "supervising_unit", "督办单位")),
            C("places", ("地点编码", "places", "地点")),
            C("start", ("开工日期", "start", "开始日期"), required=True),
            C("deadline", ("完工期限", "deadline", "截止日期"), required=True),
            C("budget", ("投资（万元）", "budget", "投资", "预算"), kind="number"),
            C("area", ("面积（平方米）", "area", "面积"), kind="number"),
            C("contractor", ("施工单位", "contractor")),
            C("enterprise", ("企业", "enterprise", "招商企业")),
            C("leader", ("分管领导编码", "leader", "分管领导")),
            C("coordinator", ("联络员编码", "coordinator", "联络员")),
            C("stage", ("阶段", "stage")),
            C("description", ("说明", "description")),
        ),
    ),
    "work_items": Spec(
        "work_items",
        (
            C("project_code", ("项目编号", "project_code"), required=True),
            C("name", ("工程量名称", "name", "名称"), required=True),
            C("unit_of_measure", ("计量单位", "unit_of_measure", "单位"), required=True),
            C("planned", ("计划量", "planned", "计划工程量"), required=True, kind="number"),
            C("weight", ("权重", "weight"), kind="number"),
        ),
        key=("project_code", "name"),
    ),
}
KINDS = tuple(SPECS)

# Where a service's complaint belongs: error code → column.
ERROR_COLUMNS = {
    "project_code_invalid": "code",
    "project_name_invalid": "name",
    "project_dates_invalid": "deadline",
    "project_type_unknown": "type",
    "project_stage_unknown": "stage",
    "acceptance_required": "stage",
    "project_budget_invalid": "budget",
    "project_area_invalid": "area",
    "place_unknown": "places",
    "person_unknown": "leader",
    "project_unit_required": "responsible_unit",
    "project_not_manager": "responsible_unit",
    "work_item_name_invalid": "name",
    "work_item_unit_invalid": "unit_of_measure",
    "work_item_planned_invalid": "planned",
    "work_item_weight_invalid": "weight",
    "project_not_found": "project_code",
}


def _date(run: ImportRun, row: Row, name: str) -> date | None:
    raw = (row.values.get(name) or "").strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw)
    try:
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:  # 2026-02-30
        return None


def _type_code(raw: str) -> str:
    """The type's code, from its code or its Chinese name."""
    row = (
        ProjectType.objects.filter(code=raw).first() or ProjectType.objects.filter(name=raw).first()
    )
    return row.code if row else raw


def _stage_code(type_code: str, raw: str) -> str:
    ptype = ProjectType.objects.filter(code=type_code).first()
    if ptype is None or not raw:
        return raw
    return next((s["code"] for s in ptype.stages if raw in (s["code"], s["name"])), raw)


def _codes(raw: str) -> list[str]:
    return [c for c in re.split(r"[、,，;；\s]+", raw or "") if c]


def _apply_projects(run: ImportRun) -> None:
    for row in run.parsed.rows:
        if not row.ok:
            continue
        v = row.values
        start, deadline = _date(run, row, "start"), _date(run, row, "deadline")
        for name, value in (("start", start), ("deadline", deadline)):
            if value is None:
                run.error(row, name, _("Write the date as 2026-03-01"), "date_invalid")
        if not row.ok:
            continue
        stored = Project.objects.filter(code=v["code"]).select_related("type").first()
        if stored is not None:
            if stored.name == v["name"] and stored.type.code == _type_code(v["type"]):
                run.report.count(run.kind, "unchanged")
            else:
                run.error(
                    row,
                    "code",
                    _("Project %(code)s exists with another name or type") % {"code": v["code"]},
                    "project_code_taken",
                )
            continue
        type_code = _type_code(v["type"])
        data = services.ProjectInput(
            code=v["code"],
            name=v["name"],
            type=type_code,
            responsible_unit=v["responsible_unit"],
            supervising_unit=v.get("supervising_unit") or "",
            places=_codes(v.get("places") or ""),
            start=start,
            deadline=deadline,
            budget=v.get("budget"),
            area=v.get("area"),
            contractor=v.get("contractor") or "",
            enterprise=v.get("enterprise") or "",
            leader=v.get("leader") or "",
            coordinator=v.get("coordinator") or "",
            stage=_stage_code(type_code, v.get("stage") or ""),
            description=v.get("description") or "",
        )
        try:
            services.create_project(actor=run.actor, data=data)
        except DomainError as exc:
            run.error(row, ERROR_COLUMNS.get(exc.code, ""), str(exc.message), exc.code)
            continue
        run.report.count(run.kind, "created")


def _apply_work_items(run: ImportRun) -> None:
    from cityloop.projects import queries

    for row in run.parsed.rows:
        if not row.ok:
            continue
        v = row.values
        project = queries.visible_projects(run.actor).filter(code=v["project_code"]).first()
        if project is None:
            run.error(
                row,
                "project_code",
                _("Project %(code)s is not in the database") % {"code": v["project_code"]},
                "project_not_found",
            )
            continue
        stored = WorkItem.objects.filter(project=project, name=v["name"]).first()
        if stored is not None:
            if stored.planned == services.decimal_of(v["planned"], "x") and (
                stored.unit_of_measure == v["unit_of_measure"]
            ):
                run.report.count(run.kind, "unchanged")
            else:
                run.error(
                    row,
                    "name",
                    _("Work item %(name)s exists with another quantity") % {"name": v["name"]},
                    "work_item_duplicate",
                )
            continue
        item = services.ItemInput(
            v["name"],
            v["unit_of_measure"],
            v["planned"],
            1 if v.get("weight") is None else v["weight"],
        )
        try:
            services.add_work_item(actor=run.actor, project_id=project.pk, item=item)
        except DomainError as exc:
            run.error(row, ERROR_COLUMNS.get(exc.code, ""), str(exc.message), exc.code)
            continue
        run.report.count(run.kind, "created")


APPLY = {"projects": _apply_projects, "work_items": _apply_work_items}


def run_import(
    kind: str,
    path: Path | str,
    *,
    actor=None,
    dry_run: bool = False,
    crs: str = "wgs84",
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import one file of ``projects`` or ``work_items``; ``report.ok`` false → nothing written.
    ``actor`` must manage the units named (the system, ``None``, may do everything)."""
    if kind not in SPECS:
        raise InvalidInput(
            "import_bad_kind",
            _("Unknown import kind %(kind)s (one of: %(kinds)s)")
            % {"kind": kind, "kinds": ", ".join(KINDS)},
        )
    return run_file(
        SPECS[kind], APPLY[kind], path, actor=actor, dry_run=dry_run, crs=crs, progress=progress
    )
