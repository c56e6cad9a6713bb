"""``cityloop demo [--reset] [--force] [--no-cases]``: load the demo district and its cases
(fast when already loaded)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cityloop.core.errors import DomainError
from cityloop.demo import projects as demo_projects
from cityloop.demo.accounts import DEMO_PASSWORD, SUPERUSER
from cityloop.demo.builder import load_demo
from cityloop.demo.outcomes import outcome_label


class Command(BaseCommand):
    help = "载入演示区县（上街区）数据，可重复执行 / load the demo district (idempotent)"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="删除全部演示数据与演示账号后重新载入 / delete demo rows and accounts, reload",
        )
        parser.add_argument(
            "--no-cases",
            action="store_true",
            help=(
                "只载入地点、单位、人员等，不演示案件与督查 / "
                "the frame only, no demo cases or supervision"
            ),
        )
        parser.add_argument(
            "--story-date",
            choices=["today", "fixed"],
            default="today",
            help=(
                "演示事件停在何时：today＝载入之时（默认），fixed＝2026-11-20 17:30（测试所用）/ "
                "where the live story stands: now (default) or the fixed test date"
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="即使已载入也逐行核对 / walk every row even if already loaded",
        )

    def handle(
        self,
        *args,
        reset: bool = False,
        force: bool = False,
        no_cases: bool = False,
        story_date: str = "today",
        **options,
    ) -> None:
        from cityloop.core import clock
        from cityloop.demo import assessment as demo_assessment
        from cityloop.demo import cases as demo_cases
        from cityloop.demo import deliberation as demo_deliberation

        if story_date == "today":
            # The live story is generated back from the moment of loading, so the demo opened
            # today shows today's mix of lights; the seeds' dated boards stay dated.
            demo_cases.stand_at(clock.now().replace(second=0, microsecond=0))

        try:
            if reset:  # its rows point at demo units and places, which the reset deletes
                demo_assessment.delete_assessment()
            result = load_demo(reset=reset, force=force, stdout=self.stdout, cases=not no_cases)
            if not no_cases:
                # The other loops ride with the cases, each idempotent on its own: projects
                # and campaigns, deliberation, then assessment (it reads the others' records).
                demo_projects.run(reset=reset, stdout=self.stdout)
                demo_deliberation.ensure(self.stdout)
                extra = demo_assessment.load_assessment()
                self.stdout.write(
                    _("Assessment and bulletins: %(n)s") % {"n": outcome_label(extra["outcome"])}
                )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        finally:
            demo_cases.stand_at(None)  # the moment belongs to this load, not to the process
        if result["status"] == "skipped":
            latest = demo_cases.latest_moment()
            if latest is not None and (clock.now() - latest).days >= 3:
                self.stdout.write(
                    _(
                        "The demo was loaded as of %(day)s; run `cityloop demo --reset` to "
                        "play it again up to today."
                    )
                    % {"day": f"{latest.astimezone(clock.local_zone()):%Y-%m-%d}"}
                )
        if result["status"] != "skipped":
            self.stdout.write(
                _("Demo accounts: see docs/guide/demo.md; superuser %(user)s, password %(pw)s")
                % {"user": SUPERUSER, "pw": DEMO_PASSWORD}
            )
