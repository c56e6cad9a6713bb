"""Backup and restore of one deployment: the database, the uploads and the secret key.

A backup is a directory an operator can copy anywhere::

    database.sqlite3 | database.pgdump   the database, a consistent snapshot
    media/…                              every uploaded file (photos, documents)
    secret_key                           when the key lives in <data_dir>/secret_key
    manifest.json                        row counts per table and sha256 of every file above

SQLite is copied through sqlite3's online backup API, never with ``cp``: a file copy taken
while cases are being written can miss the pages still in the write-ahead log (a ``cp``
under load lost 6 of 66 acknowledged cases, issue 16.8). The backup reads one snapshot in
one step while writers go on. PostgreSQL goes through ``pg_dump -Fc`` on a snapshot exported
from a repeatable-read transaction, and the row counts are read in that same transaction,
so the manifest describes exactly what the dump holds.

The database is copied first and the media afterwards: a photo is stored before the row that
names it is committed, so every photo a copied row names is already on disk when the media
copy starts (later photos may come along too; content-addressed, they harm nothing).

:func:`restore` verifies every checksum before it writes anything, refuses a target
database that already has tables unless ``force``, and counts the restored rows against the
manifest. Errors are :class:`BackupError` with a Chinese and English message.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from cityloop.core import clock

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
KEY_FILE = "secret_key"
MEDIA = "media"

# The figures an operator looks at first (all tables are counted and checked).
SUMMARY = {
    "cases": "cases_case",
    "events": "cases_caseevent",
    "tasks": "supervision_task",
    "users": "auth_user",
    "places": "org_place",
}
SUMMARY_ZH = {
    "cases": "事件",
    "events": "事件记录",
    "tasks": "督办任务",
    "users": "账号",
    "places": "地点",
}


class BackupError(Exception):
    """A refusal: the message says in Chinese and English what is wrong and what to do."""


@dataclass(frozen=True)
class Database:
    """Where a database is, read from a Django ``settings_dict`` (the configured one)."""

    engine: str  # "sqlite" or "postgresql"
    name: str  # SQLite: the file path; PostgreSQL: the database name
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict[str, Any]) -> Database:
        engine = settings_dict["ENGINE"]
        if engine.endswith("sqlite3"):
            return cls("sqlite", str(settings_dict["NAME"]))
        if engine.endswith("postgresql"):
            return cls(
                "postgresql",
                str(settings_dict["NAME"]),
                str(settings_dict.get("HOST") or ""),
                str(settings_dict.get("PORT") or ""),
                str(settings_dict.get("USER") or ""),
                str(settings_dict.get("PASSWORD") or ""),
            )
        raise BackupError(f"不支持的数据库 / unsupported database engine: {engine}")

    def conninfo(self, dbname: str | None = None) -> str:
        from psycopg.conninfo import make_conninfo

        parts = {"dbname": dbname or self.name, "host": self.host, "port": self.port}
        parts["user"] = self.user
        return make_conninfo(**{k: v for k, v in parts.items() if v})

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def pg_args(self) -> list[str]:
        args = []
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        if self.user:
            args += ["--username", self.user]
        return args


# --- backup -------------------------------------------------------------------------------------


def backup(
    dest: Path,
    *,
    database: Database,
    media_root: Path,
    key_file: Path | None,
) -> dict[str, Any]:
    """Write a backup into ``dest`` (new or empty) and return its manifest.

    ``key_file`` None: the secret key comes from the environment and is not copied (the
    manifest says so; keep it with the deployment's configuration).
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(
            f"备份目录不是空的，不会覆盖已有备份：{dest} / "
            f"the backup directory is not empty; an older backup is never overwritten: {dest}"
        )
    dest.mkdir(parents=True, exist_ok=True)
    started = _now()
    if database.engine == "sqlite":
        db_file, counts = _backup_sqlite(Path(database.name), dest / SQLITE_FILE)
    else:
        db_file, counts = _backup_postgresql(database, dest / PG_FILE)
    snapshot_done = _now()
    written = [db_file]
    written += list(_copy_media(Path(media_root), dest / MEDIA))
    if key_file is not None and key_file.exists():
        shutil.copyfile(key_file, dest / KEY_FILE)
        os.chmod(dest / KEY_FILE, 0o600)
        written.append(dest / KEY_FILE)
    manifest = {
        "format": FORMAT,
        "engine": database.engine,
        "database_file": db_file.name,
        "started_at": started,
        "database_copied_at": snapshot_done,
        "finished_at": _now(),
        "secret_key": "file" if KEY_FILE in {p.name for p in written} else "environment",
        "summary": {label: counts.get(table, 0) for label, table in SUMMARY.items()},
        "counts": counts,
        "files": {
            p.relative_to(dest).as_posix(): {"sha256": _sha256(p), "bytes": p.stat().st_size}
            for p in written
        },
    }
    temp = dest / f".{MANIFEST}.part"
    temp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temp, dest / MANIFEST)  # the manifest appears last: a backup with one is whole
    return manifest


