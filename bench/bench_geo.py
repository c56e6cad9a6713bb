"""Benchmark of :class:`cityloop.core.geo.GeoIndex` against brute force.

A synthetic district is generated in memory (6 streets, 60 communities, 600 compounds, 6000
building points, 300 roads); ``locate`` is timed for random points, once with the STRtrees and
once testing every geometry (shapely's vectorised predicates, so the comparison is with the
best index-free code, not with a Python loop). Both must give the same answers.

    .venv/bin/python bench/bench_geo.py [--points 10000] [--no-write]

Writes its section of ``docs/benchmarks.md`` between its markers, leaving the rest alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cityloop.core.geo import Feature, GeoIndex  # noqa: E402

BEGIN, END = "<!-- bench:geo -->", "<!-- /bench:geo -->"
# District bounding box, around 上街区 (about 11 km × 9 km).
WEST, SOUTH, WIDTH, HEIGHT = 113.24, 34.76, 0.12, 0.08


class BruteForce(GeoIndex):
    """The same ``locate`` with every candidate lookup testing every geometry."""

    def _area_hits(self, point):
        return np.nonzero(shapely.intersects(self._area_geoms, point))[0]

    def _point_hits(self, point, degrees):
        return np.nonzero(shapely.dwithin(self._point_geoms, point, degrees))[0]

    def _road_hits(self, point, degrees):
        return np.nonzero(shapely.dwithin(self._road_geoms, point, degrees))[0]


def _split(box: tuple[float, float, float, float], cols: int, rows: int, inset: float = 0.0):
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) / cols, (y1 - y0) / rows
    for r in range(rows):
        for c in range(cols):
            yield (
                x0 + c * dx + inset * dx,
                y0 + r * dy + inset * dy,
                x0 + (c + 1) * dx - inset * dx,
                y0 + (r + 1) * dy - inset * dy,
            )


def district(rng: random.Random, *, per_compound: int = 10, roads: int = 300) -> list[Feature]:
    features: list[Feature] = []
    ids = iter(range(1, 10**7))

    def add(kind: str, geom, path: str) -> str:
        pk = next(ids)
        features.append(Feature(kind, pk, f"{kind[0]}{pk}", f"{kind}{pk}", geom, path))
        return f"{path}{pk}/"

    whole = (WEST, SOUTH, WEST + WIDTH, SOUTH + HEIGHT)
    root = add("district", shapely.box(*whole), "/")
    for street_box in _split(whole, 3, 2):
        street = add("street", shapely.box(*street_box), root)
        for community_box in _split(street_box, 5, 2):
            community = add("community", shapely.box(*community_box), street)
            # Compounds leave lanes between them, as real ones do.
            for compound_box in _split(community_box, 5, 2, inset=0.08):
                compound = add("compound", shapely.box(*compound_box), community)
                x0, y0, x1, y1 = compound_box
                for _ in range(per_compound):
                    point = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
                    add("building", point, compound)
    for _ in range(roads):
        # Roads: polylines of 5–20 vertices, 0.5–3 km long, mostly east–west or north–south.
        x, y = rng.uniform(WEST, WEST + WIDTH), rng.uniform(SOUTH, SOUTH + HEIGHT)
        heading = rng.choice([0.0, np.pi / 2]) + rng.uniform(-0.2, 0.2)
        step = rng.uniform(0.5, 3.0) / 111.0 / rng.randint(5, 20)
        coords = [(x, y)]
        for _ in range(rng.randint(5, 20)):
            heading += rng.uniform(-0.1, 0.1)
            x, y = x + step * np.cos(heading), y + step * np.sin(heading)
            coords.append((x, y))
        add("road", shapely.LineString(coords), root)
    return features


def timed(
    index: GeoIndex, points: list[tuple[float, float]], repeats: int
) -> tuple[float, list[dict]]:
    """Best of ``repeats`` runs: on a shared machine the minimum is the least disturbed."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        answers = [index.locate(lng, lat) for lng, lat in points]
        best = min(best, time.perf_counter() - start)
    return best, answers


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


# (label, building points per compound, roads): the brief's district, then a dense one the
# size of a big real district, to show how each variant grows with the data.
SIZES = [("6 000 buildings, 300 roads", 10, 300), ("30 000 buildings, 1 500 roads", 50, 1500)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="best of N runs")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()

    rows = []
    hit: dict[str, float] = {}
    for n, (label, per_compound, roads) in enumerate(SIZES):
        rng = random.Random(20260101)
        features = district(rng, per_compound=per_compound, roads=roads)
        start = time.perf_counter()
        index = GeoIndex(features, road_snap_metres=50.0)
        build_s = time.perf_counter() - start
        brute = BruteForce(features, road_snap_metres=50.0)
        points = [
            (rng.uniform(WEST, WEST + WIDTH), rng.uniform(SOUTH, SOUTH + HEIGHT))
            for _ in range(args.points)
        ]
        index.locate(*points[0])  # warm up like a live process
        tree_s, tree_answers = timed(index, points, args.repeats)
        brute_s, brute_answers = timed(brute, points, args.repeats)
        if tree_answers != brute_answers:
            wrong = sum(a != b for a, b in zip(tree_answers, brute_answers, strict=True))
            raise SystemExit(f"{wrong} answers differ between the index and brute force")
        tree_us, brute_us = tree_s / len(points) * 1e6, brute_s / len(points) * 1e6
        rows.append(
            f"| {label} ({len(features):,} geometries) | {build_s * 1000:,.0f} | "
            f"{tree_us:,.0f} | {1e6 / tree_us:,.0f} | {brute_us:,.0f} | "
            f"**{brute_us / tree_us:.1f}×** |"
        )
        print(rows[-1], flush=True)
        if n == 0:
            hit = {
                k: sum(a[k] is not None for a in tree_answers) / len(points)
                for k in ("compound", "building", "road")
            }

    table = "\n".join(rows)
    text = f"""## Spatial index: `GeoIndex.locate`

Measured {time.strftime("%Y-%m-%d")} with `bench/bench_geo.py` on Python \
{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, shapely \
{shapely.__version__}. Synthetic district generated in memory: 6 streets, 60 communities, 600 \
compounds, building points and roads as in the first column; {args.points:,} random points per \
row, best of {args.repeats} runs; road snap 50 m, building-point radius 15 m. Both variants \
run the same `locate` (smallest containing place per level, nearest building point and road in \
metres) and gave identical \
answers for every point; brute force tests every geometry with shapely's vectorised predicates \
instead of the STRtrees, so the ratio is against the best index-free code, not a Python loop.

| district | build ms | index µs/locate | index locates/s | brute force µs/locate | speed-up |
|---|---:|---:|---:|---:|---:|
{table}

Most of the index's time is fixed per-call overhead (three tree queries, one projection); it
grows only with the candidates near the point, while brute force grows with the whole district.
Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: on a shared
machine both times, and so the ratios, move between runs; rerun on a quiet one for firm figures.
In the first district, \
{hit["compound"]:.0%} of the points fell inside a compound, {hit["building"]:.1%} next to a \
building point and {hit["road"]:.0%} within 50 m of a road.
"""
    print(text)
    if not args.no_write:
        print(f"written to {write_section(text)}")


if __name__ == "__main__":
    main()
