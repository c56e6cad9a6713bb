"""The start-up heap is frozen before the server forks (core/heap.py)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from cityloop.core import heap


@pytest.fixture
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freeze_startup_imports_the_views_and_freezes_the_heap(thawed) -> None:
    assert gc.get_freeze_count() == 0
    frozen = heap.freeze_startup()
    assert frozen == gc.get_freeze_count()
    assert frozen > 10_000  # Django, the apps and their modules: far more than a few objects


def test_freeze_startup_loads_the_views_a_first_request_would_import(tmp_path) -> None:
    """In a fresh process (this one has long imported every view): before, no view module is
    loaded; after, the URL configuration and every view are, so none is built after the fork."""
    script = (
        "import sys, django; django.setup()\n"
        "views = ('cityloop.cases.views', 'cityloop.supervision.views', 'cityloop.cases.api')\n"
        "before = [m for m in views if m in sys.modules]\n"
        "from cityloop.core import heap; heap.freeze_startup()\n"
        "print(before, [m for m in views if m not in sys.modules])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cityloop.settings"}
    env.setdefault("CITYLOOP_DATA_DIR", str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[] []"


def test_serve_freezes_before_gunicorn_forks(monkeypatch, thawed) -> None:
    """``cityloop serve`` freezes the heap before it hands the application to gunicorn."""
    from gunicorn.app.base import BaseApplication

    from cityloop.core.management.commands import serve

    seen: list[int] = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: seen.append(gc.get_freeze_count()))
    serve._gunicorn("127.0.0.1", 0, 1)
    assert seen and seen[0] > 10_000
