from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.glogging import Logger

from cityloop.core import health


class Command(BaseCommand):
    help = (
        "迁移数据库并启动网站（gunicorn），默认同时启动后台任务进程 / "
        "Migrate, then serve the site with gunicorn and the background worker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="监听地址 / bind address")
        parser.add_argument("--port", type=int, default=8000, help="端口 / port")
        parser.add_argument(
            "--workers", type=int, default=2, help="网站进程数 / web worker processes"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="不启动后台任务进程 / do not start the background worker",
        )

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已迁移 database migrated")
        worker = None
        if not options["no_worker"]:
            # The worker runs beside the web processes and dies with this command.
            worker = subprocess.Popen(
                [sys.executable, "-m", "cityloop.cli", "worker"], env=os.environ.copy()
            )
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(f"cityloop 已启动 serving on {url}  (Ctrl-C 停止 to stop)")
        try:
            _gunicorn(options["host"], options["port"], options["workers"])
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _gunicorn(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from cityloop.wsgi import application

    class App(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": 4,
                "timeout": 60,
                "accesslog": "-",
                "errorlog": "-",
                "logger_class": QuietHealthLogger,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    App().run()


class QuietHealthLogger(Logger):
    """gunicorn's logger without an access line for a passing ``/healthz``: the balancer asks
    every few seconds on every node. A failing check (503) is still logged."""

    def access(self, resp, req, environ, request_time) -> None:
        if environ.get("PATH_INFO") == health.PATH and str(resp.status).startswith("200"):
            return
        super().access(resp, req, environ, request_time)
