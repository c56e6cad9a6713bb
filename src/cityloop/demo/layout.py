"""Schematic geometry for the demo district, cut from the real district outline.

Only the outline of 上街区 is real (see ``data/SOURCE.md``). Streets, communities, grids and
compounds are obtained by cutting it into pieces of chosen area shares; roads are a lattice
of lines and lanes clipped to their street. No randomness: the same outline always gives
the same pieces, so a second load finds every geometry unchanged.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from cityloop.core.geo import convert_geometry, gcj02_to_wgs84

OUTLINE_FILE = Path(__file__).parent / "data" / "shangjie_410106_district.json"
PRECISION = 1e-6  # degrees, ≈ 0.1 m: what is stored
# Every generated piece keeps this far (≈ 20 m) inside the outline, so rounding to PRECISION
# can never push a vertex across the district boundary.
INSET = 0.0002
_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=1)
def outline() -> MultiPolygon:
    """The district outline in WGS-84 (converted from the GCJ-02 source file)."""
    features = json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))
    geojson = convert_geometry(features[0]["geometry"], gcj02_to_wgs84)
    geom = shapely.set_precision(shape(geojson), PRECISION)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON with plain lists and coordinates rounded to PRECISION, so that what is stored
    compares equal to what a second load computes."""
    geom = shapely.set_precision(geom, PRECISION)
    data = mapping(geom)
    return {"type": data["type"], "coordinates": _lists(data["coordinates"])}


def _lists(coords: Any) -> Any:
    if isinstance(coords, tuple | list) and coords and isinstance(coords[0], float | int):
        return [round(float(c), 6) for c in coords]
    return [_lists(c) for c in coords]


