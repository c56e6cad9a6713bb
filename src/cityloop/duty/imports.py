"""A roster to and from .xlsx (排班表): one row per shift, the columns the export writes.

Every bad row is reported with its line and nothing is written unless the whole file is good
(:mod:`cityloop.core.imports`). People are named by their code, or by their name when it is
unique among the people the importer covers. A row for a shift that already starts at the same
moment re-staffs it, so importing the exported file again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import DomainError
from cityloop.core.exports import Column as XColumn
from cityloop.core.imports import Column, ImportReport, Spec, parse, read_table
from cityloop.duty import workflow
from cityloop.duty.models import Shift
from cityloop.org import queries as org_queries
from cityloop.org.models import Unit

# The export writes the Chinese name of each kind: the roster is Chinese data, whatever the
# reader's language.
KIND_NAMES = {Shift.Kind.FULL_DAY: "24小时", Shift.Kind.DAY: "白班", Shift.Kind.NIGHT: "夜班"}
KIND_CHOICES = {
    "24小时": Shift.Kind.FULL_DAY,
    "24小时班": Shift.Kind.FULL_DAY,
    "全天": Shift.Kind.FULL_DAY,
    "白班": Shift.Kind.DAY,
    "夜班": Shift.Kind.NIGHT,
    **{v: v for v in Shift.Kind.values},
}

SPEC = Spec(
    kind="shift",
    columns=(
        Column("day", ("日期", "date", "day"), required=True),
        Column("kind", ("班次", "kind", "shift"), required=True, choices=KIND_CHOICES),
        Column("start", ("开始", "start", "starts"), required=True),
        Column("end", ("结束", "end", "ends"), required=True),
        Column("on_duty_code", ("值班人员编号", "on_duty_code")),
        Column("on_duty_name", ("值班人员", "on_duty")),
        Column("leader_code", ("带班领导编号", "leader_code")),
        Column("leader_name", ("带班领导", "leader")),
        Column("note", ("备注", "note")),
    ),
    key=("day", "start"),
)


def export_columns() -> list[XColumn]:
    return [
        XColumn("日期", 12),
        XColumn("班次", 10),
        XColumn("开始", 8),
        XColumn("结束", 8),
        XColumn("值班人员编号", 16),
        XColumn("值班人员", 10),
        XColumn("带班领导编号", 16),
        XColumn("带班领导", 10),
        XColumn("备注", 24),
    ]


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()[:10].replace("/", "-"))
    except ValueError:
        return None


def _time(raw: str) -> time | None:
    raw = raw.strip()
    if " " in raw:  # a datetime cell: keep the time of day
        raw = raw.rsplit(" ", 1)[1]
    parts = raw.split(":")
    try:
        hour, minute = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
        return time(hour, minute)
    except (ValueError, IndexError):
        return None


def _person_code(actor, code: str, name: str) -> tuple[str, str]:
    """(code, error) for a person named by code or by a unique name in the importer's scope."""
    people = org_queries.visible_people(actor)
    if code:
        return (code, "") if people.filter(code=code).exists() else ("", _("Unknown person."))
    if not name:
        return "", ""
    found = list(people.filter(name=name).values_list("code", flat=True)[:2])
    if len(found) != 1:
        return "", _("%(name)s names no one person: give the code.") % {"name": name}
    return found[0], ""


def import_roster(actor, unit: Unit, path: Path | str, *, dry_run: bool = False) -> ImportReport:
    """Read ``path`` (xlsx or csv) into ``unit``'s roster; all rows or none."""
    report = ImportReport(kind="shift", source=str(path), dry_run=dry_run)
    parsed = parse(read_table(path), SPEC)
    report.errors.extend(parsed.errors)
    report.warnings.extend(parsed.warnings)
    report.rows = len(parsed.rows)
    if any(e.line == 0 for e in parsed.errors):
        return report  # the file as a whole is wrong: no row can be read
    zone = clock.local_zone()
    inputs: list[tuple[object, workflow.ShiftInput]] = []
    for row in parsed.rows:
        v = row.values
        if not row.ok:  # a cell already refused by the column checks; check the rest too
            v = {**v, "kind": v.get("kind") or Shift.Kind.FULL_DAY}
        day, start, end = _day(v["day"]), _time(v["start"]), _time(v["end"])
        if day is None:
            parsed.error(row, "day", _("%(value)s is not a date") % {"value": v["day"]})
        if start is None:
            parsed.error(row, "start", _("%(value)s is not a time") % {"value": v["start"]})
        if end is None:
            parsed.error(row, "end", _("%(value)s is not a time") % {"value": v["end"]})
        duty, err = _person_code(actor, v.get("on_duty_code", ""), v.get("on_duty_name", ""))
        if err:
            parsed.error(row, "on_duty_code", err)
        leader, err = _person_code(actor, v.get("leader_code", ""), v.get("leader_name", ""))
        if err:
            parsed.error(row, "leader_code", err)
        if not row.ok:
            continue
        starts_at = datetime.combine(day, start, tzinfo=zone)
        ends_at = datetime.combine(day, end, tzinfo=zone)
        if ends_at <= starts_at:  # a night or 24-hour shift ends the next day
            ends_at += timedelta(days=1)
        inputs.append(
            (
                row,
                workflow.ShiftInput(
                    unit=unit.code,
                    kind=v["kind"],
                    starts_at=starts_at,
                    ends_at=ends_at,
                    on_duty=duty,
                    leader=leader,
                    note=v.get("note", ""),
                ),
            )
        )
    report.errors = list(parsed.errors)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for row, data in inputs:
                existing = Shift.objects.filter(unit=unit, starts_at=data.starts_at).first()
                before = (existing.on_duty_id, existing.leader_id) if existing else None
                try:
                    shift = workflow.plan_shift(actor=actor, data=data)
                except DomainError as exc:
                    parsed.error(row, "start", str(exc.message), exc.code)
                    continue
                if before is None:
                    report.count("shift", "created")
                elif before != (shift.on_duty_id, shift.leader_id):
                    report.count("shift", "updated")
                else:
                    report.count("shift", "unchanged")
            report.errors = list(parsed.errors)
            if report.errors or dry_run:
                transaction.set_rollback(True)
    except DomainError as exc:  # pragma: no cover - plan_shift's errors are caught per row
        report.errors.append(parsed.error(parsed.rows[0], "", str(exc.message), exc.code))
    return report