def _backup_sqlite(source: Path, target: Path) -> tuple[Path, dict[str, int]]:
    if not source.exists():
        raise BackupError(f"找不到数据库文件 / database file not found: {source}")
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        # pages=-1 (the default): the whole database in one step, under one read snapshot;
        # in WAL mode writers go on meanwhile and the copy includes what the log holds.
        src.backup(dst)
    finally:
        src.close()
    try:
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        result = dst.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"备份副本检查未通过 / the copy failed its check: {result}")
        counts = _counts_sqlite(dst)
    finally:
        dst.close()
    return target, counts


def _backup_postgresql(database: Database, target: Path) -> tuple[Path, dict[str, int]]:
    import psycopg

    pg_dump = _binary("pg_dump")
    with psycopg.connect(database.conninfo()) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = _counts_postgresql(conn)
            # The dump reads the snapshot this transaction exported, so it holds exactly the
            # rows just counted; the transaction stays open until pg_dump is done.
            run = subprocess.run(
                [
                    pg_dump,
                    *database.pg_args(),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    database.name,
                ],
                env=database.pg_env(),
                capture_output=True,
                text=True,
            )
    if run.returncode != 0:
        raise BackupError(f"pg_dump 失败 / pg_dump failed: {run.stderr.strip()[-2000:]}")
    return target, counts


def _copy_media(source: Path, target: Path) -> Iterator[Path]:
    if not source.exists():
        return
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.endswith(".part"):  # an upload still being written
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        yield out


# --- verify and restore -------------------------------------------------------------------------


