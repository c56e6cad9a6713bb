from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from cityloop.core import sweep


class Command(BaseCommand):
    help = (
        "巡检一遍（期限、亮灯、待发通知、日历）/ Run the clock-driven sweep: deadlines, lights, "
        "pending notifications, the calendar; every --interval seconds unless --once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="只跑一遍 / one pass, then exit")
        parser.add_argument(
            "--interval",
            type=int,
            default=300,
            help="两遍之间的秒数 / seconds between passes (default 300)",
        )

    def handle(self, *args, once: bool = False, interval: int = 300, **options) -> None:
        while True:
            results = sweep.run_sweep()
            for name, result in results.items():
                self.stdout.write(f"{name}: {result}")
            if once:
                return
            time.sleep(max(interval, 10))
