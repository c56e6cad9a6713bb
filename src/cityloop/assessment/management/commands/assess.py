"""``cityloop assess run SCHEME --period 2020-06`` (also ``close``, ``show``, ``indicators``):
compute a period, freeze it, print the ranking."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cityloop.assessment import queries, workflow
from cityloop.core.errors import DomainError
from cityloop.core.system import SYSTEM


class Command(BaseCommand):
    help = "考核：计算、关闭、查看排名 / run, close or show an assessment period"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["run", "close", "show", "indicators"])
        parser.add_argument("scheme", nargs="?", default="", help="方案编码 / scheme code")
        parser.add_argument("--period", default="", help="2020-06, 2020-06-H1, 2020-Q2, 2020")

    def handle(self, *args, action: str, scheme: str, period: str, **options) -> None:
        # The command line acts as the system: whoever may run it owns the machine.
        try:
            if action == "indicators":
                for row in queries.indicator_catalogue():
                    self.stdout.write(f"{row['name']:<28} {row['kind']:<6} {row['label']}")
                return
            if not scheme or not period:
                raise CommandError(_("Give the scheme code and --period."))
            if action == "run":
                workflow.run_period(actor=SYSTEM, code=scheme, key=period)
            elif action == "close":
                workflow.close_period(actor=SYSTEM, code=scheme, key=period)
            r = queries.ranking(SYSTEM, scheme, period)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"{r.scheme.name} v{r.scheme.version} · {r.label} · {r.period.state}")
        for row in r.rows:
            s = row.score
            rank = str(s.rank) if s.rank is not None else "—"
            move = row.movement
            moved = (
                "" if move is None else (f"↑{move}" if move > 0 else f"↓{-move}" if move else "=")
            )
            note = f"  {s.unranked_reason}" if not s.ranked else ""
            self.stdout.write(f"{rank:>3}  {s.label:<12} {s.total:>7}  {moved}{note}")
