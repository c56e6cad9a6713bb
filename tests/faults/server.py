"""The real server for fault tests: ``cityloop serve`` (gunicorn) in its own process group on a
free 127.0.0.1 port, against a database of its own that the test can read afterwards (a
SQLite file in tmp_path, or a PostgreSQL database the test creates and drops).

Only what this module started is ever signalled: the process group of the one ``serve`` it
launched, by its id.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from tests.faults.template import Template
from tests.faults.test_backup import Fresh

SETUP_TIMEOUT = 120
SERVE = [sys.executable, "-m", "cityloop.cli", "serve", "--workers", "2", "--no-worker"]
PASSWORD = "Fault-Test-Passw0rd!"
SEED = """
from cityloop.org import services as s
s.place_save(actor=None, code="410106", name="上街区", kind="district")
"""
PREPARE = """
import io
from django.core.management import call_command
{migrate}
{seed}
call_command("user", "create", "reporter", "--password", {password!r}, *{who!r})
out = io.StringIO()
call_command("token", "create", "reporter", stdout=out)
print("TOKEN=" + out.getvalue().strip())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port nobody listens on (bound and released at once)."""
    return free_port()


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    body: dict = field(default_factory=dict)
    refused: bool = False  # no answer because nothing listened (the server was down)


@dataclass
class Server:
    database: Fresh
    data_dir: Path
    queue_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    token: str = ""
    log: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)  # for every process it starts

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "CITYLOOP_SECRET_KEY"}
        env |= {
            "CITYLOOP_DATA_DIR": str(self.data_dir),
            "CITYLOOP_DATABASE_URL": self.database.url,
            "CITYLOOP_QUEUE_URL": self.queue_url,
            # The harness writes as one account far faster than a person: not what is tested.
            "CITYLOOP_WRITES_PER_ACCOUNT_PER_MINUTE": "0",
        }
        return env | self.extra_env | extra

    def cli(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "cityloop.cli", *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def prepare(self, *, seed: str = "", role: str = "resident") -> None:
        """Migrate (unless the database is a copy of a migrated one), a root place (reports
        need a place) and ``seed`` (Python run in ``manage shell``), one account of ``role``
        (``superuser``: sees everything) and its token."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "secret_key").write_text("fault-test-" + uuid.uuid4().hex)
        who = ["--superuser"] if role == "superuser" else ["--role", role]
        # One process for the four steps (the same commands `cityloop manage migrate`, `user
        # create` and `token create` run): each start of Django costs seconds on a loaded
        # machine, and the fault tests are about the server, not about these commands.
        migrated = getattr(self.database, "migrated", False)
        migrate = "" if migrated else 'call_command("migrate", verbosity=0)'
        script = PREPARE.format(migrate=migrate, seed=SEED + seed, password=PASSWORD, who=who)
        out = self.cli("manage", "shell", "-c", script).stdout
        self.token = next(
            line.removeprefix("TOKEN=") for line in out.splitlines() if line.startswith("TOKEN=")
        )

    def start(self) -> None:
        self.log = self.data_dir / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [*SERVE, "--port", str(self.port)],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: kill -9 reaches master and workers
            )
        deadline = time.monotonic() + SETUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            # Up once it answers at all: /healthz says 503 while the queue is down on purpose.
            if self.get("/healthz").status != 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"server did not come up: {self.log.read_text()}")

    def kill9(self) -> None:
        """SIGKILL to the server's whole process group (master and workers), as a power cut."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self.kill9()

    def _request(self, method: str, path: str, data: dict | None, headers: dict) -> Answer:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(data).encode() if data is not None else None,
            headers={"Content-Type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return Answer(response.status, json.loads(raw) if raw.strip() else {})
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"raw": raw[:200].decode(errors="replace")}
            return Answer(exc.code, body)
        except urllib.error.URLError as exc:
            return Answer(0, refused=isinstance(exc.reason, ConnectionRefusedError))
        except ConnectionRefusedError:
            return Answer(0, refused=True)
        except (OSError, ValueError, http.client.HTTPException):
            # reset mid-answer, timed out, a cut body or status line (IncompleteRead,
            # RemoteDisconnected, BadStatusLine when the kill lands inside the answer)
            return Answer(0)

    def get(self, path: str, *, signed_in: bool = False) -> Answer:
        headers = {"Authorization": f"Bearer {self.token}"} if signed_in else {}
        return self._request("GET", path, None, headers)

    def post(self, path: str, data: dict, *, key: str = "") -> Answer:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        return self._request("POST", path, data, headers)


def server_database(tmp_path: Path, template: Template | None) -> Fresh:
    """A database for the server on the engine the suite runs on: a copy of the session's
    migrated ``template`` (the ``migrated_template`` fixture), or empty when there is none
    (then :meth:`Server.prepare` migrates it)."""
    assert connection.vendor in ("sqlite", "postgresql")
    assert template is None or template.vendor == connection.vendor, template
    return Fresh(tmp_path, template)
