"""``cityloop report notice --kind monthly --period 2020-06 --format docx|pdf|html -o FILE``;
``--number`` first gives the notice its 发文字号 in the register."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cityloop.bulletins import notices, render, workflow
from cityloop.core.errors import DomainError
from cityloop.core.system import SYSTEM


class Command(BaseCommand):
    help = "通报：半月通报、月度排名通报、周督查/月调度/季通报 / periodic notices"

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=["notice"])
        parser.add_argument("--kind", choices=list(notices.KINDS), required=True)
        parser.add_argument("--period", required=True, help="2020-06, 2020-06-H1, 2020-06-30")
        parser.add_argument("--scheme", default="", help="考核方案编码 / scheme code")
        parser.add_argument("--format", choices=list(render.FORMATS), default="docx")
        parser.add_argument("-o", "--output", default="")
        parser.add_argument(
            "--number",
            action="store_true",
            help="发文登记：按发文单位、种类、年度给通报编号 / number the notice in the register",
        )

    def handle(
        self, *args, kind: str, period: str, scheme: str, format: str, output: str, **o
    ) -> None:
        try:
            if o.get("number"):
                workflow.number_notice(
                    actor=SYSTEM, kind=kind, period=period, scheme=scheme or None
                )
            doc = notices.notice(kind, period, scheme=scheme or None)
            body, _ctype, name = render.render(doc, format)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        out = Path(output or name)
        out.write_bytes(body)
        self.stdout.write(f"{doc.heading or doc.series_title} → {out}")
