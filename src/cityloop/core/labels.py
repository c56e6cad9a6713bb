"""One vocabulary per loop: the Chinese words for its event verbs, states and fields.

Pages, API ``*_label`` fields and documents all read a loop's words from here, so a history
never shows a raw code (``milestone_done``, ``light → red``) and a new verb is named once. A
loop registers its vocabulary at import (``supervision/labels.py`` …)::

    VOCABULARY = labels.register(
        "supervision",
        verbs={"create": _("Created"), "light": _("Light changed")},
        states={"red": _("Red"), "blue": _("Blue")},
    )

An unknown code is never shown as it is: it reads as "其他操作" / "其他" and is logged, and
the every-page test fails on the log-free path because it looks for raw codes on the pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


@dataclass
class Vocabulary:
    loop: str
    verbs: dict[str, Promise | str] = field(default_factory=dict)
    states: dict[str, Promise | str] = field(default_factory=dict)
    fields: dict[str, Promise | str] = field(default_factory=dict)

    def verb(self, code: str) -> str:
        return self._word(self.verbs, code, _("Other step"))

    def state(self, code: str) -> str:
        if not code:
            return ""
        return self._word(self.states, code, _("Other"))

    def field(self, code: str) -> str:
        return self._word(self.fields, code, _("Other"))

    def change(self, from_state: str, to_state: str) -> str:
        """ "处置中 → 已办结", or one side when the other is empty."""
        parts = [self.state(s) for s in (from_state, to_state) if s]
        return " → ".join(parts)

    def timeline(
        self, events: Iterable[Any], *, state: Callable[[str], str] | None = None
    ) -> list[dict[str, Any]]:
        """Rows for ``web/_timeline.html``: each event's time, actor, verb and change in words.

        ``state`` names a state the vocabulary cannot (a project's stages are its type's)."""
        name = state or self.state
        rows = []
        for e in events:
            change = " → ".join(name(s) for s in (e.from_state, e.to_state) if s)
            rows.append(
                {
                    "at": e.at,
                    "actor": e.actor_label,
                    "verb": self.verb(e.verb),
                    "code": e.verb,
                    "change": change,
                    "note": e.note,
                }
            )
        return rows

    def _word(self, words: Mapping[str, Promise | str], code: str, fallback: str) -> str:
        word = words.get(code)
        if word is None:
            log.warning("no Chinese word for %s code %r", self.loop, code)
            return fallback
        return str(word)


_REGISTRY: dict[str, Vocabulary] = {}


def register(
    loop: str,
    *,
    verbs: Mapping[str, Promise | str] = (),
    states: Mapping[str, Promise | str] = (),
    fields: Mapping[str, Promise | str] = (),
) -> Vocabulary:
    """Create or extend a loop's vocabulary (an app may add words to another's loop)."""
    vocabulary = _REGISTRY.setdefault(loop, Vocabulary(loop))
    vocabulary.verbs.update(dict(verbs))
    vocabulary.states.update(dict(states))
    vocabulary.fields.update(dict(fields))
    return vocabulary


def vocabulary(loop: str) -> Vocabulary:
    """The loop's words; its ``cityloop.<loop>.labels`` module registers them on first use."""
    if loop not in _REGISTRY:
        import_module(f"cityloop.{loop}.labels")
    return _REGISTRY[loop]
