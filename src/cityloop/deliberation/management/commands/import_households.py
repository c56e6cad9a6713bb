"""``cityloop manage import_households <compound code> <file> [--dry-run] [--actor] [--json]``:
a compound's units and owners from .xlsx/.csv, all rows or none."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console

from cityloop.core.errors import DomainError
from cityloop.deliberation.services import households_import
from cityloop.org.models import Place


class Command(BaseCommand):
    help = "导入小区房屋与业主 / import a compound's households and owners"

    def add_arguments(self, parser) -> None:
        parser.add_argument("compound", help="小区编码 compound code")
        parser.add_argument("file", help="文件 file: .xlsx / .csv")
        parser.add_argument("--dry-run", action="store_true", help="只检查 / check only")
        parser.add_argument("--actor", default="", help="记为操作人的账号 / acting account")
        parser.add_argument("--json", action="store_true", help="JSON 报告 / JSON report")

    def handle(self, *args, **options) -> None:
        compound = Place.objects.filter(code=options["compound"], kind="compound").first()
        if compound is None:
            raise CommandError(_("Not a compound") + f": {options['compound']}")
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(
                    _("No account with username %(username)s") % {"username": options["actor"]}
                )
        try:
            report = households_import(
                actor=actor, compound=compound, path=options["file"], dry_run=options["dry_run"]
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            console = Console(file=self.stdout, highlight=False)
            for renderable in report.renderables():
                console.print(renderable)
        if not report.ok:
            raise SystemExit(1)
