"""Benchmark of ``cityloop import`` for places, people and 12345 hotline work orders.

A fresh database (SQLite in a temporary ``CITYLOOP_DATA_DIR``; PostgreSQL with ``--pg``: a
scratch database created and dropped) and generated csv files in a temporary folder:

* **places** — one district, 10 streets, 100 communities and the rest compounds (名称, 类型,
  上级编码, 地址, 经度/纬度), N rows in all;
* **people** — N people, each in one of those places (姓名, 电话, 职务, 地点编码);
* **hotline** — M work orders (工单编号, 来电时间, 诉求内容, 地址, 经度/纬度) taken in by a street
  desk (fewer rows by default: each one is a full intake with routing and deadlines).

Each import is timed end to end through :func:`run_import` (read, check, write, events,
history), the way ``cityloop import`` runs it. **raw** is the same rows inserted with the
DB-API alone (``executemany`` of the finished column values in one transaction, no checks, no
events, no history): what an import cannot beat. **import ÷ raw** is the price of the checks,
the events and the history on top of the writes. **peak MB** is the process's peak RSS after
the step (it only grows, so each figure bounds the steps before it).

    .venv/bin/python bench/bench_import.py [--rows 20000 100000] [--hotline 2000] [--pg]
        [--no-write]

Writes its section of ``docs/benchmarks.md`` between its markers, leaving the rest alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from scene import street_desk  # bench/scene.py: scripts run from bench/
from sections import write_section

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- bench:import -->", "<!-- /bench:import -->"
PG_URL = "postgresql://postgres@127.0.0.1:5432/cityloop_bench_import"
LNG, LAT = 113.25, 34.75  # inside the district square below


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(sql)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write(path: Path, header: list[str], rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def place_rows(n: int) -> list[list]:
    """``[code, name, kind, parent, address, lng, lat]``: a district, streets, communities,
    compounds."""
    rows = [["B410106", "上街区", "区", "", "", "", ""]]
    for s in range(10):
        rows.append([f"B41S{s:02d}", f"第{s}街道", "街道", "B410106", "", "", ""])
    for c in range(100):
        rows.append([f"B41C{c:03d}", f"第{c}社区", "社区", f"B41S{c % 10:02d}", "", "", ""])
    for i in range(n - len(rows)):
        rows.append(
            [
                f"B41K{i:06d}",
                f"幸福小区{i}号院",
                "小区",
                f"B41C{i % 100:03d}",
                f"济源路{i}号",
                f"{LNG + (i % 100) * 1e-4:.7f}",
                f"{LAT + (i // 100 % 100) * 1e-4:.7f}",
            ]
        )
    return rows


def people_rows(n: int, places: list[list]) -> list[list]:
    """``[code, name, phone, title, place]``."""
    return [
        [f"BP{i:06d}", f"张{i}", f"138{i:08d}", "楼院长", places[i % len(places)][0]]
        for i in range(n)
    ]


def hotline_rows(m: int) -> list[list]:
    """``[number, time, description, address, lng, lat]``."""
    return [
        [
            f"ZZ2026{i:07d}",
            f"2026-03-{1 + i % 28:02d} 09:{i % 60:02d}",
            f"济源路{i}号门前人行道破损，坑洼积水，行人通行不便，请尽快修复",
            f"济源路{i}号",
            f"{LNG + (i % 50) * 1e-4:.7f}",
            f"{LAT + (i // 50 % 50) * 1e-4:.7f}",
        ]
        for i in range(m)
    ]


def household_rows(n: int) -> list[list]:
    """``[building, entrance, room, area, owner, key, phone]``: one compound's register."""
    return [
        [
            f"{1 + i // 400}号楼",
            f"{1 + i // 100 % 4}单元",
            f"{1 + i // 4 % 25:02d}{1 + i % 4:02d}",
            f"{60 + i % 90}.{i % 100:02d}",
            f"业主{i}",
            f"K{i:07d}",
            f"139{i:08d}",
        ]
        for i in range(n)
    ]


