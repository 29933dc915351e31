"""The Bishkek model: districts, places, distances and street-grid paths."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from pyproj import Geod

from korgoo_lab.sim.city import (
    BBOX,
    CENTRE_LAT,
    CENTRE_LON,
    PLACES,
    district_of,
    grid_path,
    haversine_m,
    in_bbox,
    place,
    to_latlon,
    to_xy,
)

OKTYABRSKY_NEIGHBOURHOODS = [
    "Asanbay",
    "Vostok-5",
    "Tunguch",
    "Kok-Zhar",
    "Alamedin-1",
    "Magistral",
]


def test_every_place_lies_in_the_city_and_in_a_district() -> None:
    assert len(PLACES) >= 40
    for p in PLACES:
        assert in_bbox(p.lat, p.lon), p.name
        assert district_of(p.lat, p.lon) is not None, p.name


@pytest.mark.parametrize("name", OKTYABRSKY_NEIGHBOURHOODS)
def test_south_eastern_microdistricts_are_in_oktyabrsky(name: str) -> None:
    p = place(name)
    assert district_of(p.lat, p.lon) == "Oktyabrsky"


def test_each_district_has_its_police_station_inside_it() -> None:
    for district in ("Leninsky", "Oktyabrsky", "Pervomaisky", "Sverdlovsky"):
        station = place(f"Police, {district} district")
        assert district_of(station.lat, station.lon) == district


def test_the_centre_and_the_northern_bazaar_are_not_in_oktyabrsky() -> None:
    assert district_of(CENTRE_LAT, CENTRE_LON) not in (None, "Oktyabrsky")
    dordoi = place("Dordoi bazaar")
    assert district_of(dordoi.lat, dordoi.lon) == "Sverdlovsky"
    south, west, _, _ = BBOX
    assert district_of(south - 0.05, west) is None  # outside the city


def test_local_plane_distances_agree_with_the_ellipsoid() -> None:
    geod = Geod(ellps="WGS84")
    a, b = place("Asanbay"), place("Osh bazaar")
    _, _, true_m = geod.inv(a.lon, a.lat, b.lon, b.lat)
    plane_m = math.dist(to_xy(a.lat, a.lon), to_xy(b.lat, b.lon))
    assert abs(plane_m - true_m) / true_m < 0.005
    assert abs(haversine_m(a.lat, a.lon, b.lat, b.lon) - true_m) / true_m < 0.005
    lat, lon = to_latlon(*to_xy(a.lat, a.lon))
    assert (lat, lon) == pytest.approx((a.lat, a.lon), abs=1e-9)


def test_grid_paths_run_along_the_grid_from_start_to_end() -> None:
    rng = random.Random(3)
    for _ in range(200):
        a = (rng.uniform(-5000, 5000), rng.uniform(-5000, 5000))
        b = (rng.uniform(-5000, 5000), rng.uniform(-5000, 5000))
        path = grid_path(a, b, rng)
        assert path[0] == a
        assert path[-1] == pytest.approx(b)
        for (x0, y0), (x1, y1) in itertools.pairwise(path):
            # Each leg runs east-west or north-south, never diagonally.
            assert abs(x1 - x0) < 1e-6 or abs(y1 - y0) < 1e-6
        length = sum(math.dist(p, q) for p, q in itertools.pairwise(path))
        assert length == pytest.approx(abs(b[0] - a[0]) + abs(b[1] - a[1]), rel=1e-6)