def verify(source: Path) -> dict[str, Any]:
    """The manifest of the backup in ``source`` once every file in it checks out; else raise."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        db_file = manifest["database_file"]
        int(manifest["format"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            f"备份不完整：清单 {MANIFEST} 缺失或损坏，不能恢复 / "
            f"incomplete backup: {MANIFEST} is missing or damaged, nothing restored ({exc})"
        ) from exc
    if manifest["format"] != FORMAT:
        raise BackupError(
            f"不认识的备份格式 {manifest['format']} / unknown backup format {manifest['format']}"
        )
    if db_file not in files:
        raise BackupError(f"清单里没有数据库文件 / the manifest lists no database file ({db_file})")
    bad = []
    for name, expected in files.items():
        path = source / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            bad.append(f"{name}: 路径不合法 / bad path")
        elif not path.is_file():
            bad.append(f"{name}: 缺失 / missing")
        elif path.stat().st_size != expected["bytes"]:
            bad.append(
                f"{name}: 大小不符 / size differs ({path.stat().st_size} ≠ {expected['bytes']})"
            )
        elif _sha256(path) != expected["sha256"]:
            bad.append(f"{name}: 校验和不符 / sha256 differs")
    if bad:
        shown = "; ".join(bad[:5]) + (f" … (+{len(bad) - 5})" if len(bad) > 5 else "")
        raise BackupError(
            f"备份校验失败（文件被改动或不完整），未写入任何内容 / "
            f"backup verification failed (files changed or incomplete), nothing written: {shown}"
        )
    return manifest


def restore(
    source: Path,
    *,
    database: Database,
    media_root: Path,
    key_file: Path,
    force: bool = False,
) -> dict[str, Any]:
    """Restore the backup in ``source``; return the manifest after the counts matched."""
    source = Path(source)
    manifest = verify(source)  # before anything is written
    if manifest["engine"] != database.engine:
        raise BackupError(
            f"这是 {manifest['engine']} 的备份，目标是 {database.engine}，不能直接恢复 / "
            f"a {manifest['engine']} backup cannot be restored into {database.engine}"
        )
    tables = _table_count(database)
    if tables and not force:
        raise BackupError(
            f"目标数据库不是空的（{tables} 张表），未恢复；确认要覆盖请加 --force / "
            f"the target database is not empty ({tables} tables), nothing restored; "
            "pass --force to replace it"
        )
    db_file = source / manifest["database_file"]
    if database.engine == "sqlite":
        _restore_sqlite(db_file, Path(database.name))
    else:
        _restore_postgresql(db_file, database, replace=bool(tables))
    for name in manifest["files"]:
        if name.startswith(f"{MEDIA}/"):
            _place(source / name, Path(media_root) / name.removeprefix(f"{MEDIA}/"))
    if manifest["secret_key"] == "file":
        _place(source / KEY_FILE, key_file, mode=0o600)
    counts = counts_of(database)
    differ = {t: (n, counts.get(t)) for t, n in manifest["counts"].items() if counts.get(t) != n}
    if differ:
        raise BackupError(
            f"恢复后的行数与清单不符 / restored row counts differ from the manifest: {differ}"
        )
    return manifest


def _restore_sqlite(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=60)
    try:
        # Into the live file through the backup API (not a file copy): it takes the write
        # lock, replaces every page and keeps any -wal beside the target consistent.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")  # as the application runs it
    finally:
        src.close()
        dst.close()


def _restore_postgresql(dump: Path, database: Database, *, replace: bool) -> None:
    args = [
        _binary("pg_restore"),
        *database.pg_args(),
        "--dbname",
        database.name,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",  # all or nothing: a failed restore leaves the target as it was
    ]
    if replace:
        args += ["--clean", "--if-exists"]
    run = subprocess.run([*args, str(dump)], env=database.pg_env(), capture_output=True, text=True)
    if run.returncode != 0:
        raise BackupError(f"pg_restore 失败 / pg_restore failed: {run.stderr.strip()[-2000:]}")


def _place(source: Path, target: Path, *, mode: int = 0o644) -> None:
    """Copy to a temporary name beside ``target`` and rename: never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(source, temp)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- counting -----------------------------------------------------------------------------------


def counts_of(database: Database) -> dict[str, int]:
    """Rows per table of ``database`` as it is now."""
    if database.engine == "sqlite":
        conn = sqlite3.connect(database.name)
        try:
            return _counts_sqlite(conn)
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database.conninfo()) as conn:
        return _counts_postgresql(conn)


def _table_count(database: Database) -> int:
    """How many tables the target already has (0: empty or not there yet)."""
    if database.engine == "sqlite":
        if not Path(database.name).exists():
            return 0
        conn = sqlite3.connect(database.name)
        try:
            return len(_sqlite_tables(conn))
        finally:
            conn.close()
    import psycopg

    try:
        with psycopg.connect(database.conninfo()) as conn:
            return len(_pg_tables(conn))
    except psycopg.OperationalError as exc:
        raise BackupError(
            f"连不上目标数据库 {database.name}（不存在就先 createdb）/ cannot connect to the "
            f"target database {database.name} (create it first with createdb): {exc}"
        ) from exc


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [r[0] for r in rows]


def _counts_sqlite(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in _sqlite_tables(conn)
    }


def _pg_tables(conn) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [r[0] for r in rows]


def _counts_postgresql(conn) -> dict[str, int]:
    from psycopg import sql

    return {
        t: conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
        for t in _pg_tables(conn)
    }


# --- small helpers ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 {name}，请安装 PostgreSQL 客户端（postgresql-client）/ "
            f"{name} not found: install the PostgreSQL client tools"
        )
    return found


def _now() -> str:
    return clock.now().astimezone(UTC).isoformat(timespec="seconds")


def summary_lines(manifest: dict[str, Any], counts: dict[str, int] | None = None) -> list[str]:
    """``事件 cases: 123`` lines for the command's output."""
    figures = counts if counts is not None else manifest["counts"]
    return [
        f"  {SUMMARY_ZH[label]} {label}: {figures.get(table, 0)}"
        for label, table in SUMMARY.items()
    ]
