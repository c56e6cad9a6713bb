"""Text classifiers behind triage: one small interface, a default scikit-learn implementation.

Every implementation answers the same four calls, so the registry, the CLI, the intake hook
and the benchmark never care which one is in use:

* ``fit(texts, labels)`` learns from labelled messages;
* ``predict(texts)`` gives, per text, the best label and its **confidence**: the calibrated
  probability that this label is the right one (a confidence of 0.9 means that, on messages
  like the training ones, about nine in ten such suggestions were right);
* ``predict_proba(texts)`` gives the whole distribution over ``labels``;
* ``save(path)`` / ``load(path)`` store it in one file.

:class:`TfidfSvmClassifier` needs no network and no GPU: TF-IDF over character n-grams
(robust to jieba's mistakes and to place names it does not know) next to TF-IDF over jieba
words, a linear SVM on both, and Platt scaling learnt by cross-validation for the confidence.
The default is its character-only variant, :class:`TfidfSvmCharsClassifier`: on the 2,863
labelled 泰迪杯 messages both cross-validate to the same macro-F1 (0.893), and without jieba
a message takes about a quarter of the time (``bench/triage.py``).
Model files are pickles: load only files this deployment wrote itself.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import sklearn

from cityloop.core.text import words

FORMAT = 1
# A message longer than this adds little: the head says what it is about, the tail is usually
# thanks and contact details. Bounding it also bounds the time per message.
MAX_CHARS = 3000
_SPACE = re.compile(r"\s+")
_WHITE = re.compile(r"\s\s+")  # what scikit-learn's char analyser folds
# Digits carry dates, phone numbers and house numbers: one symbol keeps "a number was here".
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    # The next labels by confidence, best first: [(label, confidence), …]
    alternatives: tuple[tuple[str, float], ...] = ()


class TextClassifier(Protocol):
    """What every triage classifier offers (see the module docstring)."""

    implementation: str
    labels: list[str]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def predict(self, texts: Sequence[str], *, alternatives: int = 2) -> list[Prediction]: ...

    def save(self, path: Path) -> str: ...


def normalise(text: str) -> str:
    """The text the features are computed on: whitespace folded, digits as one symbol."""
    text = _SPACE.sub(" ", (text or "").strip())[:MAX_CHARS]
    return _DIGITS.sub("0", text)


def word_tokens(text: str) -> list[str]:
    """jieba words (module-level so that a pickled vectoriser can find it again)."""
    return words(text)


class TfidfSvmClassifier:
    """Character 1–2-grams and jieba words, TF-IDF, linear SVM, sigmoid-calibrated confidence."""

    implementation = "tfidf-svm"

    def __init__(
        self,
        *,
        c: float = 2.0,
        char_ngrams: tuple[int, int] = (1, 2),
        word_ngrams: tuple[int, int] = (1, 1),
        word_weight: float = 0.6,
        use_words: bool = True,
        min_df: int = 2,
        calibration_folds: int = 3,
    ):
        # Chosen by 5-fold cross-validation on tipdm2020c/train.csv (bench/bench_triage.py):
        # longer n-grams and word bigrams overfit 2,863 messages; C between 2 and 10 is flat.
        self.c = c
        self.word_weight = word_weight
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.min_df = min_df
        self.calibration_folds = calibration_folds
        self.use_words = use_words
        self.labels: list[str] = []
        self._features = None
        self._model = None
        self._fast: _Compiled | None = None

    def _make_features(self, n_samples: int):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        # With a handful of examples min_df=2 could leave no vocabulary at all.
        min_df = self.min_df if n_samples >= 50 else 1
        chars = TfidfVectorizer(
            analyzer="char", ngram_range=self.char_ngrams, sublinear_tf=True, min_df=min_df
        )
        word = TfidfVectorizer(
            tokenizer=word_tokens,
            token_pattern=None,
            lowercase=False,
            ngram_range=self.word_ngrams,
            sublinear_tf=True,
            min_df=min_df,
        )
        if not self.use_words:
            return FeatureUnion([("chars", chars)])
        return FeatureUnion(
            [("chars", chars), ("words", word)],
            transformer_weights={"chars": 1.0, "words": self.word_weight},
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        classes, counts = np.unique(np.asarray(labels, dtype=object), return_counts=True)
        if len(classes) < 2:
            raise ValueError("at least two labels are needed")
        docs = [normalise(t) for t in texts]
        self._features = self._make_features(len(docs))
        matrix = self._features.fit_transform(docs)
        svm = LinearSVC(C=self.c)
        # Calibration needs every class in every fold; a rare class caps the folds.
        folds = int(min(self.calibration_folds, counts.min()))
        if folds >= 2:
            self._model = CalibratedClassifierCV(svm, method="sigmoid", cv=folds, ensemble=False)
        else:  # too few examples to calibrate: the SVM's scores through a softmax
            self._model = svm
        self._model.fit(matrix, np.asarray(labels, dtype=object))
        self.labels = [str(c) for c in self._model.classes_]
        for _name, vec in self._features.transformer_list:
            # The terms min_df dropped are kept only for inspection; they would double the
            # file (scikit-learn's own advice).
            vec.stop_words_ = None
        self._fast = _Compiled.of(self)
        return self

    def __getstate__(self) -> dict:
        # The compiled arrays are derived; rebuilt on load rather than stored twice.
        return {k: v for k, v in self.__dict__.items() if k != "_fast"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._fast = _Compiled.of(self) if self._model is not None else None

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("the classifier is not trained")
        fast = getattr(self, "_fast", None)
        if fast is not None:
            return np.vstack([fast.proba(normalise(t)) for t in texts])
        return self.sklearn_proba(texts)

    def sklearn_proba(self, texts: Sequence[str]) -> np.ndarray:
        """The same probabilities through scikit-learn's own pipeline (slower per call)."""
        matrix = self._features.transform([normalise(t) for t in texts])
        if hasattr(self._model, "predict_proba"):
            return self._model.predict_proba(matrix)
        scores = self._model.decision_function(matrix)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str], *, alternatives: int = 2) -> list[Prediction]:
        return predictions_from(self.labels, self.predict_proba(texts), alternatives)

    def save(self, path: Path) -> str:
        return save_classifier(self, path)


