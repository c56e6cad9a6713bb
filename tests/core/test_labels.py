"""A loop's vocabulary names its codes in Chinese and never shows an unknown code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityloop.core import labels


def test_words_and_fallbacks(caplog):
    vocab = labels.register(
        "test-loop", verbs={"create": _("Created")}, states={"red": "红色", "blue": "蓝色"}
    )
    assert labels.vocabulary("test-loop") is vocab
    assert vocab.verb("create") == "新增"
    assert vocab.change("blue", "red") == "蓝色 → 红色"
    assert vocab.change("", "red") == "红色"
    assert vocab.state("") == ""
    assert vocab.verb("milestone_done") == "其他操作"
    assert "milestone_done" in caplog.text
    assert vocab.state("purple") == "其他"
