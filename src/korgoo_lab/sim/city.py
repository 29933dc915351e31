"""A model of Bishkek for the simulator: districts, named places, street-grid paths.

Coordinates are approximate (to ~100-300 m), written from general knowledge of the
city, not surveyed; they are good enough to put homes, schools, markets and police
stations in the right part of the right district. The four district polygons are
rough rectangles around the real boundaries: Pervomaisky is the north-west and
centre, Leninsky the west and south-west, Sverdlovsky the north-east, Oktyabrsky
the south-east and east.

Movement works in a local plane (metres east `x`, metres north `y` of the city
centre), which is accurate to well under a metre across the city. Paths follow the
city's mostly north-south / east-west street grid: a trip is a staircase of legs.
"""

from __future__ import annotations

import math
import random
from enum import StrEnum
from functools import cache

import msgspec
from shapely.geometry import Point, Polygon

CENTRE_LAT = 42.8746
CENTRE_LON = 74.5698
# A sphere of the mean Earth radius, as haversine uses: metres here and great-circle
# distances agree, and both are within 0.2 % of the WGS84 ellipsoid in Bishkek.
EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(CENTRE_LAT))  # at the centre

# The area the simulator keeps everyone inside (Dordoi bazaar sits at the north edge).
BBOX = (42.790, 74.470, 42.950, 74.720)  # south, west, north, east

SPEED_M_S = {"walk": 1.3, "bus": 6.0, "car": 10.0}


class Environment(StrEnum):
    """Where a device is, as far as satellite reception goes."""

    OUTDOOR = "outdoor"
    URBAN_CANYON = "urban_canyon"
    INDOOR = "indoor"


class Place(msgspec.Struct, frozen=True):
    name: str
    kind: str  # residential, home, school, market, workplace, hospital, police, ministry
    lat: float
    lon: float
    env: Environment = Environment.INDOOR


# (lon, lat) rings in GeoJSON order.
DISTRICTS: dict[str, tuple[tuple[float, float], ...]] = {
    "Leninsky": (
        (74.470, 42.790),
        (74.595, 42.790),
        (74.595, 42.872),
        (74.580, 42.872),
        (74.580, 42.880),
        (74.470, 42.880),
    ),
    "Pervomaisky": (
        (74.470, 42.880),
        (74.580, 42.880),
        (74.580, 42.872),
        (74.605, 42.872),
        (74.605, 42.950),
        (74.470, 42.950),
    ),
    "Sverdlovsky": (
        (74.605, 42.872),
        (74.720, 42.872),
        (74.720, 42.950),
        (74.605, 42.950),
    ),
    "Oktyabrsky": (
        (74.595, 42.790),
        (74.720, 42.790),
        (74.720, 42.872),
        (74.595, 42.872),
    ),
}

_I = Environment.INDOOR
_O = Environment.OUTDOOR
_U = Environment.URBAN_CANYON

PLACES: tuple[Place, ...] = (
    # Residential microdistricts and neighbourhoods (centre points).
    Place("Asanbay", "residential", 42.8185, 74.6260),
    Place("Vostok-5", "residential", 42.8365, 74.6610),
    Place("Tunguch", "residential", 42.8470, 74.6440),
    Place("Kok-Zhar", "residential", 42.8190, 74.6050),
    Place("Alamedin-1", "residential", 42.8590, 74.6470),
    Place("Magistral", "residential", 42.8290, 74.6420),
    Place("12th microdistrict", "residential", 42.8425, 74.6150),
    Place("6th microdistrict", "residential", 42.8380, 74.6050),
    Place("Dzhal", "residential", 42.8305, 74.5780),
    Place("Ak-Orgo", "residential", 42.8950, 74.5550),
    Place("Kara-Zhygach", "residential", 42.9050, 74.6450),
    # Schools and kindergartens.
    Place("School, Asanbay", "school", 42.8200, 74.6235),
    Place("School, Vostok-5", "school", 42.8380, 74.6570),
    Place("School, Tunguch", "school", 42.8460, 74.6420),
    Place("School, 12th microdistrict", "school", 42.8440, 74.6130),
    Place("School, Kok-Zhar", "school", 42.8175, 74.6080),
    Place("Kindergarten, Alamedin-1", "school", 42.8575, 74.6450),
    # Markets: open stalls between tall blocks, so reception is poor.
    Place("Osh bazaar", "market", 42.8753, 74.5697, _U),
    Place("Dordoi bazaar", "market", 42.9390, 74.6195, _O),
    Place("Alamedin bazaar", "market", 42.8800, 74.6400, _U),
    Place("Orto-Sai bazaar", "market", 42.8230, 74.6130, _O),
    Place("Madina bazaar", "market", 42.8800, 74.5800, _U),
    # Workplaces.
    Place("TsUM department store", "workplace", 42.8765, 74.6140),
    Place("Bishkek Park mall", "workplace", 42.8750, 74.5905),
    Place("Asia Mall", "workplace", 42.8555, 74.5860),
    Place("Vefa Centre", "workplace", 42.8570, 74.6090),
    Place("Bishkek-2 railway station", "workplace", 42.8645, 74.6055, _U),
    Place("Thermal power plant", "workplace", 42.8890, 74.6600),
    Place("Eastern bus station", "workplace", 42.8830, 74.6650, _O),
    Place("City hall", "workplace", 42.8770, 74.6060),
    Place("Construction site, Magistral", "workplace", 42.8270, 74.6500, _O),
    Place("Garage cooperative, Vostok-5", "workplace", 42.8330, 74.6680, _O),
    # Hospitals.
    Place("National Hospital", "hospital", 42.8665, 74.5975),
    Place("City Emergency Hospital", "hospital", 42.8840, 74.6450),
    Place("Family medicine centre, Oktyabrsky", "hospital", 42.8450, 74.6250),
    # Police: the internal-affairs department of each district (approximate).
    Place("Police, Leninsky district", "police", 42.8650, 74.5700),
    Place("Police, Oktyabrsky district", "police", 42.8530, 74.6230),
    Place("Police, Pervomaisky district", "police", 42.8810, 74.5890),
    Place("Police, Sverdlovsky district", "police", 42.8850, 74.6300),
    Place("Ministry of Justice", "ministry", 42.8785, 74.6120),
)

