"""A local metric projection for one zone: equirectangular around its centre.

x = east, y = north, in metres, using the ellipsoid's radii of curvature at the
centre latitude. Over a zone up to tens of kilometres across, distances from a
point to a nearby boundary are off by at most tan(lat)·Δlat (Δlat in radians,
from the centre): about 0.1 % per 10 km at Bishkek's latitude.
"""

from __future__ import annotations

from dataclasses import dataclass

from korgoo.geo.distance import metres_per_degree, wrap_lon


@dataclass(frozen=True, slots=True)
class LocalProjection:
    lat0: float
    lon0: float
    kx: float  # metres per degree of longitude at lat0
    ky: float  # metres per degree of latitude at lat0

    @classmethod
    def around(cls, lat0: float, lon0: float) -> LocalProjection:
        kx, ky = metres_per_degree(lat0)
        return cls(lat0, wrap_lon(lon0), kx, ky)

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return wrap_lon(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.lat0 + y / self.ky, wrap_lon(self.lon0 + x / self.kx)
