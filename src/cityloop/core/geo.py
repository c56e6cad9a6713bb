"""Coordinates and the spatial index: which street, community, compound, building, grid and
road a point is in or near.

Coordinates are stored in WGS-84. Chinese web maps (AutoNavi, Tencent) draw in GCJ-02, so
points clicked on such a map are converted with :func:`gcj02_to_wgs84` before they are
stored, and geometries are converted with :func:`wgs84_to_gcj02` only at the map edge.

:class:`GeoIndex` is built from plain :class:`Feature` tuples, so it can be benchmarked and
tested without a database; :func:`get_index` builds it from all places and zones with a
geometry and keeps one copy per process. The index is pure: it knows nothing about scope.
Callers pass ``visible`` to :func:`locate` so that the smallest *visible* place is chosen and
nothing outside the reader's scope is named.

Rules of :meth:`GeoIndex.locate`:

- For each level (district, street, community, compound, building) and for grids, the
  smallest polygon that contains the point (the boundary counts as inside).
- A building stored as a Point counts as containing every point within
  :data:`BUILDING_POINT_METRES` (15 m, about half a residential block), the nearest one
  winning. A building polygon that contains the point wins over building points.
- The nearest road within ``road_snap_metres``, its distance measured in metres in the UTM
  zone of the data's centre (scale error below 0.1 % inside the zone), never in degrees.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cityloop.core import orgmodels

if TYPE_CHECKING:
    import numpy as np
    from pyproj import Transformer
    from shapely.geometry.base import BaseGeometry

# numpy, shapely and pyproj (~25 MB) are imported where the index or a distance needs them,
# not with this module: the GCJ-02 maths below is plain Python, and most processes (an
# import of places, a management command) never locate a point.

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# GCJ-02
# ---------------------------------------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 offset
_EE = 0.00669342162296594323


def _out_of_china(lng: float, lat: float) -> bool:
    # The published rectangle: outside it GCJ-02 and WGS-84 coincide.
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """The standard GCJ-02 offset; identity outside China."""
    if _out_of_china(lng, lat):
        return lng, lat
    dlat = _offset_lat(lng - 105.0, lat - 35.0)
    dlng = _offset_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Inverse of :func:`wgs84_to_gcj02` by fixed-point iteration.

    The offset changes slowly (hundreds of metres over degrees), so subtracting the residual
    converges in a few steps; we stop below 1e-9° (≈ 0.1 mm), far inside the 0.5 m budget.
    """
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        wlng, wlat = wlng - dlng, wlat - dlat
        if abs(dlng) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlng, wlat


PointFn = Callable[[float, float], tuple[float, float]]


def convert_geometry(geojson: dict[str, Any], fn: PointFn) -> dict[str, Any]:
    """A copy of a GeoJSON geometry (any type, including collections) with ``fn`` applied to
    every position; extra members such as ``bbox`` are dropped because they would be stale."""
    gtype = geojson["type"]
    if gtype == "GeometryCollection":
        return {
            "type": gtype,
            "geometries": [convert_geometry(g, fn) for g in geojson["geometries"]],
        }
    return {"type": gtype, "coordinates": _convert_coords(geojson["coordinates"], fn)}


def _convert_coords(coords: Any, fn: PointFn) -> Any:
    if coords and isinstance(coords[0], int | float):  # a position: [lng, lat(, alt)]
        lng, lat = fn(coords[0], coords[1])
        return [lng, lat, *coords[2:]]
    return [_convert_coords(c, fn) for c in coords]


# ---------------------------------------------------------------------------------------------
# Metric distances
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _utm(zone: int, north: bool) -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(4326, (32600 if north else 32700) + zone, always_xy=True)


