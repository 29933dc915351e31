"""Reading and checking a zone's GeoJSON geometry.

A zone is a circle (GeoJSON Point plus `radius_m`) or a polygon (outer ring and
optional holes, [longitude, latitude] as GeoJSON puts them). Anything else is
refused with a ValueError that says which zone, what is wrong and where, so an
operator entering an order can fix it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import shapely

from korgoo.domain.schedule import validate_exceptions, validate_schedule
from korgoo.domain.terms import ZoneSpec
from korgoo.domain.text import N_, Text, said
from korgoo.geo.distance import metres_per_degree, wrap_lon
from korgoo.geo.projection import LocalProjection

ZONE_KINDS = ("exclusion", "inclusion")
MAX_ZONE_LAT = 80.0  # distance_m and the zone projection are checked up to here
MAX_RADIUS_M = 50_000.0
MAX_POLYGON_SPAN_M = 100_000.0  # the local projection is for zones up to tens of km

_GEOS_REASONS = {
    "Self-intersection": "its edges cross each other",
    "Ring Self-intersection": "a ring touches itself",
    "Hole lies outside shell": "a hole lies outside the outer ring",
    "Nested holes": "a hole lies inside another hole",
    "Interior is disconnected": "the holes cut the zone into separate pieces",
    "Too few points in geometry component": "a ring has fewer than 3 distinct points",
    "Nested shells": "a ring lies inside another",
    "Duplicate Rings": "two rings are the same",
}
_GEOS_REASON = re.compile(r"^(?P<kind>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]$")


@dataclass(frozen=True, slots=True)
class CircleShape:
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class PolygonShape:
    projection: LocalProjection
    polygon: shapely.Polygon  # in the projection's metres
    lat_min: float
    lat_max: float
    dlon_min: float  # longitude extent relative to projection.lon0, so it never wraps
    dlon_max: float


def validate_zone(spec: ZoneSpec) -> None:
    """Raise ValueError, saying what is wrong, if `spec` cannot be monitored."""
    parse_zone(spec)


def parse_zone(spec: ZoneSpec) -> CircleShape | PolygonShape:
    where = N_("zone {zone_id}", zone_id=repr(spec.zone_id))
    if spec.kind not in ZONE_KINDS:
        raise ValueError(
            N_(
                "{where}: kind must be 'exclusion' or 'inclusion', not {kind}",
                where=where,
                kind=repr(spec.kind),
            )
        )
    try:
        validate_schedule(spec.schedule)
        validate_exceptions(spec.exceptions)
    except ValueError as e:
        raise ValueError(N_("{where}: {e}", where=where, e=said(e))) from None
    geometry = spec.geometry
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if gtype == "Point":
        return _parse_circle(where, coords, spec.radius_m)
    if gtype == "Polygon":
        if spec.radius_m:
            raise ValueError(
                N_("{where}: radius_m applies only to a Point zone, not a Polygon", where=where)
            )
        return _parse_polygon(where, coords)
    raise ValueError(
        N_(
            "{where}: geometry must be a GeoJSON 'Point' (with radius_m) or 'Polygon', not {gtype}",
            where=where,
            gtype=repr(gtype),
        )
    )


def _position(where: Text, p: object, label: Text) -> tuple[float, float]:
    """(lat, lon) of a GeoJSON position [lon, lat] or [lon, lat, altitude]."""
    if (
        not isinstance(p, list | tuple)
        or len(p) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
    ):
        raise ValueError(
            N_(
                "{where}: {label} must be [longitude, latitude] numbers, got {p}",
                where=where,
                label=label,
                p=repr(p),
            )
        )
    lon, lat = float(p[0]), float(p[1])
    if not -180.0 <= lon <= 180.0:
        raise ValueError(
            N_(
                "{where}: {label} has longitude {lon}, outside -180..180"
                " (GeoJSON puts longitude first)",
                where=where,
                label=label,
                lon=lon,
            )
        )
    if not -90.0 <= lat <= 90.0:
        raise ValueError(
            N_(
                "{where}: {label} has latitude {lat}, outside -90..90"
                " (GeoJSON puts longitude first)",
                where=where,
                label=label,
                lat=lat,
            )
        )
    if abs(lat) > MAX_ZONE_LAT:
        raise ValueError(
            N_(
                "{where}: {label} has latitude {lat}; zones beyond {max_zone_lat:g} degrees"
                " north or south are not supported",
                where=where,
                label=label,
                lat=lat,
                max_zone_lat=MAX_ZONE_LAT,
            )
        )
    return lat, lon


def _parse_circle(where: Text, coords: object, radius_m: float) -> CircleShape:
    lat, lon = _position(where, coords, N_("centre point"))
    if not 0.0 < radius_m <= MAX_RADIUS_M:  # also refuses NaN
        raise ValueError(
            N_(
                "{where}: radius_m must be more than 0 and at most {max_radius_m:g} metres"
                " for a Point zone, got {radius_m}",
                where=where,
                max_radius_m=MAX_RADIUS_M,
                radius_m=radius_m,
            )
        )
    return CircleShape(lat, lon, float(radius_m))


def _parse_polygon(where: Text, coords: object) -> PolygonShape:
    if not isinstance(coords, list | tuple) or not coords:
        raise ValueError(
            N_(
                "{where}: polygon coordinates must be a list of rings"
                " (outer ring first, then holes)",
                where=where,
            )
        )
    rings: list[list[tuple[float, float]]] = []
    for k, ring in enumerate(coords):
        label = N_("outer ring") if k == 0 else N_("hole {k}", k=k)
        if not isinstance(ring, list | tuple) or len(ring) < 4:
            got = len(ring) if isinstance(ring, list | tuple) else repr(ring)
            raise ValueError(
                N_(
                    "{where}: polygon ring must have at least 4 points (the first repeated as the"
                    " last); the {label} has {got}",
                    where=where,
                    label=label,
                    got=got,
                )
            )
        points = [
            _position(where, p, N_("{label} point {n}", label=label, n=i + 1))
            for i, p in enumerate(ring)
        ]
        if points[0] != points[-1]:
            raise ValueError(
                N_(
                    "{where}: polygon {label} is not closed: its last point must repeat its first",
                    where=where,
                    label=label,
                )
            )
        rings.append(points)

    # Longitudes relative to the first point, so a zone across the antimeridian stays whole.
    lon_ref = rings[0][0][1]
    lats = [lat for ring in rings for lat, _ in ring]
    dlons = [wrap_lon(lon - lon_ref) for ring in rings for _, lon in ring]
    lat_min, lat_max = min(lats), max(lats)
    mid = (min(dlons) + max(dlons)) / 2
    projection = LocalProjection.around((lat_min + lat_max) / 2, lon_ref + mid)

    kx, ky = metres_per_degree(projection.lat0)
    span_m = max((max(dlons) - min(dlons)) * kx, (lat_max - lat_min) * ky)
    if span_m > MAX_POLYGON_SPAN_M:
        raise ValueError(
            N_(
                "{where}: polygon is {span_m:.0f} km across; zones up to"
                " {max_polygon_span_m:.0f} km across are supported",
                where=where,
                span_m=span_m / 1000,
                max_polygon_span_m=MAX_POLYGON_SPAN_M / 1000,
            )
        )

    xy_rings = [[projection.to_xy(lat, lon) for lat, lon in ring] for ring in rings]
    polygon = shapely.Polygon(xy_rings[0], xy_rings[1:])
    reason = shapely.is_valid_reason(polygon)
    if reason != "Valid Geometry":
        raise ValueError(
            N_(
                "{where}: polygon is not valid: {problem}",
                where=where,
                problem=_explain(reason, projection),
            )
        )
    return PolygonShape(
        projection=projection,
        polygon=polygon,
        lat_min=lat_min,
        lat_max=lat_max,
        dlon_min=min(dlons) - mid,
        dlon_max=max(dlons) - mid,
    )


def _explain(reason: str, projection: LocalProjection) -> str:
    """GEOS's reason, in words, with its location back in latitude/longitude."""
    m = _GEOS_REASON.match(reason)
    if m is None:
        return reason
    what = _GEOS_REASONS.get(m["kind"], m["kind"])
    x, y = float(m["x"]), float(m["y"])
    if not (math.isfinite(x) and math.isfinite(y)):
        return what
    lat, lon = projection.to_latlon(x, y)
    return f"{what} near latitude {lat:.6f}, longitude {lon:.6f}"
