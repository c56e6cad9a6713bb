"""The loop-independent half of the action registries: an entry, a registry, its table.

Each loop (cases, supervision tasks, rectifications, projects …) declares its actions once in
its own ``<app>/actions.py``: an :class:`Action` per action — from which states it may be
taken, where it may leave the record, which part plays it (a :class:`Part`, named with a role
group of :mod:`cityloop.core.roles`), a precondition beyond the state and the part, its Chinese
label, whether its event is public, and the shape of its input. A :class:`Registry` holds one
loop's entries; its workflow checks a state and writes the new one through it
(:meth:`Registry.move`), refuses an event for a state the entry does not name
(:meth:`Registry.check_move`), its pages draw their buttons from it (:meth:`Registry.allowed`),
its API names the actions in the OpenAPI document (:meth:`Registry.openapi_description`), and
``cityloop docs-tables`` writes the guide's action table (:meth:`Registry.markdown_table`).

Every registry made here is listed in :data:`REGISTRIES` under its key (an app imports its
``actions`` module in ``AppConfig.ready``), so the docs command needs no list of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import override

Precondition = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Part:
    """Who takes an action: a label for the guide and the role group it is drawn from (the
    loop's workflow adds the scope: whose unit, whose place)."""

    label: Promise | str
    roles: frozenset = frozenset()


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    # Where the action may leave the record; ``None``: where it was (a note, a report …).
    targets: frozenset[str] | None
    part: str
    label: Promise | str
    input: str
    public: bool = False
    # A condition of the record (beyond its state) and the actor (beyond their part); when it
    # fails the right person is told the action is not available now.
    precondition: Precondition | None = None
    note: Promise | str = ""
    button: bool = True  # offered as a button of a state (a comment box is not)
    internal: bool = field(default=False, compare=False)  # registered by a test
    # The verb of the event the action records, when it is not the action's name.
    verb: str = ""

    @property
    def target(self) -> str | None:
        """The one state the action leads to, when it names exactly one."""
        if self.targets is not None and len(self.targets) == 1:
            return next(iter(self.targets))
        return None

    @property
    def event_verb(self) -> str:
        return self.verb or self.name

    def may_leave_in(self, from_state: str, to_state: str) -> bool:
        if self.targets is None:
            return to_state == from_state
        return to_state in self.targets


class Registry(dict):
    """One loop's actions by name, in declaration order (a ``dict``, so a test can
    ``monkeypatch.setitem`` an entry), with what the loop's words are: its states, the field
    that holds them, its parts and input shapes."""

    def __init__(
        self,
        key: str,
        *,
        states: type,
        parts: dict[str, Part],
        inputs: tuple[str, ...],
        generic_inputs: frozenset[str] = frozenset({"note", "reason"}),
        state_field: str = "status",
        guide: str = "",
    ) -> None:
        super().__init__()
        self.key = key
        self.states = states
        self.every_state = frozenset(states.values)
        self.parts = parts
        self.inputs = inputs
        self.generic_inputs = generic_inputs
        self.state_field = state_field
        self.guide = guide  # the file under docs/guide/ that holds this loop's table
        REGISTRIES[key] = self

    def __hash__(self) -> int:  # a registry is one object, not a value
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    # --- declaring ------------------------------------------------------------------------

    def register(self, action: Action) -> Action:
        if action.part not in self.parts:
            raise ValueError(f"unknown part {action.part!r} for action {action.name!r}")
        if action.input not in self.inputs:
            raise ValueError(f"unknown input {action.input!r} for action {action.name!r}")
        unknown = (action.sources | (action.targets or frozenset())) - self.every_state
        if unknown:
            raise ValueError(f"unknown states {sorted(unknown)} for action {action.name!r}")
        self[action.name] = action
        return action

    def unregister(self, name: str) -> None:
        self.pop(name, None)

    # --- reading --------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self)

    def label(self, name: str) -> Promise | str:
        entry = self.get(name)
        return entry.label if entry else name

    def by_verb(self, verb: str) -> Action | None:
        """The entry whose events carry ``verb``."""
        for entry in self.values():
            if entry.event_verb == verb:
                return entry
        return None

    def buttons(self) -> Iterator[Action]:
        return (a for a in self.values() if a.button)

    def from_state(self, state: str) -> list[Action]:
        """The entries that may be taken in ``state``."""
        return [a for a in self.values() if state in a.sources]

    def state_of(self, record) -> str:
        return getattr(record, self.state_field)

    def open_to(self, actor, record, name: str, plays: Callable[[Any, Any, str], bool]) -> bool:
        """May ``actor`` take ``name`` on ``record`` now: its state, the precondition and the
        part (``plays(actor, record, part)``, the loop's own rule)?"""
        entry = self[name]
        if self.state_of(record) not in entry.sources:
            return False
        if entry.precondition is not None and not entry.precondition(actor, record):
            return False
        return plays(actor, record, entry.part)

    def allowed(self, actor, record, plays: Callable[[Any, Any, str], bool]) -> list[str]:
        """The buttons ``actor`` may press on ``record`` now, in table order."""
        return [a.name for a in self.buttons() if self.open_to(actor, record, a.name, plays)]

    # --- moving ---------------------------------------------------------------------------

    def check_move(self, name: str, from_state: str, to_state: str, pk: Any = None) -> None:
        """Refuse, as a bug (``RuntimeError``: the transaction rolls back), a record left by
        ``name`` in a state its entry does not name."""
        entry = self.get(name)
        if entry is not None and not entry.may_leave_in(from_state, to_state):
            raise RuntimeError(
                f"action {name!r} left {self.key} {pk} in {str(to_state)!r}, "
                f"which its registry entry does not name"
            )

    def move(self, record, name: str, to: str | None = None) -> str:
        """Set the state ``name`` leads to (its entry's one target, or ``to`` among its
        targets); answer the state the record had."""
        entry = self[name]
        to = to or entry.target
        old = self.state_of(record)
        if to is None or not entry.may_leave_in(old, to):
            raise RuntimeError(f"action {name!r} cannot lead to {to if to is None else str(to)!r}")
        setattr(record, self.state_field, to)
        return old

    # --- describing -----------------------------------------------------------------------

    def _states(self, states: frozenset[str], sep: str) -> str:
        return sep.join(str(self.states(s).label) for s in self.states.values if s in states)

    def markdown_table(self, language: str = "zh-hans") -> str:
        """The loop's action table for the user guide, in ``language`` (zh-hans or en)."""
        with override(language):
            head = {
                "zh-hans": ("操作", "谁", "从", "到", "说明", "不变", "任何状态"),
                "en": ("Action", "Who", "From", "To", "Notes", "unchanged", "any"),
            }[language]
            lines = [
                f"| {head[0]} | {head[1]} | {head[2]} | {head[3]} | {head[4]} |",
                "|---|---|---|---|---|",
            ]
            sep = "、" if language == "zh-hans" else ", "
            for a in self.values():
                sources = head[6] if a.sources == self.every_state else self._states(a.sources, sep)
                targets = head[5] if a.targets is None else self._states(a.targets, sep)
                who = self.parts[a.part].label
                lines.append(f"| {a.label} | {who} | {sources} | {targets} | {a.note} |")
            return "\n".join(lines) + "\n"

    def openapi_description(self) -> str:
        """The actions, in Chinese, one line each, for an OpenAPI description."""
        with override("zh-hans"):
            rows = [
                f"- `{a.name}` {a.label}（{self.parts[a.part].label}；输入：{a.input}）"
                for a in self.values()
            ]
        return "\n".join(rows)


# Every loop's registry by its key (filled as each ``<app>/actions.py`` is imported).
REGISTRIES: dict[str, Registry] = {}
