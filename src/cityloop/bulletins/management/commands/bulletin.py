"""``cityloop bulletin compile SERIES --issue N [--date D] [--publish] [--format docx -o F]``:
put the accepted items into issue N (made if missing), optionally publish and render."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cityloop.bulletins import document, queries, render, workflow
from cityloop.bulletins.models import Issue
from cityloop.core import clock
from cityloop.core.errors import DomainError
from cityloop.core.system import SYSTEM


class Command(BaseCommand):
    help = "信息简报：编辑一期、印发、导出 / compile, publish and render a bulletin issue"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["compile", "publish", "render"])
        parser.add_argument("series", help="刊物编码 / series code")
        parser.add_argument("--issue", type=int, required=True, help="期号 / issue number")
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--date", default="", help="出刊日期 YYYY-MM-DD（新建时）")
        parser.add_argument("--publish", action="store_true", help="编好后印发 / publish too")
        parser.add_argument("--format", choices=["html", "docx", "pdf"], default="")
        parser.add_argument("-o", "--output", default="")

    def handle(self, *args, action: str, series: str, issue: int, year, **o) -> None:
        try:
            day = date.fromisoformat(o["date"]) if o["date"] else clock.today()
        except ValueError as exc:
            raise CommandError(
                _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": o["date"]}
            ) from exc
        try:
            found = Issue.objects.filter(
                series__code=series, number=issue, year=year or day.year
            ).first()
            if action == "compile":
                if found is None:
                    found = workflow.new_issue(
                        actor=SYSTEM, series_code=series, day=day, number=issue
                    )
                workflow.compile_issue(actor=SYSTEM, issue_id=found.pk)
            if found is None:
                found = queries.issue_by_number(SYSTEM, series, issue, year)
            if action == "publish" or o["publish"]:
                workflow.publish(actor=SYSTEM, issue_id=found.pk)
            found.refresh_from_db()
            doc = document.from_issue(found)
            self.stdout.write(f"{found} · {found.get_state_display()} · {len(doc.items)}")
            for item in doc.items:
                mark = "△" if item.short else ("◆" if item.generated else "·")
                self.stdout.write(f"  {mark} {item.title or item.body[:30]}（{item.unit_label}）")
            if o["format"]:
                body, _ctype, name = render.render(
                    doc, o["format"], template=found.series.docx_template
                )
                out = Path(o["output"] or name)
                out.write_bytes(body)
                self.stdout.write(str(out))
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
