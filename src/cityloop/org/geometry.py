"""GeoJSON geometry checks shared by services and importers."""

from __future__ import annotations

from django.utils.translation import gettext as _
from shapely.geometry import shape

from cityloop.core.errors import InvalidInput

# China's extent, generously: catches swapped lat/lng and projected coordinates.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


def check(geojson: dict, *, allowed: set[str]) -> None:
    gtype = geojson.get("type") if isinstance(geojson, dict) else None
    if gtype not in allowed:
        raise InvalidInput(
            "geometry_bad_type",
            _("Geometry type %(got)s is not allowed here (allowed: %(allowed)s)")
            % {"got": gtype, "allowed": ", ".join(sorted(allowed))},
        )
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
        raise InvalidInput(
            "geometry_out_of_range",
            _("Coordinates must be WGS-84 longitude/latitude in China"),
        )
    if not geom.is_valid:
        raise InvalidInput("geometry_invalid", _("Geometry is not valid (self-intersecting?)"))
