"""The classifier interface: fit, predict with confidence, save/load, the fast path, CV."""

from __future__ import annotations

import csv
import random

import numpy as np
import pytest

from cityloop.intel import classifier as clf
from tests.intel.conftest import LIGHTS, NOISE, PILES, govmsg

TEXTS = PILES + LIGHTS + NOISE
LABELS = ["piles"] * 8 + ["lights"] * 8 + ["noise"] * 8


@pytest.mark.parametrize("implementation", sorted(clf.IMPLEMENTATIONS))
def test_fit_predict_gives_label_confidence_and_alternatives(implementation):
    model = clf.make(implementation).fit(TEXTS, LABELS)
    assert sorted(model.labels) == ["lights", "noise", "piles"]
    [p] = model.predict(["晚上小区路灯全都不亮"])
    assert p.label == "lights"
    assert 1 / 3 < p.confidence <= 1
    assert [a[0] for a in p.alternatives] and all(a[1] <= p.confidence for a in p.alternatives)
    proba = model.predict_proba(TEXTS[:3])
    assert proba.shape == (3, 3)
    assert np.allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("implementation", sorted(clf.IMPLEMENTATIONS))
def test_fast_single_message_path_equals_scikit_learn(implementation):
    model = clf.make(implementation).fit(TEXTS, LABELS)
    probe = ["楼道堆满杂物", "噪音", "", "完全无关的一句话 ABC 123", *TEXTS[::5]]
    assert model._fast is not None
    assert np.allclose(model.predict_proba(probe), model.sklearn_proba(probe), atol=1e-9)


def test_save_load_round_trip_and_checksum(tmp_path):
    model = clf.make().fit(TEXTS, LABELS)
    path = tmp_path / "m.pkl"
    sha = model.save(path)
    again = clf.load_classifier(path, sha256=sha)
    assert again.predict(["路灯坏了"])[0] == model.predict(["路灯坏了"])[0]
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(clf.ModelFileError, match="changed"):
        clf.load_classifier(path, sha256=sha)
    (tmp_path / "junk.pkl").write_bytes(b"not a model")
    with pytest.raises(clf.ModelFileError):
        clf.load_classifier(tmp_path / "junk.pkl")


def test_one_label_or_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        clf.make().fit(PILES, ["piles"] * 8)
    with pytest.raises(ValueError):
        clf.make().fit(PILES, ["piles"])


def test_cross_validation_predicts_every_message_once():
    folds_seen = []
    scores = clf.cross_validate(
        clf.make, TEXTS, LABELS, folds=4, progress=lambda d, t: folds_seen.append((d, t))
    )
    assert scores.samples == 24
    assert folds_seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert scores.macro_f1 >= 0.8  # three clearly different topics
    assert set(scores.per_class_f1) == {"piles", "lights", "noise"}


def test_score_is_macro_over_true_labels():
    s = clf.score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert s.accuracy == 0.75
    assert s.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4)


def test_real_messages_held_out_split_is_accurate_and_fast():
    """One bounded check on the real 泰迪杯 messages: a third held out, chars-only model for
    speed; the full cross-validation of both models is bench/bench_triage.py's job."""
    with govmsg("tipdm2020c/train.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    random.Random(0).shuffle(rows)
    train, test = rows[:1900], rows[1900:]
    model = clf.make("tfidf-svm-chars").fit([r["text"] for r in train], [r["label"] for r in train])
    predicted = [p.label for p in model.predict([r["text"] for r in test])]
    scores = clf.score([r["label"] for r in test], predicted)
    assert len(scores.support) == 7
    assert scores.macro_f1 >= 0.85, scores
    assert clf.time_per_message(model, [r["text"] for r in test], limit=100) < 5
