"""core.edits: an edit compares fields as the history shows them and writes only those."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityloop.core import edits
from cityloop.org.models import Unit

pytestmark = pytest.mark.django_db


def test_shown_names_records_sorts_lists_and_writes_days(tree):
    assert edits.shown("unit", None) == (None, "")
    assert edits.shown("unit", tree.office_a) == (tree.office_a.pk, tree.office_a.name)
    units = [tree.office_b, tree.office_a]
    key, text = edits.shown("units", units)
    first, second = sorted(units, key=lambda u: u.path)
    assert key == (first.pk, second.pk) and text == f"{first.name}、{second.name}"
    assert edits.shown("names", ["中心路社区", "三湾街社区"]) == (
        ("三湾街社区", "中心路社区"),
        "三湾街社区、中心路社区",
    )
    assert edits.shown("start", date(2026, 3, 1)) == (date(2026, 3, 1), "2026-03-01")


def test_diff_lists_only_what_changed_in_words(tree):
    before = {"name": "城管办", "parent": tree.office_a, "start": date(2026, 1, 1)}
    after = {"name": "城管办", "parent": tree.office_b, "start": date(2026, 2, 1)}
    assert edits.diff(before, after) == {
        "parent": [tree.office_a.name, tree.office_b.name],
        "start": ["2026-01-01", "2026-02-01"],
    }
    assert edits.diff(before, dict(before)) == {}


def test_write_saves_only_the_changed_fields(tree):
    unit = Unit.objects.get(pk=tree.bureau.pk)
    with CaptureQueriesContext(connection) as ctx:
        edits.write(unit, {"short_name": "城管局", "name": "不应写入"}, ["short_name"])
    (update,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"short_name"' in update and '"name"' not in update.split("WHERE")[0]
    unit.refresh_from_db()
    assert unit.short_name == "城管局" and unit.name == tree.bureau.name