class TfidfSvmCharsClassifier(TfidfSvmClassifier):
    """The same without jieba: character n-grams only. A little less accurate, several times
    faster per message (no word segmentation)."""

    implementation = "tfidf-svm-chars"

    def __init__(self, **kwargs):
        super().__init__(use_words=False, **kwargs)


class _Compiled:
    """The trained pipeline as plain arrays, for one message at a time.

    scikit-learn's ``transform`` and ``predict_proba`` spend milliseconds per call on input
    checks and sparse bookkeeping that one short text does not need; this computes the same
    numbers directly (TF-IDF with sublinear tf, l2 per block, block weights, the linear
    scores, the per-class sigmoids). A test holds it equal to the scikit-learn path."""

    def __init__(self, blocks, coef, intercept, calibrators, n_classes):
        self.blocks = blocks  # [(kind, analyser args, vocabulary, idf, offset, weight)]
        self.coef = coef  # (n_features, n_classes), dense, float64
        self.intercept = intercept
        self.calibrators = calibrators  # [(a, b)] per class column, or None: softmax
        self.n_classes = n_classes

    @classmethod
    def of(cls, model: TfidfSvmClassifier) -> _Compiled | None:
        from sklearn.calibration import CalibratedClassifierCV

        est = model._model
        calibrators = None
        if isinstance(est, CalibratedClassifierCV):
            inner = est.calibrated_classifiers_[0]
            if inner.method != "sigmoid" or len(inner.calibrators) != len(est.classes_):
                return None  # binary or unusual: let scikit-learn do it
            if list(inner.estimator.classes_) != list(est.classes_):
                return None
            calibrators = [(float(c.a_), float(c.b_)) for c in inner.calibrators]
            svm = inner.estimator
        else:
            svm = est
            if len(svm.classes_) == 2:
                return None
        blocks, offset = [], 0
        weights = model._features.transformer_weights or {}
        for name, vec in model._features.transformer_list:
            size = len(vec.vocabulary_)
            args = vec.ngram_range if vec.analyzer == "char" else None
            blocks.append(
                (
                    vec.analyzer,
                    args,
                    dict(vec.vocabulary_),
                    vec.idf_.copy(),
                    offset,
                    float(weights.get(name, 1.0)),
                    vec.lowercase,
                )
            )
            offset += size
        coef = np.ascontiguousarray(svm.coef_.T, dtype=np.float64)
        return cls(blocks, coef, svm.intercept_.astype(np.float64), calibrators, len(est.classes_))

    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        idx_all, val_all = [], []
        for analyzer, ngrams, vocab, idf, offset, weight, lowercase in self.blocks:
            doc = text.lower() if lowercase else text
            counts: dict[int, int] = {}
            if analyzer == "char":
                doc = _WHITE.sub(" ", doc)
                lo, hi = ngrams
                for n in range(lo, hi + 1):
                    for i in range(len(doc) - n + 1):
                        j = vocab.get(doc[i : i + n])
                        if j is not None:
                            counts[j] = counts.get(j, 0) + 1
            else:
                for w in word_tokens(doc):
                    j = vocab.get(w)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            val = (1.0 + np.log(tf)) * idf[idx]
            norm = np.sqrt(np.dot(val, val))
            if norm > 0:
                val = val / norm
            idx_all.append(idx + offset)
            val_all.append(val * weight)
        if not idx_all:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(idx_all), np.concatenate(val_all)

    def proba(self, text: str) -> np.ndarray:
        idx, val = self._vector(text)
        scores = val @ self.coef[idx] + self.intercept if len(idx) else self.intercept.copy()
        if self.calibrators is None:
            e = np.exp(scores - scores.max())
            return e / e.sum()
        p = np.array(
            [
                1.0 / (1.0 + np.exp(a * f + b))
                for f, (a, b) in zip(scores, self.calibrators, strict=True)
            ]
        )
        total = p.sum()
        return p / total if total > 0 else np.full(self.n_classes, 1.0 / self.n_classes)