def _raw_households(cur, rows: list[list], compound_id: int) -> None:
    """The finished rows of the three register tables (households, owners, their links)."""
    cur.executemany(
        "INSERT INTO deliberation_household (compound_id, building, entrance, room, area, "
        "eligible, note, is_demo) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(compound_id, b, e, r, a, True, "", False) for b, e, r, a, *_rest in rows],
    )
    cur.executemany(
        "INSERT INTO deliberation_owner (compound_id, key, name, phone, is_demo) "
        "VALUES (%s, %s, %s, %s, %s)",
        [(compound_id, k, o, ph, False) for *_h, o, k, ph in rows],
    )
    cur.execute(
        "SELECT building, entrance, room, id FROM deliberation_household WHERE compound_id = %s",
        [compound_id],
    )
    household = {(b, e, r): i for b, e, r, i in cur.fetchall()}
    cur.execute("SELECT key, id FROM deliberation_owner WHERE compound_id = %s", [compound_id])
    owner = dict(cur.fetchall())
    cur.executemany(
        "INSERT INTO deliberation_owner_households (owner_id, household_id) VALUES (%s, %s)",
        [(owner[k], household[(b, e, r)]) for b, e, r, _a, _o, k, _p in rows],
    )


def _raw_places(cur, rows: list[list]) -> None:
    """The finished rows of org_place, parents before children, one executemany per level."""
    ids: dict[str, tuple[int, str]] = {}
    kinds = {"区": "district", "街道": "street", "社区": "community", "小区": "compound"}
    levels: dict[int, list[list]] = {}
    for r in rows:
        levels.setdefault(list(kinds).index(r[2]), []).append(r)
    for level in sorted(levels):
        values = []
        for code, name, kind, parent, address, lng, lat in levels[level]:
            parent_id, base = ids.get(parent, (None, "/"))
            geometry = (
                json.dumps({"type": "Point", "coordinates": [float(lng), float(lat)]})
                if lng
                else None
            )
            path = f"{base}{code}/"
            values.append(
                (
                    code,
                    name,
                    path,
                    path.count("/") - 2,
                    False,
                    kinds[kind],
                    parent_id,
                    "",
                    address,
                    geometry,
                    "{}",
                )
            )
        cur.executemany(
            "INSERT INTO org_place (code, name, path, depth, is_demo, kind, parent_id, "
            "management, address, geometry, attrs) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s)",
            values,
        )
        codes = [v[0] for v in values]
        cur.execute("SELECT code, id, path FROM org_place")
        wanted = set(codes)
        ids.update({c: (i, p) for c, i, p in cur.fetchall() if c in wanted})


def _raw_people(cur, rows: list[list]) -> None:
    cur.execute("SELECT code, id FROM org_place")
    place_id = dict(cur.fetchall())
    cur.executemany(
        "INSERT INTO org_person (code, name, phone, title, unit_id, place_id, user_id, is_demo) "
        "VALUES (%s, %s, %s, %s, NULL, %s, NULL, %s)",
        [(c, n, p, t, place_id[pl], False) for c, n, p, t, pl in rows],
    )


def _setup_desk():
    return street_desk("Bench-import-2026!")


