"""Backup under write load, restore into a fresh database (issue 16.8), on the database the
suite runs on (CITYLOOP_DATABASE_URL: PostgreSQL; unset: SQLite).

The backup and the restore run as the operator runs them: ``python -m cityloop.cli backup``
and ``restore`` in their own processes, configured through the environment, while a thread
of this process keeps reporting cases through ``cases.workflow.report``.

What "nothing lost" means here, honestly: a case is *acknowledged* when ``report`` has
returned (its transaction committed). Every case acknowledged before the backup process was
started must be in the restored database; no case whose ``report`` began after the backup
process had ended may be there; cases in between may or may not be (the snapshot is taken
somewhere inside the run). And the restored database must hold together: every case has its
report event, and the counts equal the manifest's.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, connections

from cityloop.cases import workflow
from cityloop.core import photos
from tests.cases.conftest import IN_COMPOUND
from tests.faults.template import Template, drop_at_session_end, sqlite_copy
from tests.faults.test_disk_full import noisy_jpeg

MAX_CASES = 400  # the load stops here, or LOAD_SECONDS after the backup ended
LOAD_SECONDS = 0.5
TIMEOUT = 120


def _url(settings_dict: dict) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    password = settings_dict.get("PASSWORD") or ""
    auth = quote(settings_dict["USER"]) + (f":{quote(password)}" if password else "")
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or "5432"
    return f"postgresql://{auth}@{host}:{port}/{settings_dict['NAME']}"


def cli(*args: str, data_dir: Path, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CITYLOOP_SECRET_KEY"}
    env |= {"CITYLOOP_DATA_DIR": str(data_dir), "CITYLOOP_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "cityloop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def admin_sql(statement: str) -> None:
    """One statement on the PostgreSQL server of the suite's database (CREATE/DROP DATABASE)."""
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        conn.execute(statement)


class Fresh:
    """A database nobody has used: a new SQLite file, or a new PostgreSQL database; empty, or
    a copy of a migrated ``template`` (tests.faults.template), then ``migrated``."""

    def __init__(self, tmp_path: Path, template: Template | None = None):
        self.tmp_path = tmp_path
        self.sqlite = connection.vendor == "sqlite"
        self.migrated = template is not None
        source = dict(connection.settings_dict)
        if self.sqlite:
            self.name = str(tmp_path / f"restored-{uuid.uuid4().hex[:6]}.sqlite3")
            if template is not None:
                sqlite_copy(template.name, self.name)
        else:
            self.name = f"h_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            copy = f' TEMPLATE "{template.name}"' if template is not None else ""
            admin_sql(f'CREATE DATABASE "{self.name}"{copy}')
        self.url = _url({**source, "NAME": self.name})

    def rows(self, sql: str) -> list[tuple]:
        if self.sqlite:
            if not Path(self.name).exists():
                return []
            conn = sqlite3.connect(self.name)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(
            dbname=self.name,
            host=s.get("HOST") or "127.0.0.1",
            port=s.get("PORT") or 5432,
            user=s.get("USER") or None,
            password=s.get("PASSWORD") or None,
        ) as conn:
            return conn.execute(sql).fetchall()

    def tables(self) -> int:
        if self.sqlite:
            sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
        else:
            sql = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"
        rows = self.rows(sql)
        return rows[0][0] if rows else 0

    def drop(self) -> None:
        """Gone when the session ends (a SQLite file goes with tmp_path): DROP DATABASE waits
        for a checkpoint, so the PostgreSQL ones are dropped together then."""
        if not self.sqlite:
            drop_at_session_end(self.name)


@pytest.fixture
def fresh(tmp_path):
    if connection.vendor == "postgresql":
        assert shutil.which("pg_dump") and shutil.which("pg_restore"), (
            "PostgreSQL runs need pg_dump and pg_restore (postgresql-client)"
        )
    made: list[Fresh] = []

    def make() -> Fresh:
        made.append(Fresh(tmp_path))
        return made[-1]

    yield make
    for target in made:
        target.drop()


def _expected_engine() -> str:
    configured = os.environ.get("CITYLOOP_DATABASE_URL", "")
    return "postgresql" if configured.startswith("postgres") else "sqlite"


