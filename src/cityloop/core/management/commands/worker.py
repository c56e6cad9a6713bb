from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动后台任务进程（期限与亮灯巡检）/ Run the background worker (huey consumer)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--workers", type=int, default=2, help="工作线程数 / worker threads (default 2)"
        )

    def handle(self, *args, **options) -> None:
        queue = settings.HUEY.get("url") or settings.HUEY.get("filename")
        self.stdout.write(f"后台任务进程启动 worker starting · queue: {queue}")
        call_command("run_huey", workers=options["workers"], worker_type="thread")
