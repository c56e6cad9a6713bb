"""The session's shared demo (``shared_demo`` in tests/conftest.py): its tests run last, so
the transaction it holds open meets no test that expects an empty database or a flush."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import pytest_collection_modifyitems


def _item(name: str, *fixtures: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, fixturenames=list(fixtures))


def test_tests_on_the_shared_demo_move_to_the_end_in_their_order():
    items = [
        _item("a", "db"),
        _item("b", "shared_demo", "db"),
        _item("c"),
        _item("d", "shared_demo"),
        _item("e", "transactional_db"),
    ]
    pytest_collection_modifyitems(items)
    assert [i.name for i in items] == ["a", "c", "e", "b", "d"]


def test_a_run_without_the_shared_demo_keeps_its_order():
    items = [_item("a", "db"), _item("b"), _item("c", "transactional_db")]
    pytest_collection_modifyitems(items)
    assert [i.name for i in items] == ["a", "b", "c"]
