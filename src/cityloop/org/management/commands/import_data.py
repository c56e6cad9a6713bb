"""``cityloop import KIND FILE``: load a district's own places, units, people, zones, duties and
partnerships (:mod:`cityloop.org.importers`), the case categories and a 12345 hotline export
(:mod:`cityloop.cases.importers`, registered by that app) from csv/xlsx/GeoJSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cityloop.core import imports
from cityloop.core.errors import InvalidInput
from cityloop.core.imports import CRS_CHOICES, ImportReport
from cityloop.org import importers as org_importers

# Each kind → the app's runner; every runner takes (kind, path, *, actor, dry_run, crs). The
# organisation's own kinds first, then those the other apps registered (cases, projects).
RUNNERS: dict[str, Callable[..., ImportReport]] = {
    **dict.fromkeys(org_importers.KINDS, org_importers.run_import),
    **imports.runners(),
}
KINDS = tuple(RUNNERS)


@contextmanager
def _bar(stream) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on ``stream`` fed by the runner's ``progress(stage, done, total)``;
    a long import (100 k rows) shows how far it is instead of saying nothing for a minute."""
    if stream is None:
        yield None
        return
    console = Console(file=stream, highlight=False)
    labels = {"check": _("Checking rows"), "write": _("Writing")}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=console.is_terminal,  # on a terminal the report replaces it; in a log it stays
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


class Command(BaseCommand):
    # The system checks load every URLconf, hence every view and the triage model
    # (scikit-learn): ~120 MB before the first row, which a 100 k-row import needs for rows.
    # `cityloop check` and the server still run them.
    requires_system_checks: list[str] = []
    help = (
        "从 csv / xlsx / GeoJSON 导入地点、单位、人员、责任对象、职责、联建共建、事件类别、"
        "12345 热线工单；有任何错误则全部不导入，重复导入同一文件不产生变化。 / "
        "Import places, units, people, zones, duties, partnerships, case categories or a 12345 "
        "hotline export from csv/xlsx/GeoJSON; any bad row and nothing is imported; "
        "re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind",
            choices=KINDS,
            help="种类 kind: places 地点 / units 单位 / people 人员 / zones 责任对象 / "
            "duties 职责 / partnerships 联建共建 / categories 事件类别 / hotline 12345 热线工单 / "
            "projects 项目 / work_items 工程量",
        )
        parser.add_argument("file", help="文件 file: .csv（UTF-8 或 GBK）/ .xlsx / .geojson")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只检查并报告将要新增/更新的数量，不写入 / check and report, write nothing",
        )
        parser.add_argument(
            "--crs",
            choices=CRS_CHOICES,
            default="wgs84",
            help="坐标系：wgs84（默认）或 gcj02（高德/腾讯坐标，导入时转为 WGS-84） / "
            "coordinate system of the file; gcj02 is converted to WGS-84",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="记入事件的操作账号（默认“系统”；hotline 必填，须为受理岗账号） / "
            "account recorded as the actor (required for hotline: a desk account)",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="以 JSON 输出报告 / print the report as JSON",
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="显示进度条（默认：在终端上显示） / show a progress bar (default: on a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(
                    _("No account with username %(username)s") % {"username": options["actor"]}
                )
        show = options["progress"]
        if show is None:
            show = not options["json"] and self.stderr.isatty()
        try:
            with _bar(self.stderr if show else None) as progress:
                report = RUNNERS[options["kind"]](
                    options["kind"],
                    options["file"],
                    actor=actor,
                    dry_run=options["dry_run"],
                    crs=options["crs"],
                    progress=progress,
                )
        except InvalidInput as exc:
            raise CommandError(str(exc.message)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            console = Console(
                file=self.stdout,
                width=None if self.stdout.isatty() else 120,
                highlight=False,
            )
            for renderable in report.renderables():
                console.print(renderable)
        if not report.ok:
            raise CommandError(report.summary())
