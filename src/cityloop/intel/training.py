"""Training from records: labelled CSV files or this deployment's own closed cases.

Training always measures before it stores: a stratified cross-validation on the same
examples gives the macro-F1 and accuracy the model is registered with, then the model is fit
on all of them, timed per message and saved as the next version of its kind.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.utils.translation import gettext as _

from cityloop.core import clock
from cityloop.core.errors import InvalidInput
from cityloop.intel import classifier as clf
from cityloop.intel import labels as lab
from cityloop.intel.models import Kind, TriageModel

# CSV fields can be long (a message with its whole reply); the default limit is 128 KiB.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Examples:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    dropped_labels: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)


def open_text(path: Path):
    """Open a CSV written by Excel or by a script: UTF-8 with or without BOM, else GB18030."""
    with path.open("rb") as handle:
        raw = handle.read(65536)
    try:
        raw.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # The sample may end inside a character: that is still UTF-8.
        encoding = "utf-8-sig" if exc.start >= len(raw) - 3 else "gb18030"
    return path.open(encoding=encoding, newline="")


def read_csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as dicts with the line they start on (for error messages), streamed."""
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise InvalidInput("intel_csv_empty", _("The file has no header row."))
        line = reader.line_num
        for row in reader:
            yield line + 1, row
            line = reader.line_num


def read_labelled_csv(
    path: Path,
    *,
    text_col: str = "text",
    label_col: str = "label",
    kind: str = Kind.CATEGORY,
    min_per_label: int = 2,
    city: str = "",
) -> Examples:
    """Examples from a CSV with a text column and a label column (several text columns may be
    joined: ``title+query``). Rows without text or label are skipped with their line number;
    labels with fewer than ``min_per_label`` examples are dropped (they cannot be
    cross-validated). For ``kind=unit`` agency names are normalised first."""
    text_cols = [c.strip() for c in text_col.split("+") if c.strip()]
    with open_text(path) as handle:
        header = next(csv.reader(handle), [])
    header = [h.lstrip("\ufeff").strip() for h in header]
    missing = [c for c in [*text_cols, label_col] if c not in header]
    if missing:
        raise InvalidInput(
            "intel_csv_columns",
            _("Column(s) %(missing)s not in the file; it has: %(have)s.")
            % {"missing": ", ".join(missing), "have": ", ".join(header)},
            {"missing": missing, "columns": header},
        )
    out = Examples()
    for line, row in read_csv_rows(path):
        row = {(k or "").lstrip("\ufeff").strip(): v for k, v in row.items()}
        text = "\n".join((row.get(c) or "").strip() for c in text_cols).strip()
        label = (row.get(label_col) or "").strip()
        if kind == Kind.UNIT:
            label = lab.normalise_agency(label, city=city)
        if not text:
            out.skipped.append((line, _("no text")))
            continue
        if not label:
            out.skipped.append((line, _("no label")))
            continue
        out.texts.append(text)
        out.labels.append(label)
    return _drop_rare(out, min_per_label)


def _drop_rare(ex: Examples, min_per_label: int) -> Examples:
    counts = Counter(ex.labels)
    rare = {k: n for k, n in counts.items() if n < min_per_label}
    if not rare:
        return ex
    keep = [i for i, label in enumerate(ex.labels) if label not in rare]
    return Examples(
        [ex.texts[i] for i in keep], [ex.labels[i] for i in keep], ex.skipped, dict(rare)
    )


def examples_from_cases(
    kind: str, *, since: date | None = None, min_per_label: int = 2
) -> Examples:
    """Closed cases as examples: their final category (leaf code), or the unit that handled
    them (unit code). Merged, rejected and cancelled cases teach nothing about routing."""
    from cityloop.cases.models import Case
    from cityloop.intel.services import case_text

    qs = Case.objects.filter(status=Case.Status.CLOSED)
    if since is not None:
        start = datetime.combine(since, datetime.min.time(), tzinfo=clock.local_zone())
        qs = qs.filter(closed_at__gte=start)
    field_name = "category__code" if kind == Kind.CATEGORY else "responsible_unit__code"
    qs = qs.exclude(**{f"{field_name}__isnull": True})
    out = Examples()
    rows = qs.values_list("title", "description", field_name).order_by("pk").iterator()
    for title, description, label in rows:
        text = case_text(_Text(title, description))
        if text.strip() and label:
            out.texts.append(text)
            out.labels.append(label)
    return _drop_rare(out, min_per_label)


@dataclass
class _Text:
    title: str
    description: str


@dataclass
class Trained:
    row: TriageModel
    scores: clf.Scores
    train_seconds: float
    ms_per_msg: float


def train(
    examples: Examples,
    *,
    kind: str,
    source: str,
    actor=None,
    implementation: str = clf.DEFAULT,
    folds: int = 5,
    activate: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> Trained:
    """Cross-validate, fit on everything, time it, store it (and activate it)."""
    if len(set(examples.labels)) < 2:
        raise InvalidInput(
            "intel_too_few_labels",
            _("Training needs at least two labels with two examples each."),
            {"examples": len(examples), "labels": len(set(examples.labels))},
        )

    def factory() -> clf.TextClassifier:
        return clf.make(implementation)

    def on_fold(done: int, total: int) -> None:
        if progress is not None:
            progress("cv", done, total)

    scores = clf.cross_validate(
        factory, examples.texts, examples.labels, folds=folds, progress=on_fold
    )
    started = time.perf_counter()
    model = factory().fit(examples.texts, examples.labels)
    train_seconds = round(time.perf_counter() - started, 2)
    ms = clf.time_per_message(model, examples.texts, limit=300)
    metrics = {
        "cv_macro_f1": scores.macro_f1,
        "cv_accuracy": scores.accuracy,
        "per_class_f1": scores.per_class_f1,
        "support": scores.support,
        "samples": scores.samples,
        "folds": min(folds, min(Counter(examples.labels).values())),
        "train_seconds": train_seconds,
        "ms_per_msg": ms,
        "dropped_labels": examples.dropped_labels,
    }
    row = _store(kind, model, metrics, source, actor, activate)
    return Trained(row, scores, train_seconds, ms)


def _store(kind, model, metrics, source, actor, activate) -> TriageModel:
    from cityloop.intel.services import model_store

    return model_store(
        kind=kind, model=model, metrics=metrics, source=source, actor=actor, activate=activate
    )


def parse_since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "intel_bad_date", _("Give the date as YYYY-MM-DD."), {"value": value}
        ) from None
