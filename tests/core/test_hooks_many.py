"""``hooks.publish_many``: a batch's payloads delivered after commit by one callback per
subscriber, each payload in its own transaction and retried alone; an idle subscriber is
asked once and skipped."""

from __future__ import annotations

import pytest

from cityloop.core import hooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(monkeypatch):
    monkeypatch.setattr(hooks, "_SUBSCRIBERS", hooks.defaultdict(list))
    monkeypatch.setattr(hooks, "_IDLE", {})
    return "test.batch"


def test_each_payload_is_delivered_in_order_after_commit_by_one_callback(
    topic, django_capture_on_commit_callbacks
):
    got, attempts = [], []

    def listener(*, n):
        attempts.append(n)
        if n == 2 and attempts.count(2) == 1:
            raise RuntimeError("once")
        got.append(n)

    hooks.subscribe(topic, listener)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        hooks.publish_many(topic, [{"n": 1}, {"n": 2}, {"n": 3}])
    assert got == [] and len(pending) == 1
    pending[0]()
    assert got == [1, 2, 3]
    assert attempts == [1, 2, 2, 3]


def test_an_idle_subscriber_is_asked_once_and_skipped(topic, django_capture_on_commit_callbacks):
    asked, got = [], []
    hooks.subscribe(topic, lambda *, n: got.append(n), idle=lambda: asked.append(1) or True)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.publish_many(topic, [{"n": i} for i in range(50)])
    assert (asked, got) == ([1], [])


def test_an_empty_batch_schedules_nothing(topic, django_capture_on_commit_callbacks):
    hooks.subscribe(topic, lambda **kw: None)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        hooks.publish_many(topic, [])
    assert pending == []
