"""Geometry for the hot path: geodesic distance, accuracy-aware proximity and zones."""

from korgoo.geo.distance import (
    M_PER_DEG_LAT_MIN,
    ahead_of,
    distance_m,
    metres_per_degree,
    wrap_lon,
)
from korgoo.geo.uncertainty import (
    STALE_RADIUS_CAP_M,
    prob_beyond,
    prob_within,
    stale_radius_m,
)
from korgoo.geo.zone_shapes import validate_zone
from korgoo.geo.zones import CompiledZone, Containment

__all__ = [
    "M_PER_DEG_LAT_MIN",
    "STALE_RADIUS_CAP_M",
    "CompiledZone",
    "Containment",
    "ahead_of",
    "distance_m",
    "metres_per_degree",
    "prob_beyond",
    "prob_within",
    "stale_radius_m",
    "validate_zone",
    "wrap_lon",
]
