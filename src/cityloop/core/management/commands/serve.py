from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import unquote_plus

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

    from cityloop.core import heap
    from cityloop.wsgi import application

    heap.freeze_startup()  # before the fork: the workers share the frozen start-up heap

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


# Query parameters never written to the access log: Open311 keys (GeoReport clients send
# ``api_key`` in the query string) and what a client may put there about a resident.
SECRET_PARAMS = frozenset(
    {"api_key", "token", "access_token", "email", "phone", "first_name", "last_name",
     "device_id", "account_id"}
)  # fmt: skip


def redact_query(query: str) -> str:
    """The query string with the value of every secret parameter replaced by ``***``."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        parts.append(f"{name}=***" if sep and unquote_plus(name).lower() in SECRET_PARAMS else part)
    return "&".join(parts)


class QuietHealthLogger(Logger):
    """gunicorn's logger without an access line for a passing ``/healthz``: the balancer asks
    every few seconds on every node. A failing check (503) is still logged. Secret query
    parameters (:data:`SECRET_PARAMS`) are written as ``***``."""

    def access(self, resp, req, environ, request_time) -> None:
        if environ.get("PATH_INFO") == health.PATH and str(resp.status).startswith("200"):
            return
        query = environ.get("QUERY_STRING", "")
        if query:
            environ = dict(environ)
            environ["QUERY_STRING"] = redact_query(query)
            raw = environ.get("RAW_URI", "")
            path, sep, raw_query = raw.partition("?")
            if sep:
                environ["RAW_URI"] = f"{path}?{redact_query(raw_query)}"
        super().access(resp, req, environ, request_time)