def predictions_from(labels: list[str], proba: np.ndarray, alternatives: int) -> list[Prediction]:
    out = []
    for row in proba:
        order = np.argsort(-row)
        best = int(order[0])
        rest = tuple((labels[int(i)], round(float(row[i]), 4)) for i in order[1 : 1 + alternatives])
        out.append(Prediction(labels[best], round(float(row[best]), 4), rest))
    return out


# --- implementations, files ---------------------------------------------------------------------

IMPLEMENTATIONS: dict[str, Callable[[], TextClassifier]] = {
    TfidfSvmClassifier.implementation: TfidfSvmClassifier,
    TfidfSvmCharsClassifier.implementation: TfidfSvmCharsClassifier,
}


DEFAULT = TfidfSvmCharsClassifier.implementation


def make(implementation: str = DEFAULT) -> TextClassifier:
    try:
        return IMPLEMENTATIONS[implementation]()
    except KeyError:
        raise ValueError(f"unknown implementation {implementation!r}") from None


def save_classifier(model: TextClassifier, path: Path) -> str:
    """Write the model with a small header; returns the file's SHA-256."""
    body = pickle.dumps(
        {
            "format": FORMAT,
            "implementation": model.implementation,
            "sklearn": sklearn.__version__,
            "model": model,
        },
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(body)
    tmp.replace(path)  # never leave a half-written model where the registry points
    return hashlib.sha256(body).hexdigest()


class ModelFileError(Exception):
    pass


def load_classifier(path: Path, *, sha256: str = "") -> TextClassifier:
    """Read a model written by :func:`save_classifier`; refuses a file whose checksum moved."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from exc
    if sha256 and hashlib.sha256(body).hexdigest() != sha256:
        raise ModelFileError(f"{path} was changed after it was registered")
    try:
        # Our own file, its checksum verified above: never point this at a file from elsewhere.
        data = pickle.load(io.BytesIO(body))
    except Exception as exc:
        raise ModelFileError(f"cannot load {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a cityloop model file")
    return data["model"]


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Scores:
    macro_f1: float
    accuracy: float
    per_class_f1: dict[str, float]
    samples: int
    support: dict[str, int]


def score(truth: Sequence[str], predicted: Sequence[str]) -> Scores:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(truth) | set(predicted))
    per = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    truth_labels = sorted(set(truth))
    return Scores(
        macro_f1=round(float(f1_score(truth, predicted, labels=truth_labels, average="macro")), 4),
        accuracy=round(float(accuracy_score(truth, predicted)), 4),
        per_class_f1={lab: round(float(v), 4) for lab, v in zip(labels, per, strict=True)},
        samples=len(truth),
        support={lab: sum(1 for t in truth if t == lab) for lab in truth_labels},
    )


def cross_validate(
    factory: Callable[[], TextClassifier],
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Scores:
    """Stratified k-fold: every message is predicted once by a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=object)
    counts = np.unique(y, return_counts=True)[1]
    folds = int(min(folds, counts.min()))
    if folds < 2:
        raise ValueError("every label needs at least two examples for cross-validation")
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for i, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        model = factory().fit([texts[j] for j in train], y[train].tolist())
        predicted[test] = [p.label for p in model.predict([texts[j] for j in test])]
        if progress is not None:
            progress(i + 1, folds)
    return score(y.tolist(), predicted.tolist())


def time_per_message(
    model: TextClassifier, texts: Iterable[str], *, limit: int = 500, repeat: int = 1
) -> float:
    """Milliseconds per message, one message at a time (as at intake), on one core; the best
    of ``repeat`` passes, since other work on a shared machine only ever adds time."""
    sample = list(texts)[:limit]
    if not sample:
        return 0.0
    model.predict(sample[:5])  # warm-up: jieba's dictionary, first-call allocations
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        for text in sample:
            model.predict([text])
        best = min(best, time.perf_counter() - start)
    return round(best * 1000 / len(sample), 3)
