"""``cityloop intel``: train, evaluate and run the triage models; hotspots; the model registry."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cityloop.core import clock
from cityloop.core.errors import DomainError
from cityloop.intel import classifier as clf
from cityloop.intel import hotspots as hot
from cityloop.intel import queries, services, training
from cityloop.intel.models import Kind

BATCH = 256


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {text}") from exc


def _path(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_file():
        raise CommandError(f"找不到文件 / no such file: {text}")
    return path


class Command(BaseCommand):
    help = (
        "智能分拨：训练、评估、批量预测、热点、模型管理 / "
        "Triage: train, evaluate, predict, hotspots, model registry."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        tr = sub.add_parser(
            "train", help="训练并保存模型 / train, cross-validate and store a model"
        )
        src = tr.add_mutually_exclusive_group(required=True)
        src.add_argument("--csv", type=_path, help="带 text,label 列的 CSV / labelled CSV")
        src.add_argument(
            "--from-cases",
            action="store_true",
            help="用本系统已结案的案件 / this deployment's closed cases",
        )
        tr.add_argument("--since", type=_date, help="只用此日之后结案的 / closed on or after")
        tr.add_argument(
            "--kind", choices=Kind.values, default=Kind.CATEGORY, help="category 或 unit"
        )
        tr.add_argument("--text-col", default="text", help="文本列，可用 + 连接 / text column(s)")
        tr.add_argument("--label-col", default="label", help="标签列 / label column")
        tr.add_argument("--folds", type=int, default=5, help="交叉验证折数 / CV folds")
        tr.add_argument(
            "--min-per-label",
            type=int,
            default=2,
            help="少于此数的标签不训练 / rarer labels dropped",
        )
        tr.add_argument("--city", default="", help="单位名称归一化时的市名，如 商洛市")
        tr.add_argument(
            "--implementation",
            choices=sorted(clf.IMPLEMENTATIONS),
            default=clf.DEFAULT,
            help="模型实现 / classifier implementation",
        )
        tr.add_argument("--no-activate", action="store_true", help="只保存不启用 / store only")
        tr.add_argument("--note", default="")

        pr = sub.add_parser("predict", help="批量预测 CSV / label a CSV (streamed)")
        pr.add_argument("--input", type=_path, required=True)
        pr.add_argument("--output", required=True)
        pr.add_argument("--text-col", default="text")
        pr.add_argument("--kind", choices=Kind.values, default=Kind.CATEGORY)

        ev = sub.add_parser(
            "eval", help="在带标签的 CSV 上评估当前模型 / evaluate the active model"
        )
        ev.add_argument("--csv", type=_path, required=True)
        ev.add_argument("--text-col", default="text")
        ev.add_argument("--label-col", default="label")
        ev.add_argument("--kind", choices=Kind.values, default=Kind.CATEGORY)
        ev.add_argument("--city", default="")

        hs = sub.add_parser("hotspots", help="热点问题 / hotspot report")
        hs.add_argument("--xlsx", type=_path, help="留言板导出（附件3 格式）/ board export")
        hs.add_argument("--since", type=_date)
        hs.add_argument("--until", type=_date)
        hs.add_argument("--top", type=int, default=10)
        hs.add_argument("--days", type=float, default=90.0, help="时间窗（天）/ time window")
        hs.add_argument("--metres", type=float, default=200.0, help="距离窗（米）/ distance")
        hs.add_argument("--min-similarity", type=float, default=0.45)
        hs.add_argument("--output", help="另存为 CSV / also write a CSV")

        models = sub.add_parser("models", help="模型列表、启用、回退 / the model registry")
        msub = models.add_subparsers(dest="models_action", required=True)
        msub.add_parser("list", help="列出模型 / list models")
        act = msub.add_parser("activate", help="启用某个版本 / activate a version")
        act.add_argument("kind", choices=Kind.values)
        act.add_argument("version", type=int)
        rb = msub.add_parser("rollback", help="回到上一个启用的版本 / back to the previous one")
        rb.add_argument("kind", choices=Kind.values)

    def handle(self, *args, **options) -> None:
        self._buffer = io.StringIO()
        self.console = Console(
            file=self._buffer, force_terminal=self.stdout.isatty(), width=110, soft_wrap=True
        )
        # Progress bars draw on the real terminal (stderr), not into the captured output.
        self.progress_console = Console(stderr=True, force_terminal=None)
        try:
            action = options["action"]
            if action == "models":
                action = f"models_{options['models_action']}"
            getattr(self, f"_{action}")(options)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        finally:
            self.stdout.write(self._buffer.getvalue(), ending="")

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=self.progress_console,
            transient=True,
            disable=not self.progress_console.is_terminal,
        )

    # --- train / eval ---------------------------------------------------------------------

    def _train(self, o) -> None:
        kind = o["kind"]
        if o["csv"]:
            ex = training.read_labelled_csv(
                o["csv"],
                text_col=o["text_col"],
                label_col=o["label_col"],
                kind=kind,
                min_per_label=max(2, o["min_per_label"]),
                city=o["city"],
            )
            source = f"csv:{o['csv'].name}"
        else:
            ex = training.examples_from_cases(
                kind, since=o["since"], min_per_label=max(2, o["min_per_label"])
            )
            source = "cases" + (f" since {o['since']}" if o["since"] else "")
        for line, why in ex.skipped[:20]:
            self.console.print(f"跳过 skipped line {line}: {why}")
        if len(ex.skipped) > 20:
            self.console.print(f"… {len(ex.skipped) - 20} more skipped")
        if ex.dropped_labels:
            self.console.print(
                f"样本过少未训练的标签 labels with too few examples: {len(ex.dropped_labels)}"
            )
        self.console.print(
            f"样本 examples: {len(ex)}, 标签 labels: {len(set(ex.labels))} ({escape(source)})"
        )
        with self._progress() as bar:
            task = bar.add_task("交叉验证 cross-validating", total=o["folds"])

            def progress(_stage: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = training.train(
                ex,
                kind=kind,
                source=source,
                folds=o["folds"],
                implementation=o["implementation"],
                activate=not o["no_activate"],
                progress=progress,
            )
        row = result.row
        table = Table(title=f"{kind} v{row.version}", show_header=True)
        table.add_column("label")
        table.add_column("F1", justify="right")
        table.add_column("n", justify="right")
        for label, f1 in sorted(result.scores.per_class_f1.items()):
            table.add_row(escape(label), f"{f1:.4f}", str(result.scores.support.get(label, 0)))
        if len(result.scores.per_class_f1) <= 40:
            self.console.print(table)
        self.console.print(
            f"saved {row.file} ({row.size_bytes / 1e6:.1f} MB), "
            f"{'active' if row.is_active else 'not active'}; "
            f"train {result.train_seconds:.1f} s"
        )
        self.console.print(
            f"cv_macro_f1={result.scores.macro_f1:.4f} cv_accuracy={result.scores.accuracy:.4f} "
            f"ms_per_msg={result.ms_per_msg:.2f}"
        )

    def _active(self, kind: str):
        loaded = services.active_classifier(kind)
        if loaded is None:
            raise CommandError(
                f"没有启用的 {kind} 模型，请先训练 / no active {kind} model: run "
                f"`cityloop intel train` first"
            )
        return loaded

    def _eval(self, o) -> None:
        row, model = self._active(o["kind"])
        ex = training.read_labelled_csv(
            o["csv"],
            text_col=o["text_col"],
            label_col=o["label_col"],
            kind=o["kind"],
            min_per_label=1,
            city=o["city"],
        )
        if not len(ex):
            raise CommandError("文件中没有可评估的行 / no labelled rows in the file")
        predicted: list[str] = []
        seconds = 0.0
        with self._progress() as bar:
            task = bar.add_task("评估 evaluating", total=len(ex))
            for text in ex.texts:  # one at a time: the cost of a message at intake
                started = time.perf_counter()
                predicted.append(model.predict([text])[0].label)
                seconds += time.perf_counter() - started
                bar.advance(task)
        scores = clf.score(ex.labels, predicted)
        ms = seconds * 1000 / len(ex)
        self.console.print(f"model {row.kind} v{row.version} ({row.implementation}), n={len(ex)}")
        unknown = sorted(set(ex.labels) - set(model.labels))
        if unknown:
            self.console.print(f"模型不认识的标签 labels the model never saw: {unknown[:10]}")
        for label in sorted(scores.support):
            self.console.print(
                f"  f1[{escape(label)}]={scores.per_class_f1.get(label, 0):.4f} "
                f"n={scores.support[label]}"
            )
        self.console.print(
            f"macro_f1={scores.macro_f1:.4f} accuracy={scores.accuracy:.4f} ms_per_msg={ms:.2f}"
        )

    # --- predict ----------------------------------------------------------------------------

    def _predict(self, o) -> None:
        row, model = self._active(o["kind"])
        src: Path = o["input"]
        out = Path(o["output"])
        total = _count_rows(src)
        done = 0
        with (
            training.open_text(src) as handle,
            out.open("w", encoding="utf-8-sig", newline="") as sink,
            self._progress() as bar,
        ):
            reader = csv.DictReader(handle)
            fields = [f.lstrip("\ufeff") for f in (reader.fieldnames or [])]
            cols = [c.strip() for c in o["text_col"].split("+")]
            if any(c not in fields for c in cols):
                raise CommandError(
                    f"找不到文本列 / text column {o['text_col']!r} not in {', '.join(fields)}"
                )
            writer = csv.writer(sink)
            writer.writerow([*fields, "predicted_label", "confidence"])
            task = bar.add_task("预测 predicting", total=total)
            batch: list[list[str]] = []
            texts: list[str] = []
            for raw in reader:
                values = {(k or "").lstrip("\ufeff"): v for k, v in raw.items()}
                batch.append([values.get(f, "") for f in fields])
                texts.append("\n".join(values.get(c) or "" for c in cols))
                if len(batch) >= BATCH:
                    done += self._flush(model, writer, batch, texts)
                    bar.update(task, completed=done)
                    batch, texts = [], []
            if batch:
                done += self._flush(model, writer, batch, texts)
                bar.update(task, completed=done)
        self.console.print(f"{done} rows → {out} (model {row.kind} v{row.version})")

    @staticmethod
    def _flush(model, writer, batch, texts) -> int:
        for values, p in zip(batch, model.predict(texts, alternatives=0), strict=True):
            writer.writerow([*values, p.label, f"{p.confidence:.4f}"])
        return len(batch)

    # --- hotspots ---------------------------------------------------------------------------

    def _hotspots(self, o) -> None:
        if o["xlsx"]:
            reports = list(hot.read_board_xlsx(o["xlsx"]))
            if o["since"] or o["until"]:
                start, end = hot.period_bounds(
                    o["since"] or date(1900, 1, 1), o["until"] or date(2999, 12, 31)
                )
                reports = [r for r in reports if r.at is not None and start <= r.at < end]
            found = hot.board_hotspots(
                reports, days=o["days"], min_similarity=o["min_similarity"], top=o["top"]
            )
            what = f"{o['xlsx'].name}: {len(reports)} messages"
        else:
            until = o["until"] or clock.today()
            since = o["since"] or until.replace(day=1)
            found = queries.case_hotspots(
                _everyone(),
                since=since,
                until=until,
                metres=o["metres"],
                min_similarity=o["min_similarity"],
                top=o["top"],
            )
            what = f"cases {since} … {until}"
        table = Table(title=f"热点 hotspots — {escape(what)}")
        for col, just in (
            ("#", "right"),
            ("heat", "right"),
            ("reports", "right"),
            ("support", "right"),
            ("title", "left"),
            ("place", "left"),
            ("span", "left"),
        ):
            table.add_column(col, justify=just)
        for h in found:
            table.add_row(
                str(h.rank),
                f"{h.heat:.1f}",
                str(h.reports),
                str(h.support),
                escape(h.title),
                escape(h.place),
                _span(h),
            )
        self.console.print(table)
        if o["output"]:
            with Path(o["output"]).open("w", encoding="utf-8-sig", newline="") as sink:
                w = csv.writer(sink)
                w.writerow(["rank", "heat", "reports", "support", "title", "place", "span", "ids"])
                for h in found:
                    ids = " ".join(str(k) for k in h.keys)
                    w.writerow(
                        [h.rank, h.heat, h.reports, h.support, h.title, h.place, _span(h), ids]
                    )
            self.console.print(f"→ {o['output']}")

    # --- registry ---------------------------------------------------------------------------

    def _models_list(self, o) -> None:
        table = Table(title="模型 models")
        for col in (
            "kind",
            "version",
            "active",
            "macro-F1",
            "accuracy",
            "samples",
            "trained",
            "source",
            "file",
        ):
            table.add_column(col)
        for m in queries.model_rows():
            table.add_row(
                m.kind,
                f"v{m.version}",
                "✓" if m.is_active else "",
                _fmt(m.metrics.get("cv_macro_f1")),
                _fmt(m.metrics.get("cv_accuracy")),
                str(m.metrics.get("samples", "")),
                m.trained_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M"),
                escape(m.source),
                m.file,
            )
        self.console.print(table)

    def _models_activate(self, o) -> None:
        row = queries.model_rows(o["kind"]).filter(version=o["version"]).first()
        if row is None:
            raise CommandError(f"没有这个版本 / no {o['kind']} model v{o['version']}")
        row = services.model_activate(model_id=row.pk)
        self.console.print(f"active: {row.kind} v{row.version}")

    def _models_rollback(self, o) -> None:
        row = services.model_rollback(kind=o["kind"])
        self.console.print(f"active: {row.kind} v{row.version}")


def _everyone():
    """The shell acts for the whole deployment (like the sweeper): every case is in scope."""
    from cityloop.core.system import system_account

    return system_account()


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "—"


def _span(h: hot.Hotspot) -> str:
    if h.first is None:
        return ""
    zone = clock.local_zone()
    a, b = h.first.astimezone(zone).date(), h.last.astimezone(zone).date()
    return f"{a} … {b}" if a != b else str(a)


def _count_rows(path: Path) -> int:
    """Rows of a CSV, counted as records (a field may span lines), for the progress bar."""
    with training.open_text(path) as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