PLACES_BY_NAME: dict[str, Place] = {p.name: p for p in PLACES}

# The dense centre, where tall buildings spoil reception for anyone on the street.
_CENTRE_BOX = (42.866, 74.580, 42.886, 74.620)


def place(name: str) -> Place:
    return PLACES_BY_NAME[name]


def to_xy(lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north of the city centre."""
    return (lon - CENTRE_LON) * M_PER_DEG_LON, (lat - CENTRE_LAT) * M_PER_DEG_LAT


def metres_per_deg_lon(lat: float) -> float:
    return M_PER_DEG_LAT * math.cos(math.radians(lat))


def to_latlon(x: float, y: float) -> tuple[float, float]:
    return CENTRE_LAT + y / M_PER_DEG_LAT, CENTRE_LON + x / M_PER_DEG_LON


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@cache
def _district_polygons() -> dict[str, Polygon]:
    return {name: Polygon(ring) for name, ring in DISTRICTS.items()}


def district_of(lat: float, lon: float) -> str | None:
    point = Point(lon, lat)
    for name, polygon in _district_polygons().items():
        if polygon.covers(point):
            return name
    return None


def in_bbox(lat: float, lon: float) -> bool:
    south, west, north, east = BBOX
    return south <= lat <= north and west <= lon <= east


def street_environment(x: float, y: float) -> Environment:
    lat, lon = to_latlon(x, y)
    south, west, north, east = _CENTRE_BOX
    if south <= lat <= north and west <= lon <= east:
        return Environment.URBAN_CANYON
    return Environment.OUTDOOR


def offset_place(base: Place, name: str, kind: str, rng: random.Random, radius_m: float) -> Place:
    """A point near `base` (a home in a microdistrict, say), uniformly in a disc."""
    r = radius_m * math.sqrt(rng.random())
    a = rng.uniform(0.0, 2 * math.pi)
    x, y = to_xy(base.lat, base.lon)
    lat, lon = to_latlon(x + r * math.cos(a), y + r * math.sin(a))
    return Place(name, kind, lat, lon, Environment.INDOOR)


def grid_path(
    a: tuple[float, float], b: tuple[float, float], rng: random.Random
) -> tuple[tuple[float, float], ...]:
    """Waypoints from `a` to `b` along the street grid: one to three turns."""
    (x0, y0), (x1, y1) = a, b
    fractions = [*sorted(rng.uniform(0.15, 0.85) for _ in range(rng.randint(0, 2))), 1.0]
    east_first = rng.random() < 0.5
    points = [(x0, y0)]
    x, y = x0, y0
    for f in fractions:
        nx, ny = x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
        points += [(nx, y), (nx, ny)] if east_first else [(x, ny), (nx, ny)]
        x, y = nx, ny
    return _dedupe(points)


def _dedupe(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    out = [points[0]]
    for p in points[1:]:
        if abs(p[0] - out[-1][0]) > 0.01 or abs(p[1] - out[-1][1]) > 0.01:
            out.append(p)
    return tuple(out)
