"""``cityloop report notice --kind monthly --period 2020-06 --format docx|pdf|html -o FILE``;
``--number`` first gives the notice its 发文字号 in the register; ``--copy-number 000042``,
``--secrecy 秘密★1年`` and ``--attachment NAME`` (repeatable) print the optional 份号, 密级 and
附件说明 (checked as on the page: bad input is an error and nothing is written)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cityloop.bulletins import notices, render, workflow
from cityloop.core import documents as gw
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
        parser.add_argument("--copy-number", default="", help="份号（1–6 位数字）/ copy number")
        parser.add_argument("--secrecy", default="", help="密级和保密期限，如 秘密★1年")
        parser.add_argument(
            "--attachment", action="append", default=[], help="附件名称，可重复 / attachment"
        )

    def handle(
        self, *args, kind: str, period: str, scheme: str, format: str, output: str, **o
    ) -> None:
        try:
            marks = gw.marks_from(o.get("copy_number", ""), o.get("secrecy", ""), o["attachment"])
            if o.get("number"):
                workflow.number_notice(
                    actor=SYSTEM, kind=kind, period=period, scheme=scheme or None
                )
            doc = notices.notice(kind, period, scheme=scheme or None)
            doc = dataclasses.replace(doc, **marks)
            body, _ctype, name = render.render(doc, format)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        out = Path(output or name)
        out.write_bytes(body)
        self.stdout.write(f"{doc.heading or doc.series_title} → {out}")
