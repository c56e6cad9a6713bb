"""GeoJSON geometry checks shared by services and importers."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from cityloop.core.errors import InvalidInput

# China's extent, generously: catches swapped lat/lng and projected coordinates.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


def _plain_point(geojson: dict) -> tuple[float, float] | None:
    """``(lng, lat)`` of a Point of 2 or 3 finite numbers, else None (shapely decides)."""
    if geojson.get("type") != "Point":
        return None
    coords = geojson.get("coordinates")
    if not isinstance(coords, list | tuple) or len(coords) not in (2, 3):
        return None
    for c in coords:
        if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c):
            return None
    return float(coords[0]), float(coords[1])


def _out_of_range() -> InvalidInput:
    return InvalidInput(
        "geometry_out_of_range",
        _("Coordinates must be WGS-84 longitude/latitude in China"),
    )


def check(geojson: dict, *, allowed: set[str]) -> None:
    gtype = geojson.get("type") if isinstance(geojson, dict) else None
    if gtype not in allowed:
        raise InvalidInput(
            "geometry_bad_type",
            _("Geometry type %(got)s is not allowed here (allowed: %(allowed)s)")
            % {"got": gtype, "allowed": ", ".join(sorted(allowed))},
        )
    # A point of finite numbers is never empty or invalid and is its own bounds: checked
    # without shapely, which a file of 100 k compound points would otherwise load (numpy
    # and shapely, ~16 MB) and call per row. Anything else goes through shapely below.
    point = _plain_point(geojson)
    if point is not None:
        lng, lat = point
        if not (LNG_RANGE[0] <= lng <= LNG_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            raise _out_of_range()
        return
    from shapely.geometry import shape

    try:
        geom = shape(geojson)
    except Exception as exc:
        raise InvalidInput("geometry_invalid", _("Geometry cannot be read")) from exc
    if geom.is_empty:
        raise InvalidInput("geometry_invalid", _("Geometry is empty"))
    minx, miny, maxx, maxy = geom.bounds
    if not (LNG_RANGE[0] <= minx <= maxx <= LNG_RANGE[1]) or not (
        LAT_RANGE[0] <= miny <= maxy <= LAT_RANGE[1]
    ):
        raise _out_of_range()
    if not geom.is_valid:
        raise InvalidInput("geometry_invalid", _("Geometry is not valid (self-intersecting?)"))
