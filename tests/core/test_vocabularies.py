"""Every event verb a loop's code writes has a Chinese word in that loop's vocabulary, so a
new step cannot reach a history page as its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cityloop.core import labels

SRC = Path(__file__).resolve().parents[2] / "src" / "cityloop"
# ``_event(actor, "verb", …)``, ``_event(actor, project, "verb", …)``, ``verb="…"``: the first
# string literal of the call is the verb.
CALL = re.compile(r"\b_event\(\s*(?:[\w.]+,\s*){1,2}\"(\w+)\"(?!\s*\+)")
KEYWORD = re.compile(r"\bverb=\"(\w+)\"")
LOOPS = ["supervision", "projects", "campaigns", "bulletins", "assessment"]


def _verbs(loop: str) -> set[str]:
    found: set[str] = set()
    for path in (SRC / loop).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(CALL.findall(text)) | set(KEYWORD.findall(text))
    return found


@pytest.mark.parametrize("loop", LOOPS)
def test_every_verb_written_has_a_word(loop):
    verbs = _verbs(loop)
    assert len(verbs) >= 3, f"the scan found too few verbs in {loop}: {verbs}"
    vocabulary = labels.vocabulary(loop)
    assert sorted(verbs - set(vocabulary.verbs)) == []


def test_computed_verbs_have_words_too():
    # written as "escalation_" + state and as the review action's own name
    from cityloop.bulletins.workflow import REVIEW
    from cityloop.supervision.models import Escalation

    supervision = labels.vocabulary("supervision")
    for state in Escalation.State.values:
        assert supervision.verb(f"escalation_{state}") != "其他操作"
    bulletins = labels.vocabulary("bulletins")
    for action in REVIEW:
        assert bulletins.verb(action) != "其他操作"


def test_a_timeline_reads_in_words():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    event = SimpleNamespace(
        at=datetime(2026, 11, 20, tzinfo=UTC),
        actor_label="金元路街道",
        verb="light",
        from_state="blue",
        to_state="red",
        note="",
    )
    (row,) = labels.vocabulary("supervision").timeline([event])
    assert (row["verb"], row["change"]) == ("亮灯变化", "蓝灯 → 红灯")