def polygons(geom: BaseGeometry, *, min_share: float = 0.01) -> BaseGeometry:
    """Only the areal part of a clip result, without slivers under ``min_share`` of it."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise ValueError("clip left no area")
    total = sum(p.area for p in parts)
    parts = sorted((p for p in parts if p.area >= total * min_share), key=lambda p: -p.area)
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def split(geom: BaseGeometry, axis: str, share: float) -> tuple[BaseGeometry, BaseGeometry]:
    """Cut ``geom`` by a line across ``axis`` ("x" or "y") so that the low side (west or
    south) holds ``share`` of its area; bisection on the cut coordinate."""
    minx, miny, maxx, maxy = geom.bounds
    lo, hi = (minx, maxx) if axis == "x" else (miny, maxy)
    target = geom.area * share

    def low_box(t: float) -> Polygon:
        return box(minx, miny, t, maxy) if axis == "x" else box(minx, miny, maxx, t)

    def low_area(t: float) -> float:  # clip_by_rect is fast; fine for measuring an area
        rect = (minx, miny, t, maxy) if axis == "x" else (minx, miny, maxx, t)
        return shapely.area(shapely.clip_by_rect(geom, *rect))

    while hi - lo > 1e-7:  # ≈ 1 cm
        mid = (lo + hi) / 2
        if low_area(mid) < target:
            lo = mid
        else:
            hi = mid
    cut = (lo + hi) / 2
    high_box = box(cut, miny, maxx, maxy) if axis == "x" else box(minx, cut, maxx, maxy)
    return polygons(geom.intersection(low_box(cut))), polygons(geom.intersection(high_box))


def partition(geom: BaseGeometry, weights: list[float]) -> list[BaseGeometry]:
    """Tile ``geom`` into ``len(weights)`` pieces with areas in proportion to ``weights``,
    cutting along the longer side each time so the pieces stay compact."""
    if len(weights) == 1:
        return [geom]
    half = len(weights) // 2
    minx, miny, maxx, maxy = geom.bounds
    # Compare ground distances, not degrees: a degree of longitude is shorter here.
    wide = (maxx - minx) * 0.82 >= (maxy - miny)
    share = sum(weights[:half]) / sum(weights)
    if wide:  # the first pieces go west
        west, east = split(geom, "x", share)
        return partition(west, weights[:half]) + partition(east, weights[half:])
    # the first pieces go north, so a list reads like a map
    south, north = split(geom, "y", 1 - share)
    return partition(north, weights[:half]) + partition(south, weights[half:])


def inset(geom: BaseGeometry, distance: float = INSET) -> BaseGeometry:
    return polygons(geom.buffer(-distance, join_style="mitre"))


def footprint(cell: BaseGeometry, size: float = 0.0012) -> Polygon:
    """A compound-sized square (at most ``size`` degrees, ≈ 100 m) in the middle of a cell."""
    inner = cell.buffer(-0.00003)
    if inner.is_empty:
        inner = cell
    side = min(size, (inner.area**0.5) * 0.6)
    p = inner.representative_point()
    square = box(p.x - side / 2, p.y - side / 2, p.x + side / 2, p.y + side / 2)
    piece = polygons(square.intersection(inner))
    return piece if isinstance(piece, Polygon) else piece.geoms[0]


def points_in(geom: BaseGeometry, n: int) -> list[Point]:
    """``n`` well-spread points inside ``geom`` (buildings, hazard points)."""
    return [cell.representative_point() for cell in partition(geom, [1.0] * n)]


def road_lattice(street: BaseGeometry, count: int) -> list[tuple[str, LineString]]:
    """``count`` road lines inside ``street``: main roads first (full east–west and
    north–south lines clipped to the street), then short lanes in the blocks between them.

    Returns ``(class, line)`` pairs, class "main" or "lane".
    """
    area = inset(street, 0.0003)
    for k in range(2, 40):
        mains = _main_lines(area, k)
        lanes = _lanes(area, k)
        if len(mains) + len(lanes) >= count and len(mains) <= count:
            roads = [("main", m) for m in mains] + [("lane", lane) for lane in lanes]
            return roads[:count]
    raise ValueError(f"cannot fit {count} roads")


def _lines(area: BaseGeometry, k: int) -> list[LineString]:
    minx, miny, maxx, maxy = area.bounds
    out = []
    for i in range(1, k + 1):
        y = miny + (maxy - miny) * i / (k + 1)
        out.append(LineString([(minx, y), (maxx, y)]))
    for i in range(1, k + 1):
        x = minx + (maxx - minx) * i / (k + 1)
        out.append(LineString([(x, miny), (x, maxy)]))
    return out


def _longest_part(geom: BaseGeometry) -> LineString | None:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString)]
    parts = [p for p in parts if not p.is_empty]
    return max(parts, key=lambda p: p.length) if parts else None


def _main_lines(area: BaseGeometry, k: int) -> list[LineString]:
    out = []
    for line in _lines(area, k):
        part = _longest_part(line.intersection(area))
        if part is not None and part.length > 0.002:
            out.append(part)
    return out


def _lanes(area: BaseGeometry, k: int) -> list[LineString]:
    """Two short lanes per block of the lattice: one east–west, one north–south, each over
    the middle half of the block and off its centre, so they cross no main road."""
    minx, miny, maxx, maxy = area.bounds
    dx, dy = (maxx - minx) / (k + 1), (maxy - miny) / (k + 1)
    out = []
    for row in range(k, -1, -1):
        for col in range(k + 1):
            x0, y0 = minx + col * dx, miny + row * dy
            for line in (
                LineString([(x0 + dx * 0.25, y0 + dy * 0.35), (x0 + dx * 0.75, y0 + dy * 0.35)]),
                LineString([(x0 + dx * 0.65, y0 + dy * 0.25), (x0 + dx * 0.65, y0 + dy * 0.75)]),
            ):
                part = _longest_part(line.intersection(area))
                if part is not None and part.length >= line.length * 0.6:
                    out.append(part)
    return out


def length_metres(line: BaseGeometry) -> int:
    return round(_GEOD.geometry_length(line))


def area_m2(geom: BaseGeometry) -> int:
    return round(abs(_GEOD.geometry_area_perimeter(geom)[0]))
