"""The kernel's action registry: what it accepts, how it moves a record and refuses a state
its entry does not name, and the table it writes — with a made-up loop, no database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import models

from cityloop.core import actions as core_actions
from cityloop.core.actions import Action, Part, Registry


class Door(models.TextChoices):
    SHUT = "shut", "Shut"
    OPEN = "open", "Open"
    LOCKED = "locked", "Locked"


@pytest.fixture
def doors():
    registry = Registry(
        "test_doors",
        states=Door,
        parts={"keeper": Part("keeper"), "anyone": Part("anyone")},
        inputs=("note", "key"),
        state_field="door",
    )
    registry.register(
        Action("open", frozenset({Door.SHUT}), frozenset({Door.OPEN}), "anyone", "Open", "note")
    )
    registry.register(
        Action(
            "lock",
            frozenset({Door.SHUT}),
            frozenset({Door.LOCKED}),
            "keeper",
            "Lock",
            "key",
            precondition=lambda actor, door: door.has_key,
        )
    )
    registry.register(
        Action("knock", frozenset(Door.values), None, "anyone", "Knock", "note", verb="knocked")
    )
    yield registry
    core_actions.REGISTRIES.pop("test_doors")


def test_it_refuses_an_unknown_part_input_or_state(doors):
    with pytest.raises(ValueError, match="part"):
        doors.register(Action("x", frozenset({Door.SHUT}), None, "butler", "X", "note"))
    with pytest.raises(ValueError, match="input"):
        doors.register(Action("x", frozenset({Door.SHUT}), None, "anyone", "X", "photo"))
    with pytest.raises(ValueError, match="states"):
        doors.register(Action("x", frozenset({"ajar"}), None, "anyone", "X", "note"))
    assert "x" not in doors
    assert core_actions.REGISTRIES["test_doors"] is doors


def test_allowed_reads_state_precondition_and_part(doors):
    door = SimpleNamespace(door=Door.SHUT, has_key=False)

    def plays(actor, record, part):
        return part == "anyone" or actor == "keeper"

    assert doors.allowed("guest", door, plays) == ["open", "knock"]
    assert doors.allowed("keeper", door, plays) == ["open", "knock"]  # no key yet
    door.has_key = True
    assert doors.allowed("keeper", door, plays) == ["open", "lock", "knock"]
    door.door = Door.OPEN
    assert doors.allowed("keeper", door, plays) == ["knock"]
    assert [a.name for a in doors.from_state(Door.SHUT)] == ["open", "lock", "knock"]
    assert doors.by_verb("knocked").name == "knock"
    assert doors.by_verb("knock") is None


def test_move_writes_the_one_target_and_check_move_refuses_others(doors):
    door = SimpleNamespace(door=Door.SHUT)
    assert doors.move(door, "open") == Door.SHUT
    assert door.door == Door.OPEN
    with pytest.raises(RuntimeError, match="open"):
        doors.move(door, "open", Door.LOCKED)  # not among the entry's targets
    with pytest.raises(RuntimeError, match="knock"):
        doors.move(door, "knock")  # names no target: it keeps the state
    doors.check_move("knock", Door.OPEN, Door.OPEN)
    with pytest.raises(RuntimeError, match="left test_doors 7 in 'locked'"):
        doors.check_move("knock", Door.OPEN, Door.LOCKED, 7)
    doors.check_move("not_an_action", Door.OPEN, Door.LOCKED)  # not registered: not checked


def test_the_table_and_the_openapi_lines(doors):
    assert doors.markdown_table("en") == (
        "| Action | Who | From | To | Notes |\n"
        "|---|---|---|---|---|\n"
        "| Open | anyone | Shut | Open |  |\n"
        "| Lock | keeper | Shut | Locked |  |\n"
        "| Knock | anyone | any | unchanged |  |\n"
    )
    assert (
        doors.markdown_table("zh-hans").splitlines()[4] == "| Knock | anyone | 任何状态 | 不变 |  |"
    )
    assert doors.openapi_description().splitlines()[1] == "- `lock` Lock（keeper；输入：key）"
