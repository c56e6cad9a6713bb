"""Fault tests (issue 16): real faults where the machine allows them, each printing its figures."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.faults)


@dataclass
class SmallDisk:
    """A tiny filesystem for the media root: a real 64 KiB tmpfs when we may mount one (root),
    otherwise a directory whose writes fail the same way through patched ``os`` calls."""

    root: Path
    kind: str  # "tmpfs" or "simulated"
    monkeypatch: pytest.MonkeyPatch
    _room: list[int | None] = field(default_factory=lambda: [None])

    def fill(self, *, leave: int) -> None:
        """Take all the space but about ``leave`` bytes."""
        if self.kind == "tmpfs":
            filler = self.root / "filler.bin"
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # unbuffered
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
            os.close(fd)
            return
        self._room[0] = leave
        self._simulate()

    def free(self) -> None:
        if self.kind == "tmpfs":
            (self.root / "filler.bin").unlink(missing_ok=True)
        else:
            self._room[0] = None

    def read_only(self) -> None:
        if self.kind == "tmpfs":
            subprocess.run(["mount", "-o", "remount,ro", str(self.root)], check=True)
            return
        from cityloop.core import uploads

        def refuse(*args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

        self.monkeypatch.setattr(uploads.tempfile, "mkstemp", refuse)

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file() and p.name != "filler.bin")

    def _simulate(self) -> None:
        from cityloop.core import uploads

        real_fdopen = os.fdopen
        room = self._room

        class Full:
            """A file that takes ``room`` bytes and then fails as a full disk does."""

            def __init__(self, handle):
                self.handle = handle

            def write(self, data: bytes) -> int:
                if room[0] is not None and len(data) > room[0]:
                    self.handle.write(data[: room[0]])
                    self.handle.flush()
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return self.handle.write(data)

            def __getattr__(self, name):
                return getattr(self.handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

        self.monkeypatch.setattr(uploads.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))


@pytest.fixture
def small_disk(tmp_path, settings, monkeypatch) -> Iterator[SmallDisk]:
    """The media root on a 64 KiB filesystem; says which kind it got."""
    root = tmp_path / f"media-{uuid.uuid4().hex[:6]}"
    root.mkdir()
    mounted = (
        os.geteuid() == 0
        and not os.environ.get("CITYLOOP_FAULTS_NO_MOUNT")  # to try the simulated kind
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(root)],
            capture_output=True,
        ).returncode
        == 0
    )
    settings.MEDIA_ROOT = root
    disk = SmallDisk(root, "tmpfs" if mounted else "simulated", monkeypatch)
    print(f"\nsmall disk: {disk.kind} at {root}")
    try:
        yield disk
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def migrated_template(django_db_setup):
    """The session's migrated database for the servers (tests.faults.template), taken when the
    test database was set up; ``None`` when there is none (each server migrates its own)."""
    from tests.faults import template

    return template.current()


# The case-loop cast and category, for the page and API faults.
from tests.cases.conftest import _fast_hasher, at_monday, cast, category  # noqa: E402, F401