def utm_transformer(lng: float, lat: float) -> Transformer:
    """WGS-84 → the UTM zone containing the point (a district lies in one zone)."""
    zone = min(60, max(1, int((lng + 180.0) // 6.0) + 1))
    return _utm(zone, lat >= 0)


def _project(geom: Any, transformer: Transformer) -> Any:
    """Project a geometry, or an array of them in one pyproj call."""
    import numpy as np
    import shapely

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def distance_metres(a: BaseGeometry, b: BaseGeometry, transformer: Transformer) -> float:
    import shapely

    return float(shapely.distance(_project(a, transformer), _project(b, transformer)))


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------

PLACE_LEVELS = ("district", "street", "community", "compound", "building")
AREA_KINDS = (*PLACE_LEVELS, "grid")
BUILDING_POINT_METRES = 15.0
SEGMENT_DEGREES = 0.0005  # ≈ 50 m


@dataclass(frozen=True)
class Feature:
    """One geometry in the index. ``kind`` is a place kind or a zone kind; ``path`` is the
    place's own path, or for a zone the path of the place it belongs to (for scope checks)."""

    kind: str
    id: int
    code: str
    name: str
    geometry: BaseGeometry
    path: str = ""

    @property
    def is_zone(self) -> bool:
        return self.kind not in PLACE_LEVELS

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "name": self.name}


Visible = Callable[[Feature], bool]


class GeoIndex:
    """STRtrees over areas (place and grid polygons, in degrees), building points and roads
    (both projected once, at build time, to the UTM zone of the data's centre, so that
    distances are plain metres; a district spans far less than one 6° zone)."""

    def __init__(self, features: Iterable[Feature], *, road_snap_metres: float = 50.0):
        import numpy as np
        import shapely

        self.road_snap_metres = road_snap_metres
        self.areas: list[Feature] = []
        self.building_points: list[Feature] = []
        self.roads: list[Feature] = []
        for f in features:
            gtype = f.geometry.geom_type
            if f.kind in AREA_KINDS and gtype in ("Polygon", "MultiPolygon"):
                self.areas.append(f)
            elif f.kind == "building" and gtype == "Point":
                self.building_points.append(f)
            elif f.kind == "road" and gtype in ("LineString", "MultiLineString"):
                self.roads.append(f)
        everything = [f.geometry for f in (*self.areas, *self.building_points, *self.roads)]
        if everything:
            x0, y0, x1, y1 = shapely.total_bounds(np.array(everything, dtype=object))
            self.transformer = utm_transformer((x0 + x1) / 2, (y0 + y1) / 2)
        else:
            self.transformer = utm_transformer(113.0, 34.0)
        self._area_geoms = np.array([f.geometry for f in self.areas], dtype=object)
        # Areas compared at one point share one scale, so square degrees rank them correctly.
        self._area_sizes = shapely.area(self._area_geoms) if self.areas else np.array([])
        self._point_geoms = self._metric([f.geometry for f in self.building_points])
        # GeoJSON lines are straight in longitude/latitude; a long segment projected by its
        # ends alone would bow away from that line, so add vertices before projecting.
        self._road_geoms = self._metric(
            [shapely.segmentize(f.geometry, SEGMENT_DEGREES) for f in self.roads]
        )
        self._area_tree = shapely.STRtree(self._area_geoms)
        self._point_tree = shapely.STRtree(self._point_geoms)
        self._road_tree = shapely.STRtree(self._road_geoms)

    def _metric(self, geoms: list[BaseGeometry]) -> np.ndarray:
        import numpy as np

        array = np.array(geoms, dtype=object)
        return _project(array, self.transformer) if len(array) else array

    def __len__(self) -> int:
        return len(self.areas) + len(self.building_points) + len(self.roads)

    # Candidate lookups: the only place the trees are used (the benchmark swaps them for
    # brute force to measure what the trees buy). Points and roads work in metres.
    def _area_hits(self, point: BaseGeometry) -> np.ndarray:
        return self._area_tree.query(point, predicate="intersects")

    def _point_hits(self, point_m: BaseGeometry, metres: float) -> np.ndarray:
        return self._point_tree.query(point_m, predicate="dwithin", distance=metres)

    def _road_hits(self, point_m: BaseGeometry, metres: float) -> np.ndarray:
        return self._road_tree.query(point_m, predicate="dwithin", distance=metres)

    def locate(self, lng: float, lat: float, *, visible: Visible | None = None) -> dict[str, Any]:
        """What contains or lies near a WGS-84 point; see the module docstring for the rules."""
        import shapely

        ok = visible or (lambda f: True)
        answer = self._areas_answer(self._area_hits(shapely.Point(lng, lat)), ok)
        self._near(answer, lng, lat, ok)
        return answer

    def locate_many(
        self, points: Sequence[tuple[float, float]], *, visible: Visible | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`locate` of each point, the areas of all of them found with one query of the
        tree (a hotline file of thousands of points: one call into shapely, not one each)."""
        import numpy as np
        import shapely

        if not len(points):
            return []
        ok = visible or (lambda f: True)
        hits: list[list[int]] = [[] for _p in points]
        if self.areas:
            geoms = shapely.points(np.asarray(points, dtype=float))
            which, areas = self._area_tree.query(geoms, predicate="intersects")
            for p, a in zip(which.tolist(), areas.tolist(), strict=True):
                hits[p].append(a)
        answers = []
        for (lng, lat), found in zip(points, hits, strict=True):
            answer = self._areas_answer(found, ok)
            self._near(answer, lng, lat, ok)
            answers.append(answer)
        return answers

    def _areas_answer(self, hits: Iterable[int], ok: Visible) -> dict[str, Any]:
        """The answer's areas: per kind the smallest visible one among ``hits``."""
        answer: dict[str, Any] = {kind: None for kind in (*AREA_KINDS, "road")}
        best: dict[str, tuple[float, int, Feature]] = {}
        for i in hits:
            f = self.areas[i]
            key = (float(self._area_sizes[i]), f.id)  # the id breaks ties: same answer always
            if ok(f) and (f.kind not in best or key < best[f.kind][:2]):
                best[f.kind] = (*key, f)
        for kind, (_size, _id, f) in best.items():
            answer[kind] = f.ref()
        return answer

    def _near(self, answer: dict[str, Any], lng: float, lat: float, ok: Visible) -> None:
        """The answer's building point (when no building polygon holds it) and road."""
        import shapely

        if not (self.building_points or self.roads):
            return
        point_m = shapely.Point(*self.transformer.transform(lng, lat))
        if answer["building"] is None:
            hits = self._point_hits(point_m, BUILDING_POINT_METRES)
            near = self._nearest(point_m, self.building_points, self._point_geoms, hits, ok)
            if near is not None:
                answer["building"] = near[1].ref()
        hits = self._road_hits(point_m, self.road_snap_metres)
        near = self._nearest(point_m, self.roads, self._road_geoms, hits, ok)
        if near is not None:
            answer["road"] = {**near[1].ref(), "distance_m": round(near[0], 1)}

    @staticmethod
    def _nearest(
        point_m: BaseGeometry,
        features: list[Feature],
        geoms_m: np.ndarray,
        hits: np.ndarray,
        ok: Visible,
    ) -> tuple[float, Feature] | None:
        """The nearest visible feature among the hits (already within the limit)."""
        import numpy as np
        import shapely

        if not len(hits):
            return None
        hits = np.sort(hits)  # with the stable sort below, ties go to the first-built feature
        distances = shapely.distance(geoms_m[hits], point_m)
        for j in np.argsort(distances, kind="stable"):
            f = features[hits[j]]
            if ok(f):
                return float(distances[j]), f
        return None


# ---------------------------------------------------------------------------------------------
# The per-process copy built from the database
# ---------------------------------------------------------------------------------------------

# How often a process asks the database whether places or zones changed. Changes made in
# this process invalidate at once (signals below); this bounds staleness for the others.
CHECK_SECONDS = 5.0

_lock = threading.Lock()
_index: GeoIndex | None = None
_signature: tuple | None = None
_checked_at = 0.0


def features_from_db() -> list[Feature]:
    from shapely.geometry import shape

    Place, Zone = orgmodels.get("Place", "Zone")

    rows: list[tuple[str, int, str, str, Any, str]] = list(
        Place.objects.filter(geometry__isnull=False).values_list(
            "kind", "pk", "code", "name", "geometry", "path"
        )
    )
    rows += list(
        Zone.objects.filter(geometry__isnull=False).values_list(
            "kind", "pk", "code", "name", "geometry", "place__path"
        )
    )
    features = []
    for kind, pk, code, name, geojson, path in rows:
        try:
            geom = shape(geojson)
        except Exception:  # services validate geometry; an odd legacy row must not stop the map
            log.warning("skipping unreadable geometry of %s %s", kind, code)
            continue
        features.append(Feature(kind, pk, code, name, geom, path or ""))
    return features


def data_signature() -> tuple:
    """Cheap change detector: row count and highest id of places and zones (inserts, bulk
    loads) and the highest history id (every save and delete through the ORM adds one)."""
    from django.db.models import Count, Max

    Place, Zone = orgmodels.get("Place", "Zone")

    parts: list[Any] = []
    for model in (Place, Zone):
        agg = model.objects.aggregate(n=Count("pk"), m=Max("pk"))
        parts += [agg["n"], agg["m"], model.history.model.objects.aggregate(h=Max("history_id"))]
    return tuple(str(p) for p in parts)


def get_index() -> GeoIndex:
    """The process's index, rebuilt when the places or zones changed."""
    global _index, _signature, _checked_at
    from django.conf import settings

    with _lock:
        # monotonic, not the business clock: this paces cache checks, it dates nothing.
        now = time.monotonic()
        if _index is not None and now - _checked_at < CHECK_SECONDS:
            return _index
        signature = data_signature()
        if _index is None or signature != _signature:
            _index = GeoIndex(
                features_from_db(), road_snap_metres=settings.CITYLOOP.road_snap_metres
            )
            _signature = signature
        _checked_at = now
        return _index


def invalidate() -> None:
    """Drop the cached index; the next :func:`get_index` rebuilds it."""
    global _index, _signature
    with _lock:
        _index = None
        _signature = None


def locate(lng: float, lat: float, *, visible: Visible | None = None) -> dict[str, Any]:
    """Locate a WGS-84 point in the places and zones of the database (see :class:`GeoIndex`)."""
    return get_index().locate(lng, lat, visible=visible)


def locate_many(
    points: Sequence[tuple[float, float]], *, visible: Visible | None = None
) -> list[dict[str, Any]]:
    """:func:`locate` of each point, in one pass over the index (see
    :meth:`GeoIndex.locate_many`)."""
    return get_index().locate_many(points, visible=visible)


def _on_change(sender, **kwargs) -> None:
    from django.db import transaction

    invalidate()
    # Again after commit: another thread may have rebuilt from the pre-commit data meanwhile.
    transaction.on_commit(invalidate)


def _connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    for sender in ("org.Place", "org.Zone"):
        post_save.connect(_on_change, sender=sender, dispatch_uid=f"geo-index-{sender}-save")
        post_delete.connect(_on_change, sender=sender, dispatch_uid=f"geo-index-{sender}-delete")


_connect_signals()