def measure(n: int, m: int, pg: bool) -> dict:
    import django

    django.setup()
    from django.db import connection, transaction

    from cityloop.cases.importers import run_import as run_case_import
    from cityloop.org.importers import run_import
    from cityloop.org.models import Person, Place

    tmp = Path(tempfile.mkdtemp(prefix="cityloop-bench-import-files-"))
    places = place_rows(n)
    people = people_rows(n, places)
    places_csv = _write(
        tmp / "places.csv", ["编码", "名称", "类型", "上级编码", "地址", "经度", "纬度"], places
    )
    people_csv = _write(tmp / "people.csv", ["编码", "姓名", "电话", "职务", "地点编码"], people)
    hotline_csv = _write(
        tmp / "hotline.csv",
        ["工单编号", "来电时间", "诉求内容", "地址", "经度", "纬度"],
        hotline_rows(m),
    )
    out: dict = {"db": "PostgreSQL" if pg else "SQLite", "rows": n, "hotline_rows": m}
    vendor = connection.vendor
    out["version"] = str(
        connection.cursor().connection.execute("select sqlite_version()").fetchone()[0]
        if vendor == "sqlite"
        else "{}.{}".format(*divmod(connection.cursor().connection.info.server_version, 10000))
    )

    # raw: the same rows through the DB-API, then removed again
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        _raw_places(cur, places)
    out["places_raw_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        _raw_people(cur, people)
    out["people_raw_s"] = time.perf_counter() - t
    assert Person.objects.count() == n and Place.objects.count() == n
    with connection.cursor() as cur:
        cur.execute("DELETE FROM org_person")
        for depth in (3, 2, 1, 0):
            cur.execute("DELETE FROM org_place WHERE depth = %s", [depth])

    for kind, path in (("places", places_csv), ("people", people_csv)):
        t, c = time.perf_counter(), time.process_time()
        report = run_import(kind, path)
        out[f"{kind}_s"] = time.perf_counter() - t
        out[f"{kind}_cpu"] = time.process_time() - c
        out[f"{kind}_mb"] = _peak_mb()
        assert report.ok, report.as_dict()["errors"][:3]
        assert report.total("created") == n, report.counts

    # households: one compound's register of n units, each with its owner
    from cityloop.deliberation.models import Household, Owner
    from cityloop.deliberation.services import households_import

    compound = Place.objects.get(code="B41K000000")
    register = household_rows(n)
    households_csv = _write(
        tmp / "households.csv",
        ["楼栋", "单元", "房号", "面积", "业主", "业主标识", "电话"],
        register,
    )
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        _raw_households(cur, register, compound.pk)
    out["households_raw_s"] = time.perf_counter() - t
    assert Household.objects.count() == n
    Owner.households.through.objects.all().delete()
    Owner.objects.all().delete()
    Household.objects.all().delete()
    t, c = time.perf_counter(), time.process_time()
    report = households_import(actor=None, compound=compound, path=households_csv)
    out["households_s"] = time.perf_counter() - t
    out["households_cpu"] = time.process_time() - c
    out["households_mb"] = _peak_mb()
    assert report.ok, report.as_dict()["errors"][:3]
    assert report.counts["household"]["created"] == n, report.counts
    if m:
        desk = _setup_desk()
        t, c = time.perf_counter(), time.process_time()
        report = run_case_import("hotline", hotline_csv, actor=desk)
        out["hotline_s"] = time.perf_counter() - t
        out["hotline_cpu"] = time.process_time() - c
        out["hotline_mb"] = _peak_mb()
        assert report.ok, report.as_dict()["errors"][:3]
        assert report.total("created") == m, report.counts
    shutil.rmtree(tmp, ignore_errors=True)
    out["load"] = os.getloadavg()[0]
    return out


def run_one(n: int, m: int, pg: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="cityloop-bench-import-"))
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
    }
    env.pop("CITYLOOP_AS_OF", None)
    if pg:
        _pg("DROP DATABASE IF EXISTS cityloop_bench_import")
        _pg("CREATE DATABASE cityloop_bench_import")
        env["CITYLOOP_DATABASE_URL"] = PG_URL
    else:
        env.pop("CITYLOOP_DATABASE_URL", None)
    try:
        subprocess.run(
            [sys.executable, "-m", "cityloop.cli", "migrate", "--verbosity", "0"],
            env=env,
            check=True,
        )
        args = [sys.executable, __file__, "--child", "--rows", str(n), "--hotline", str(m)]
        out = subprocess.run(
            args + (["--pg"] if pg else []), env=env, check=True, capture_output=True, text=True
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        print(line, flush=True)  # each run as it ends (a long bench can be cut short)
        return json.loads(line[len("RESULT ") :])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg:
            _pg("DROP DATABASE IF EXISTS cityloop_bench_import WITH (FORCE)")


def cli_peak(n: int) -> dict:
    """``cityloop import places`` of ``n`` generated places in a fresh process and a fresh
    SQLite database: wall time and the process's own peak RSS (``os.wait4``'s rusage of that
    child alone; the figures in the table include the generated rows and the raw step)."""
    tmp = Path(tempfile.mkdtemp(prefix="cityloop-bench-import-cli-"))
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "cityloop.settings",
    }
    env.pop("CITYLOOP_DATABASE_URL", None)
    env.pop("CITYLOOP_AS_OF", None)
    try:
        path = _write(
            tmp / "places.csv",
            ["编码", "名称", "类型", "上级编码", "地址", "经度", "纬度"],
            place_rows(n),
        )
        subprocess.run(
            [sys.executable, "-m", "cityloop.cli", "migrate", "--verbosity", "0"],
            env=env,
            check=True,
            capture_output=True,
        )
        # Start-up alone: the same command on a file of one row (the district), first.
        one = _write(
            tmp / "one.csv",
            ["编码", "名称", "类型", "上级编码", "地址", "经度", "纬度"],
            place_rows(1)[:1],
        )
        start_mb = _child_peak(env, one)[1]
        s, mb = _child_peak(env, path)
        return {"rows": n, "s": s, "mb": mb, "start_mb": start_mb, "load": os.getloadavg()[0]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _child_peak(env: dict, path: Path) -> tuple[float, float]:
    """``cityloop import places path`` in its own process: wall seconds and peak RSS MB
    (``os.wait4``'s rusage of that child alone)."""
    t = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "cityloop.cli", "import", "places", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    return time.perf_counter() - t, usage.ru_maxrss / 1024


def _line(r: dict, kind: str, rows: int) -> str:
    s = r[f"{kind}_s"]
    raw = r.get(f"{kind}_raw_s")
    ratio = f"**{s / raw:.0f}×**" if raw else "–"
    raw_cell = f"{rows / raw:,.0f}" if raw else "–"
    cpu = r.get(f"{kind}_cpu")
    cpu_cell = f"{rows / cpu:,.0f}" if cpu else "–"
    return (
        f"| {r['db']} {r['version']} | {kind} | {rows:,} | {s:.2f} | **{rows / s:,.0f}** | "
        f"{cpu_cell} | {raw_cell} | {ratio} | {r[f'{kind}_mb']:.0f} | {r.get('load', 0):.1f} |"
    )


def section(results: list[dict], took: float, cli: dict | None = None) -> str:
    lines = []
    for r in results:
        lines.append(_line(r, "places", r["rows"]))
        lines.append(_line(r, "people", r["rows"]))
        if "households_s" in r:
            lines.append(_line(r, "households", r["rows"]))
        if r["hotline_rows"]:
            lines.append(_line(r, "hotline", r["hotline_rows"]))
    load = os.getloadavg()[0]
    return "\n".join(
        [
            BEGIN,
            "## Imports: `cityloop import places / people / hotline`, households",
            "",
            f"Measured {date.today()} with `bench/bench_import.py` on Python "
            f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; the whole "
            f"run took {took:.0f} s, load average {load:.1f} at its end (the **load** column: "
            "each run's own, SQLite and PostgreSQL run side by side). Generated csv files: "
            "places (a district, 10 streets, 100 communities, the rest compounds with an "
            "address and a point), as many people each in one of those places, one compound's "
            "register of as many households each with its owner, and 12345 work orders taken "
            "in by a street desk. **import** is the import end to end (read, check, write, "
            "events, history), as `cityloop import` runs it; **rows/CPU-s** is the same rows "
            "over the process's own CPU time, what a loaded machine does not skew; **raw** is "
            "the same finished rows inserted with the DB-API alone (`executemany`, one "
            "transaction, no checks, events or history): what an import cannot beat. **import "
            "÷ raw** is the price of the checks, events and history. **peak MB** is the "
            "process's peak RSS after the step.",
            "",
            "| database | kind | rows | import s | rows/s | rows/CPU-s | raw rows/s | import ÷ raw "
            "| peak MB | load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *lines,
            "",
            "A hotline row is a full intake (the intake rules of `workflow.report`: place from "
            "the point or the address, routing to the place's office, deadlines and light, the "
            "search text, the report event, the figures summary), so it has no raw column; its "
            "figure includes the first import's start (jieba, imported on the first text to "
            "cut, and its dictionary: ~0.8 s of CPU). It is checked outside any transaction "
            "(`workflow.plan_report`) and written in one short transaction with one INSERT per "
            "table and 1,000 rows (`workflow.write_planned`, `core.db.insert_rows`); the "
            "file's points are located in one query of the area tree (`geo.locate_many`, "
            "`workflow.locate_ahead`: the answers of `geo.locate`, point for point), each "
            "distinct text block is segmented once per process, place chains and offices are "
            "read once per file, the desk's channels once per file, the suggestion step after "
            "commit runs once per file and skips itself without an active model. Peak MB here "
            "includes the generated rows and the raw steps.",
            "",
            "Before this round (main at 613bde5, the same script, 2026-12-07 at load 4.2 / 3.2): "
            "SQLite places 919 rows/s (2,889 rows/CPU-s), people 2,450 (5,107), households "
            "3,497 (4,742), hotline 463 (561); PostgreSQL places 1,192 (2,734), people 2,433 "
            "(4,396), households 4,222 (6,100), hotline 488 (588); peak 193 / 195 / 243 / 311 "
            "MB; rerun in this round's session beside the tests at load 6.7 / 5.8: SQLite places "
            "930 (4,579), people 1,477 (7,355), households 1,125 (5,788), hotline 126 (628); "
            "PostgreSQL places 730 (4,193), people 917 (4,963), households 2,169 (7,806), "
            "hotline 438 (888); 100,000 places alone 28.4 s, 322 MB. The hotline alone, 2,000 "
            "work orders after the bench's street, a fresh process "
            "on SQLite at load ≈ 6–7: 988 → 1,037 rows/CPU-s for the first file, 2,108 → "
            "2,170 for a second one, within the noise of this machine (a second file's time "
            "under cProfile: jieba's segmentation ~20 %, the INSERTs ~20 %, building the Case "
            "models ~16 %, deadlines ~7 %; the map lookup, ~8 % before, is gone from the "
            "profile). At load average 2.1 (2026-12-03) places ran at 7,509 rows/s on "
            "SQLite and 5,518 on PostgreSQL (100,000: 7,239 and 4,681): wall times on this "
            "shared machine move several-fold with its load, which the rows/CPU-s column "
            "leaves out.",
            *(
                [
                    "",
                    f"`cityloop import places` of {cli['rows']:,} places alone, in a fresh "
                    f"process and SQLite database (load average {cli.get('load', 0):.1f}): "
                    f"{cli['s']:.1f} s, peak RSS **{cli['mb']:.0f} MB** (`os.wait4` rusage of "
                    f"that process; the same command on a one-row file: {cli['start_mb']:.0f} "
                    "MB, its start-up). It was 321 MB (58.8 s at load 7.3, start-up 132 MB): "
                    "the command no longer imports what a places file does not use (jieba and "
                    "pkg_resources, openpyxl and lxml, numpy, shapely and pyproj: imported "
                    "where they are used; a point is checked without shapely; "
                    "`tests/org/test_import_startup.py` keeps them out), a parsed row has "
                    "slots and lets go of its values into one shared empty mapping once its "
                    "place is built, and a point's geometry is built once, rounded.",
                ]
                if cli
                else []
            ),
            END,
        ]
    )


def write(text: str) -> None:
    write_section(text, BEGIN, END)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--rows", type=int, nargs="+", default=[20000, 100000], help="places, and as many people"
    )
    ap.add_argument("--hotline", type=int, default=2000, help="work orders (0: none)")
    ap.add_argument("--pg", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", action="store_true")
    ap.add_argument(
        "--cli-rows", type=int, default=100000, help="places for the CLI peak (0: skip)"
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.child:
        result = measure(args.rows[0], args.hotline, args.pg)
        print("RESULT " + json.dumps(result, default=str), flush=True)
        return 0
    t0 = time.perf_counter()
    # The SQLite and the PostgreSQL runs side by side (each its own process and database):
    # half the wall time on a shared machine; the rows/CPU-s column is what load cannot skew.
    from concurrent.futures import ThreadPoolExecutor

    jobs = [
        (rows, args.hotline if i == 0 else 0, pg)  # the hotline once, with the first size
        for pg in ((False, True) if args.pg else (False,))
        for i, rows in enumerate(args.rows)
    ]
    with ThreadPoolExecutor(max_workers=2 if args.pg else 1) as pool:
        done = {
            pg: pool.submit(lambda pg=pg: [run_one(*j) for j in jobs if j[2] == pg])
            for pg in {j[2] for j in jobs}
        }
        results = [r for pg in sorted(done) for r in done[pg].result()]
    for r in results:
        for kind in ("places", "people", "households", "hotline"):
            if f"{kind}_s" in r:
                rows = r["hotline_rows"] if kind == "hotline" else r["rows"]
                print(
                    f"{r['db']}: {kind} {rows} rows in {r[f'{kind}_s']:.2f} s = "
                    f"{rows / r[f'{kind}_s']:,.0f} rows/s (cpu {r[f'{kind}_cpu']:.2f} s), "
                    f"peak {r[f'{kind}_mb']:.0f} MB"
                )
    cli = cli_peak(args.cli_rows) if args.cli_rows else None
    if cli:
        print(f"cityloop import places {cli['rows']}: {cli['s']:.1f} s, peak {cli['mb']:.0f} MB")
    if not args.no_write:
        write(section(results, time.perf_counter() - t0, cli))
    return 0


if __name__ == "__main__":
    sys.exit(main())
