"""The start-up heap is frozen before the server forks (core/heap.py)."""

from __future__ import annotations

import gc
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
    # The URL configuration was loaded, and with it the views a first request would import.
    for module in ("cityloop.cases.views", "cityloop.supervision.views", "cityloop.cases.api"):
        assert module in sys.modules


def test_serve_freezes_before_gunicorn_forks(monkeypatch, thawed) -> None:
    """``cityloop serve`` freezes the heap before it hands the application to gunicorn."""
    from gunicorn.app.base import BaseApplication

    from cityloop.core.management.commands import serve

    seen: list[int] = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: seen.append(gc.get_freeze_count()))
    serve._gunicorn("127.0.0.1", 0, 1)
    assert seen and seen[0] > 10_000
