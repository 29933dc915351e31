"""Zones compiled for the hot path: accuracy-aware containment of one fix.

A zone is compiled once per order version; per fix the engine calls
`far_outside` (a few float comparisons) to skip most zones, then `classify`.
Circles use `distance_m` to the centre. Polygons live in a local metric
projection: a `ClearanceGrid` answers most fixes in O(1), and shapely (GEOS)
gives the exact distance to the boundary for the rest.
"""

from __future__ import annotations

import math
from array import array
from enum import StrEnum

import shapely

from korgoo.domain.terms import ZoneSpec
from korgoo.geo.clearance_grid import build_clearance_grid
from korgoo.geo.distance import distance_m, metres_per_degree
from korgoo.geo.projection import LocalProjection
from korgoo.geo.zone_shapes import CircleShape, PolygonShape, parse_zone

MAX_PRECHECK_MARGIN_M = 100_000.0  # far_outside says False (not known) beyond this margin
_PRECHECK_SAFETY = 1.01  # over distance_m's 0.1 % error and the projection's


class Containment(StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    UNCERTAIN = "uncertain"


_INSIDE = Containment.INSIDE
_OUTSIDE = Containment.OUTSIDE
_UNCERTAIN = Containment.UNCERTAIN


class CompiledZone:
    """One zone of one order version, ready to test fixes against.

    Raises ValueError (saying which zone and what is wrong) for a bad ZoneSpec.
    Methods take degrees and metres; accuracy radii below 0 count as 0.
    """

    __slots__ = (
        "_boundary",
        "_circle_lat",
        "_circle_lon",
        "_deg_lat_per_m",
        "_deg_lon_per_m",
        "_dlon_max",
        "_dlon_min",
        "_grid",
        "_grid_fx0",
        "_grid_fx_per_deg",
        "_grid_fy0",
        "_grid_fy_per_deg",
        "_grid_nx",
        "_grid_nx_f",
        "_grid_ny_f",
        "_grid_pad_m",
        "_kx",
        "_ky",
        "_lat0",
        "_lat_max",
        "_lat_min",
        "_lon0",
        "_polygon",
        "_projection",
        "_radius_m",
        "kind",
        "zone_id",
    )

    def __init__(self, spec: ZoneSpec) -> None:
        shape = parse_zone(spec)
        self.zone_id = spec.zone_id
        self.kind = spec.kind
        self._polygon: shapely.Polygon | None = None
        self._projection: LocalProjection | None = None
        self._boundary: shapely.MultiLineString | shapely.LineString | None = None
        self._compile(shape)

    def _compile(self, shape: CircleShape | PolygonShape) -> None:
        if isinstance(shape, CircleShape):
            self._circle_lat, self._circle_lon = shape.lat, shape.lon
            self._radius_m = shape.radius_m
            self._lat0, self._lon0 = shape.lat, shape.lon
            self._kx, self._ky = metres_per_degree(shape.lat)
            self._set_precheck_box(shape.lat, shape.lat, 0.0, 0.0, shape.radius_m)
            self._grid = array("f")
            self._grid_fx0 = self._grid_fx_per_deg = self._grid_fy0 = self._grid_fy_per_deg = 0.0
            self._grid_nx_f = self._grid_ny_f = self._grid_pad_m = 0.0
            self._grid_nx = 0
            return
        p = shape.projection
        self._circle_lat = self._circle_lon = self._radius_m = 0.0
        self._lat0, self._lon0, self._kx, self._ky = p.lat0, p.lon0, p.kx, p.ky
        self._set_precheck_box(shape.lat_min, shape.lat_max, shape.dlon_min, shape.dlon_max, 0.0)
        self._polygon, self._projection = shape.polygon, p
        self._boundary = shape.polygon.boundary
        shapely.prepare(self._polygon)
        shapely.prepare(self._boundary)
        self._grid = array("f")
        self._grid_fx0 = self._grid_fx_per_deg = self._grid_fy0 = self._grid_fy_per_deg = 0.0
        self._grid_nx_f = self._grid_ny_f = self._grid_pad_m = 0.0
        self._grid_nx = 0  # built on the first fix near the zone: most never come near

    def _build_grid(self) -> None:
        assert self._polygon is not None and self._projection is not None
        p = self._projection
        grid = build_clearance_grid(self._polygon)
        self._grid = grid.clearance
        # fx = (x - x0) / cell with x = dlon·kx; fy likewise with y = (lat - lat0)·ky.
        self._grid_fx_per_deg = p.kx * grid.cells_per_m
        self._grid_fx0 = -grid.x0 * grid.cells_per_m
        self._grid_fy_per_deg = p.ky * grid.cells_per_m
        self._grid_fy0 = (-p.lat0 * p.ky - grid.y0) * grid.cells_per_m
        self._grid_nx, self._grid_nx_f, self._grid_ny_f = grid.nx, float(grid.nx), float(grid.ny)
        self._grid_pad_m = grid.pad_m

    def _set_precheck_box(
        self, lat_min: float, lat_max: float, dlon_min: float, dlon_max: float, radius_m: float
    ) -> None:
        """A latitude/longitude box that holds the zone, and degrees-per-metre factors that
        never understate how far a point within MAX_PRECHECK_MARGIN_M of it can be.

        Along any path of length s, latitude changes by at most s/M_min (M is least
        at the equator) and longitude by at most s/(N·cos lat)_min over the
        latitudes the path can reach; the projection's own scale at the centre is
        covered too, so the box agrees with signed_distance_m as well as with the
        true geodesic distance.
        """
        _, ky_min = metres_per_degree(0.0)
        band = (radius_m + MAX_PRECHECK_MARGIN_M) / ky_min
        kx_min, _ = metres_per_degree(min(90.0, max(abs(lat_min), abs(lat_max)) + band))
        self._deg_lat_per_m = _PRECHECK_SAFETY * max(1.0 / ky_min, 1.0 / self._ky)
        self._deg_lon_per_m = _PRECHECK_SAFETY * max(1.0 / kx_min, 1.0 / self._kx)
        self._lat_min = lat_min - radius_m * self._deg_lat_per_m
        self._lat_max = lat_max + radius_m * self._deg_lat_per_m
        self._dlon_min = dlon_min - radius_m * self._deg_lon_per_m
        self._dlon_max = dlon_max + radius_m * self._deg_lon_per_m

    def far_outside(self, lat: float, lon: float, margin_m: float) -> bool:
        """True only if the point is certainly more than `margin_m` outside the zone.

        False means "not known": do the full test. Margins above
        MAX_PRECHECK_MARGIN_M always give False.
        """
        if margin_m > MAX_PRECHECK_MARGIN_M:
            return False
        # Not max(): a builtin call costs more than the comparison (this runs per fix).
        margin_m = margin_m if margin_m > 0.0 else 0.0
        m = margin_m * self._deg_lat_per_m
        if lat < self._lat_min - m or lat > self._lat_max + m:
            return True
        dlon = lon - self._lon0
        if dlon > 180.0:
            dlon -= 360.0
        elif dlon < -180.0:
            dlon += 360.0
        m = margin_m * self._deg_lon_per_m
        return dlon < self._dlon_min - m or dlon > self._dlon_max + m

    def box(self, margin_m: float) -> tuple[float, float, float, float] | None:
        """(lat_min, lat_max, lon_min, lon_max): a point outside it is farther than
        `margin_m` outside the zone, as `far_outside` would say. None where the box
        would reach past the antimeridian or the margin is too large to know."""
        if margin_m > MAX_PRECHECK_MARGIN_M:
            return None
        m_lat, m_lon = margin_m * self._deg_lat_per_m, margin_m * self._deg_lon_per_m
        lon_min = self._lon0 + self._dlon_min - m_lon
        lon_max = self._lon0 + self._dlon_max + m_lon
        if lon_min < -180.0 or lon_max > 180.0:
            return None
        return self._lat_min - m_lat, self._lat_max + m_lat, lon_min, lon_max

    def signed_distance_m(self, lat: float, lon: float) -> float:
        """Metres from the point to the zone's boundary: negative inside, positive outside."""
        if self._polygon is None:
            return distance_m(lat, lon, self._circle_lat, self._circle_lon) - self._radius_m
        assert self._projection is not None
        return self._polygon_signed_distance(*self._projection.to_xy(lat, lon))

    def classify(self, lat: float, lon: float, acc_m: float) -> Containment:
        """Where the accuracy disc of radius `acc_m` around the point lies.

        INSIDE if all of it is inside (signed distance <= -acc), OUTSIDE if all
        of it is outside (>= acc), UNCERTAIN otherwise (and for NaN input).
        """
        acc_m = max(acc_m, 0.0)
        if self._polygon is None:
            sd = distance_m(lat, lon, self._circle_lat, self._circle_lon) - self._radius_m
        else:
            if not self._grid_nx:
                self._build_grid()
            # Grid coordinates straight from degrees (projection folded in): the hot path.
            dlon = lon - self._lon0
            if dlon > 180.0:
                dlon -= 360.0
            elif dlon < -180.0:
                dlon += 360.0
            fx = dlon * self._grid_fx_per_deg + self._grid_fx0
            fy = lat * self._grid_fy_per_deg + self._grid_fy0
            if 0.0 <= fx < self._grid_nx_f and 0.0 <= fy < self._grid_ny_f:
                clearance = self._grid[int(fy) * self._grid_nx + int(fx)]
                if clearance > 0.0:
                    if clearance >= acc_m:
                        return _OUTSIDE
                elif clearance < 0.0 and -clearance >= acc_m:
                    return _INSIDE
            elif (
                fx < 0.0 or fx >= self._grid_nx_f or fy < 0.0 or fy >= self._grid_ny_f
            ) and acc_m <= self._grid_pad_m:
                return _OUTSIDE
            sd = self._polygon_signed_distance(dlon * self._kx, (lat - self._lat0) * self._ky)
        if sd <= -acc_m:
            return _INSIDE
        if sd >= acc_m:
            return _OUTSIDE
        return _UNCERTAIN

    def _polygon_signed_distance(self, x: float, y: float) -> float:
        """Exact, by GEOS: a few microseconds, nearly all of it building the Point."""
        assert self._polygon is not None and self._boundary is not None
        if math.isnan(x + y):  # GEOS would call a NaN point infinitely far away
            return math.nan
        point = shapely.Point(x, y)
        d: float = self._boundary.distance(point)
        return -d if self._polygon.contains(point) else d
