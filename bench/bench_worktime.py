"""Benchmark ``add_work_time`` against a naive hour-by-hour reference.

Run: ``.venv/bin/python bench/bench_worktime.py [--calls N]``. Sets Django up on a throwaway
SQLite database (migrated, so the calendar is seeded), times deadlines of 1, 5, 20 and 250
working days on the default office calendar, checks the reference gives the same answers,
and writes its section of ``docs/benchmarks.md`` between its markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bench:worktime -->", "<!-- /bench:worktime -->"
AMOUNTS = (1, 5, 20, 250)


def setup_django(data_dir: str) -> None:
    os.environ["CITYLOOP_DATA_DIR"] = data_dir
    os.environ.pop("CITYLOOP_DATABASE_URL", None)  # always the throwaway SQLite file
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityloop.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def naive_add(start: datetime, days: float) -> datetime:
    """The obvious way: walk the clock an hour at a time, asking the calendar at each step."""
    from cityloop.core import clock, worktime

    zone = clock.local_zone()
    intervals = [
        (timedelta(hours=a.hour, minutes=a.minute), timedelta(hours=b.hour, minutes=b.minute))
        for a, b in worktime.parse_work_hours("")
    ]
    remaining = days * worktime.day_length()
    t = start.astimezone(zone).replace(tzinfo=None)
    while True:
        step_end = t + timedelta(hours=1)
        if worktime.is_workday(t.date()):
            midnight = datetime.combine(t.date(), datetime.min.time())
            for a, b in intervals:
                lo, hi = max(midnight + a, t), min(midnight + b, step_end)
                if lo > hi:
                    continue
                if remaining <= hi - lo:
                    return (lo + remaining).replace(tzinfo=zone)
                remaining -= hi - lo
        t = step_end


def timed(fn, starts: list[datetime], days: int) -> tuple[float, list[datetime]]:
    began = time.perf_counter()
    results = [fn(start, days) for start in starts]
    return time.perf_counter() - began, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per amount")
    parser.add_argument("--reference-calls", type=int, default=100)
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cityloop-bench-") as data_dir:
        setup_django(data_dir)
        from cityloop.core import clock, worktime

        zone = clock.local_zone()
        rng = random.Random(20260101)
        starts = [
            datetime(2025, 1, 1, tzinfo=zone) + timedelta(minutes=rng.randrange(0, 700 * 24 * 60))
            for _ in range(args.calls)
        ]

        def fast(start: datetime, days: int) -> datetime:
            return worktime.add_work_time(start, days=days)

        worktime.add_work_time(starts[0], days=600)  # load every year once, like a live process
        rows = []
        for days in AMOUNTS:
            fast_s, fast_results = timed(fast, starts, days)
            ref_starts = starts[: args.reference_calls]
            ref_s, ref_results = timed(naive_add, ref_starts, days)
            mismatches = sum(a != b for a, b in zip(fast_results, ref_results, strict=False))
            if mismatches:
                raise SystemExit(f"{mismatches} answers differ from the reference for {days} days")
            fast_ops, ref_ops = len(starts) / fast_s, len(ref_starts) / ref_s
            rows.append((days, fast_ops, fast_s / len(starts) * 1e6, ref_ops, fast_ops / ref_ops))
        measured_on = clock.today().isoformat()

    header = "| working days | add_work_time ops/s | µs per call | hour-by-hour ops/s | speed-up |"
    lines = [header, "|---:|---:|---:|---:|---:|"]
    lines += [
        f"| {d} | {ops:,.0f} | {us:,.1f} | {ref:,.0f} | {ratio:,.0f}× |"
        for d, ops, us, ref, ratio in rows
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section(table, args, measured_on)


def write_section(table: str, args: argparse.Namespace, measured_on: str) -> None:
    section = "\n".join(
        [
            BEGIN,
            "## Business time: `add_work_time`",
            "",
            f"Measured {measured_on} with `bench/bench_worktime.py` on "
            f"Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, SQLite; default office hours (7.5 h/day), random starts in "
            f"2025–2026, {args.calls} calls per row ({args.reference_calls} for the reference). "
            "The calendar is cached per process, so these are pure arithmetic; the reference "
            "walks the clock an hour at a time and gives the same answers.",
            "",
            table,
            END,
        ]
    )
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
