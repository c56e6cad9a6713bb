"""Benchmark of the triage classifiers on real citizen messages, and of the hotspot report.

For each implementation in :data:`cityloop.intel.classifier.IMPLEMENTATIONS`:

* **CV macro-F1 / accuracy** — stratified 5-fold cross-validation on
  ``../shared/data/govmsg/tipdm2020c/train.csv`` (2,863 messages, seven 一级分类), each fold a
  fresh model exactly as ``cityloop intel train`` builds it (calibration included);
* **training s** — one fit on all messages; **model MB** — the saved file;
* **ms per message** — ``predict([text])`` one message at a time, as at intake, on one core
  (BLAS threads pinned to 1), over 500 messages after a warm-up, best of 3 passes.

Then unit routing on the 商洛 mailbox (``shangluo_mailbox/train.csv``: title + query → the
normalised reply agency, agencies with at least 5 messages), and the hotspot report on 附件3
(``fj3_hot_issues.xlsx``): time and the top groups.

    .venv/bin/python bench/triage.py [--folds 5] [--no-write]

Writes its section of ``docs/benchmarks.md`` between its markers, leaving the rest alone.
Skips with a message when ``../shared/data`` is absent (fails when ``CI`` is set).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

import argparse  # noqa: E402
import csv  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "govmsg"
BEGIN, END = "<!-- bench:triage -->", "<!-- /bench:triage -->"
sys.path.insert(0, str(ROOT / "src"))


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityloop.settings")
    os.environ.setdefault("CITYLOOP_DATA_DIR", tempfile.mkdtemp(prefix="bench-triage-"))
    import django

    django.setup()


def write_section(text: str) -> Path:
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{BEGIN}\n{text.rstrip()}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        current = f"{head}{section}{tail}"
    else:
        current = f"{current.rstrip()}\n\n{section}\n"
    path.write_text(current, encoding="utf-8")
    return path


def load_csv(path: Path, text_cols: list[str], label_col: str) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return ["\n".join(r[c] for c in text_cols) for r in rows], [r[label_col] for r in rows]


def measure(impl: str, texts: list[str], labels: list[str], folds: int) -> dict:
    from cityloop.intel import classifier as clf

    started = time.perf_counter()
    scores = clf.cross_validate(lambda: clf.make(impl), texts, labels, folds=folds)
    cv_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = clf.make(impl).fit(texts, labels)
    train_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.pkl"
        model.save(path)
        size = path.stat().st_size
    ms = clf.time_per_message(model, texts, limit=500, repeat=3)
    return {
        "impl": impl,
        "f1": scores.macro_f1,
        "acc": scores.accuracy,
        "per_class": scores.per_class_f1,
        "train_s": train_seconds,
        "cv_s": cv_seconds,
        "mb": size / 1e6,
        "ms": ms,
        "n": len(texts),
        "labels": len(set(labels)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    train_csv = DATA / "tipdm2020c" / "train.csv"
    if not train_csv.exists():
        msg = f"shared data not found at {DATA}: put ../shared/data beside the repository"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            print(msg, file=sys.stderr)
            return 1
        print("skipped:", msg)
        return 0
    setup()
    from collections import Counter

    from cityloop.intel import classifier as clf
    from cityloop.intel import hotspots as hot
    from cityloop.intel import labels as lab

    load = os.getloadavg()[0]
    texts, labels = load_csv(train_csv, ["text"], "label")
    rows = []
    for impl in clf.IMPLEMENTATIONS:
        r = measure(impl, texts, labels, args.folds)
        rows.append(r)
        print(
            f"{impl}: cv_macro_f1={r['f1']:.4f} cv_accuracy={r['acc']:.4f} "
            f"ms_per_msg={r['ms']:.2f} model_mb={r['mb']:.1f} train_s={r['train_s']:.1f}",
            flush=True,
        )

    # Unit routing: the mailbox's answering agency, names normalised.
    mail = DATA / "shangluo_mailbox" / "train.csv"
    m_texts, agencies = load_csv(mail, ["title", "query"], "reply_agency")
    raw_agencies = len(set(agencies))
    agencies = [lab.normalise_agency(a, city="商洛市") for a in agencies]
    counts = Counter(agencies)
    keep = [i for i, a in enumerate(agencies) if a and counts[a] >= 5]
    unit = measure(
        clf.DEFAULT,
        [m_texts[i] for i in keep],
        [agencies[i] for i in keep],
        args.folds,
    )
    print(f"units: cv_macro_f1={unit['f1']:.4f} cv_accuracy={unit['acc']:.4f}", flush=True)

    started = time.perf_counter()
    reports = list(hot.read_board_xlsx(DATA / "tipdm2020c" / "fj3_hot_issues.xlsx"))
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    spots = hot.board_hotspots(reports, top=10)
    group_s = time.perf_counter() - started
    for h in spots:
        print(f"#{h.rank} heat={h.heat} n={h.reports} 👍{h.support} {h.title} | {h.place}")

    default = next(r for r in rows if r["impl"] == clf.DEFAULT)
    per_class = default["per_class"]
    lines = [
        "## Triage: category classifier, unit routing, hotspots",
        "",
        f"Measured {date.today().isoformat()} with `bench/triage.py` on Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs "
        f"(load average {load:.1f} at the start: a shared machine, so times move between runs), "
        f"BLAS threads pinned to 1. Data: `../shared/data/govmsg/tipdm2020c/train.csv` "
        f"({rows[0]['n']:,} messages, {rows[0]['labels']} labels). CV = stratified "
        f"{args.folds}-fold cross-validation, each fold a fresh model built exactly as "
        f"`cityloop intel train` builds it (sigmoid calibration included); ms per message = "
        f"`predict([text])` one at a time as at intake, 500 messages after a warm-up, "
        f"best of 3 passes.",
        "",
        "| implementation | CV macro-F1 | CV accuracy | ms per message | model MB | training s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['impl']}` | **{r['f1']:.4f}** | {r['acc']:.4f} | {r['ms']:.2f} | "
            f"{r['mb']:.1f} | {r['train_s']:.1f} |"
        )
    lines += [
        "",
        f"Per-class F1 of `{default['impl']}`: "
        + ", ".join(f"{k} {v:.3f}" for k, v in sorted(per_class.items(), key=lambda x: -x[1]))
        + ".",
        "",
        "`tfidf-svm-chars` (the default) is TF-IDF of character 1–2-grams and a LinearSVC "
        "(C = 2) with the confidence from Platt scaling; `tfidf-svm` adds TF-IDF of jieba "
        "words (weight 0.6). Both were tuned by cross-validation on this file only: character "
        "1–3 or 2–4-grams, word bigrams, logistic regression, complement naive Bayes and ridge "
        "all scored lower (0.81–0.885) and C from 2 to 10 was flat. The words add nothing "
        "measurable here and cost jieba's segmentation on every message, so the character "
        "model is the default (`cityloop intel train --implementation tfidf-svm` for the "
        "other).",
        "",
        f"**Unit routing** (商洛 mailbox, title + message → answering agency): "
        f"{raw_agencies} raw agency spellings normalised to {len(counts)} "
        f"(`intel.labels.normalise_agency`); the {unit['labels']} agencies with at least 5 "
        f"messages ({unit['n']} messages): CV macro-F1 **{unit['f1']:.4f}**, accuracy "
        f"{unit['acc']:.4f}, {unit['ms']:.2f} ms per message. Many letters are answered by "
        "the general office (市信息办, county government offices) whatever they are about, "
        "which caps what text alone can learn.",
        "",
        f"**Hotspots on 附件3** ({len(reports):,} messages): read in {read_s:.1f} s, grouped "
        f"(MinHash/LSH + similarity ≥ 0.45, 90-day window, the place named in the title kept "
        f"apart) in {group_s:.1f} s. Heat = reports + ln(1 + 点赞数). Top 10:",
        "",
        "| # | heat | reports | support | representative title | place | span |",
        "|---:|---:|---:|---:|---|---|---|",
    ]
    for h in spots:
        span = f"{h.first:%Y-%m-%d} … {h.last:%Y-%m-%d}" if h.first else ""
        lines.append(
            f"| {h.rank} | {h.heat:.1f} | {h.reports} | {h.support} | {h.title} | {h.place} "
            f"| {span} |"
        )
    text = "\n".join(lines)
    if not args.no_write:
        print("wrote", write_section(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