def test_backup_under_load_restores_every_acknowledged_case(
    transactional_db, seeded_calendar, tree, settings, tmp_path, fresh
):
    assert connection.vendor == _expected_engine()  # the run tests the database it claims to
    source_dir = tmp_path / "source"
    settings.MEDIA_ROOT = source_dir / "media"
    source_dir.mkdir()
    (source_dir / "secret_key").write_text("test-secret-key-" + uuid.uuid4().hex)
    (photo,) = photos.store_photos([("p.jpg", noisy_jpeg(7))])
    first = workflow.report(
        actor=None,
        source="resident",
        description="备份前的事件，带照片",
        lng=IN_COMPOUND[0],
        lat=IN_COMPOUND[1],
        photos=[photo],
    )

    log: list[tuple[int, float, float]] = []  # (case id, report began, report returned)
    errors: list[BaseException] = []
    stop = threading.Event()

    def load() -> None:
        try:
            n = 0
            while not stop.is_set() and len(log) < MAX_CASES:
                began = time.monotonic()
                case = workflow.report(
                    actor=None,
                    source="resident",
                    description=f"负载中上报的第 {n} 件：路灯不亮",
                    lng=IN_COMPOUND[0],
                    lat=IN_COMPOUND[1],
                )
                log.append((case.pk, began, time.monotonic()))
                n += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=load, daemon=True)
    writer.start()
    deadline = time.monotonic() + 30
    while len(log) < 10 and time.monotonic() < deadline and not errors:
        time.sleep(0.05)
    backup_dir = tmp_path / "backup"
    source_url = _url(connection.settings_dict)
    backup_started = time.monotonic()
    made = cli("backup", str(backup_dir), data_dir=source_dir, database_url=source_url)
    backup_ended = time.monotonic()
    time.sleep(LOAD_SECONDS)  # and a little more load after it
    stop.set()
    writer.join(timeout=60)

    assert not errors, errors
    assert made.returncode == 0, made.stderr
    acknowledged_before = {pk for pk, _, done in log if done < backup_started} | {first.pk}
    during = [pk for pk, began, done in log if done >= backup_started and began <= backup_ended]
    began_after = {pk for pk, began, _ in log if began > backup_ended}
    assert during, "the load must overlap the backup"
    assert began_after, "the load must go on after the backup"

    target = fresh()
    restored_dir = tmp_path / "restored"
    done = cli("restore", str(backup_dir), data_dir=restored_dir, database_url=target.url)
    assert done.returncode == 0, done.stderr

    restored = {row[0] for row in target.rows("SELECT id FROM cases_case")}
    lost = acknowledged_before - restored
    print(
        f"\nbackup under load ({connection.vendor}): reported {len(log) + 1}, "
        f"acknowledged before backup {len(acknowledged_before)}, during backup {len(during)}, "
        f"in backup {len(restored)}, lost {len(lost)}, begun after backup but present "
        f"{len(restored & began_after)}"
    )
    assert lost == set()
    assert restored & began_after == set()
    assert restored <= {pk for pk, _, _ in log} | {first.pk}
    without_report = target.rows(
        "SELECT COUNT(*) FROM cases_case c WHERE NOT EXISTS (SELECT 1 FROM cases_caseevent e "
        "WHERE e.case_id = c.id AND e.verb = 'report')"
    )
    assert without_report == [(0,)]
    events = target.rows("SELECT COUNT(*) FROM cases_caseevent")[0][0]
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor
    assert manifest["summary"]["cases"] == len(restored)
    assert manifest["summary"]["events"] == events >= len(restored)
    assert f"事件 cases: {len(restored)}" in done.stdout  # the counts it verified
    assert f"事件记录 events: {events}" in done.stdout

    # The photo and the key came along, byte for byte.
    assert (restored_dir / "media" / photo.file).read_bytes() == (
        source_dir / "media" / photo.file
    ).read_bytes()
    assert (restored_dir / "secret_key").read_text() == (source_dir / "secret_key").read_text()

    # A second restore into the same, now full, database is refused until told.
    again = cli("restore", str(backup_dir), data_dir=restored_dir, database_url=target.url)
    assert again.returncode != 0
    assert "目标数据库不是空的" in again.stderr and "--force" in again.stderr
    forced = cli(
        "restore", str(backup_dir), "--force", data_dir=restored_dir, database_url=target.url
    )
    assert forced.returncode == 0, forced.stderr
    assert {row[0] for row in target.rows("SELECT id FROM cases_case")} == restored


def _truncate_database(d: Path) -> None:
    manifest = json.loads((d / "manifest.json").read_text())
    path = d / manifest["database_file"]
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _change_a_photo(d: Path) -> None:
    (photo,) = [p for p in (d / "media").rglob("*") if p.is_file()]
    data = bytearray(photo.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte different
    photo.write_bytes(bytes(data))


def _cut_the_manifest(d: Path) -> None:
    text = (d / "manifest.json").read_text()
    (d / "manifest.json").write_text(text[: len(text) // 2])


def _lose_the_key(d: Path) -> None:
    (d / "secret_key").unlink()


@pytest.mark.django_db
def test_a_damaged_backup_is_refused_before_anything_is_written(settings, tmp_path, fresh):
    source_dir = tmp_path / "source"
    settings.MEDIA_ROOT = source_dir / "media"
    source_dir.mkdir()
    (source_dir / "secret_key").write_text("k" * 50)
    photos.store_photos([("p.jpg", noisy_jpeg(8))])
    backup_dir = tmp_path / "backup"
    made = cli(
        "backup",
        str(backup_dir),
        data_dir=source_dir,
        database_url=_url(connection.settings_dict),
    )
    assert made.returncode == 0, made.stderr

    damages = {
        "truncated database": (_truncate_database, "备份校验失败"),
        "changed photo": (_change_a_photo, "备份校验失败"),
        "cut manifest": (_cut_the_manifest, "清单"),
        "lost key": (_lose_the_key, "备份校验失败"),
    }
    # One empty target for the four: each refusal must leave it empty (checked after each),
    # so the next one meets the same target; on PostgreSQL every database made and dropped
    # costs seconds (DROP DATABASE waits for a checkpoint).
    target = fresh()
    for label, (damage, message) in damages.items():
        copy = tmp_path / f"damaged-{label.replace(' ', '-')}"
        shutil.copytree(backup_dir, copy)
        damage(copy)
        restored_dir = tmp_path / f"restored-{label.replace(' ', '-')}"

        refused = cli("restore", str(copy), data_dir=restored_dir, database_url=target.url)

        assert refused.returncode != 0, label
        assert message in refused.stderr and "nothing" in refused.stderr, (label, refused.stderr)
        assert target.tables() == 0, label  # no table, no row written
        assert not (restored_dir / "media").exists(), label
        print(f"damaged backup refused: {label}")


@pytest.mark.django_db
def test_a_backup_never_overwrites_an_older_one(tmp_path):
    older = tmp_path / "backup"
    older.mkdir()
    (older / "manifest.json").write_text("{}")
    refused = cli(
        "backup", str(older), data_dir=tmp_path / "d", database_url=_url(connection.settings_dict)
    )
    assert refused.returncode != 0 and "不是空的" in refused.stderr
    assert (older / "manifest.json").read_text() == "{}"
