"""The demo's live story stands where it is told: the loading moment for `cityloop demo`,
the fixed 2026-11-20 17:30 for the tests, ``CITYLOOP_AS_OF`` over both."""

from __future__ import annotations

from datetime import UTC, datetime

from cityloop.demo import cases as demo_cases
from cityloop.demo.management.commands.demo import Command


def test_stand_at_moves_the_story_and_as_of_wins(settings):
    assert demo_cases.as_of() == demo_cases.DEFAULT_AS_OF.astimezone(UTC)
    moment = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    try:
        demo_cases.stand_at(moment)
        assert demo_cases.as_of() == moment
        pinned = datetime(2020, 7, 20, 9, 0, tzinfo=UTC)
        settings.CITYLOOP = settings.CITYLOOP.model_copy(update={"as_of": pinned})
        assert demo_cases.as_of() == pinned
    finally:
        demo_cases.stand_at(None)
    settings.CITYLOOP = settings.CITYLOOP.model_copy(update={"as_of": None})
    assert demo_cases.as_of() == demo_cases.DEFAULT_AS_OF.astimezone(UTC)


def test_the_command_defaults_to_today():
    parser = Command().create_parser("cityloop", "demo")
    assert parser.parse_args([]).story_date == "today"
    assert parser.parse_args(["--story-date", "fixed"]).story_date == "fixed"
