"""Geometry: distances against pyproj's exact geodesic, uncertainty classes, zones."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from korgoo.domain.terms import ScheduleWindow, ZoneSpec
from korgoo.geo import (
    STALE_RADIUS_CAP_M,
    CompiledZone,
    Containment,
    ahead_of,
    distance_m,
    prob_beyond,
    prob_within,
    stale_radius_m,
    validate_zone,
)

GEOD = Geod(ellps="WGS84")

# A city block in central Bishkek, [lon, lat] as in GeoJSON: ~530 m east-west, ~470 m north-south.
BLOCK_W, BLOCK_E, BLOCK_S, BLOCK_N = 74.5975, 74.6040, 42.8703, 42.8745
BLOCK = [
    [BLOCK_W, BLOCK_S],
    [BLOCK_E, BLOCK_S],
    [BLOCK_E, BLOCK_N],
    [BLOCK_W, BLOCK_N],
    [BLOCK_W, BLOCK_S],
]
# A courtyard cut out of the block.
COURTYARD = [[74.5995, 42.8715], [74.6020, 42.8715], [74.6020, 42.8732], [74.5995, 42.8732]]
COURTYARD.append(COURTYARD[0])
# An L-shaped (concave) school ground nearby.
L_SHAPE = [
    [74.6100, 42.8800],
    [74.6160, 42.8800],
    [74.6160, 42.8820],
    [74.6125, 42.8820],
    [74.6125, 42.8860],
    [74.6100, 42.8860],
    [74.6100, 42.8800],
]
HOME = (42.8746, 74.5698)  # lat, lon of a circle zone's centre


def polygon_zone(*rings: list[list[float]], zone_id: str = "block") -> CompiledZone:
    geometry: dict[str, object] = {"type": "Polygon", "coordinates": [list(r) for r in rings]}
    return CompiledZone(ZoneSpec(zone_id, zone_id, "exclusion", geometry))


def circle_zone(lat: float, lon: float, radius_m: float, kind: str = "exclusion") -> CompiledZone:
    geometry: dict[str, object] = {"type": "Point", "coordinates": [lon, lat]}
    return CompiledZone(ZoneSpec("home", "home", kind, geometry, radius_m=radius_m))


def expected_containment(sd: float, acc: float) -> Containment:
    if sd <= -acc:
        return Containment.INSIDE
    if sd >= acc:
        return Containment.OUTSIDE
    return Containment.UNCERTAIN


# --- distance_m ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "lat", "lon"),
    [
        ("Bishkek", 42.87, 74.59),
        ("equator", 0.0, 10.0),
        ("70N", 70.0, 25.0),
        ("79.9S", -79.9, -60.0),
        ("79.9N", 79.9, 100.0),
        ("antimeridian", 52.0, 179.99),
        ("antimeridian west", -16.0, -179.995),
    ],
)
def test_distance_matches_pyproj_geodesic_within_0_1_percent(
    region: str, lat: float, lon: float
) -> None:
    rnd = random.Random(f"distance-{region}")
    n = 5000
    lats = [lat + rnd.uniform(-0.05, 0.05) for _ in range(n)]
    lons = [lon + rnd.uniform(-0.05, 0.05) for _ in range(n)]
    lons = [x - 360.0 if x > 180.0 else x + 360.0 if x < -180.0 else x for x in lons]
    dists = [10 ** rnd.uniform(0.0, 5.0) for _ in range(n)]  # 1 m .. 100 km, log-uniform
    azimuths = [rnd.uniform(-180.0, 180.0) for _ in range(n)]
    lons2, lats2, _ = GEOD.fwd(lons, lats, azimuths, dists)
    _, _, exact = GEOD.inv(lons, lats, lons2, lats2)

    worst, where = 0.0, ""
    for a_lat, a_lon, b_lat, b_lon, d in zip(lats, lons, lats2, lons2, exact, strict=True):
        err = abs(distance_m(a_lat, a_lon, b_lat, b_lon) - d) / d
        if err > worst:
            worst, where = (
                err,
                f"({a_lat:.5f}, {a_lon:.5f}) -> ({b_lat:.5f}, {b_lon:.5f}), {d:.1f} m",
            )
    assert worst < 1e-3, f"{region}: max relative error {worst:.2e} at {where}"
    if region == "Bishkek":
        assert worst < 2e-4, f"{region}: max relative error {worst:.2e} at {where}"


def test_distance_across_the_antimeridian_is_short() -> None:
    d = distance_m(10.0, 179.9995, 10.0, -179.9995)
    _, _, exact = GEOD.inv(179.9995, 10.0, -179.9995, 10.0)
    assert d == pytest.approx(exact, rel=1e-4)
    assert d < 200.0


def test_distance_is_symmetric_and_zero_for_the_same_point() -> None:
    assert distance_m(42.87, 74.59, 42.87, 74.59) == 0.0
    assert distance_m(42.87, 74.59, 42.88, 74.61) == distance_m(42.88, 74.61, 42.87, 74.59)


# --- stale_radius_m -------------------------------------------------------------------


def test_stale_radius_grows_with_age_and_speed() -> None:
    assert stale_radius_m(10.0, 0.0, 5.0) == 10.0
    assert stale_radius_m(10.0, 60.0, 1.5) == 100.0


def test_stale_radius_does_not_shrink_for_a_fix_from_the_future() -> None:
    assert stale_radius_m(10.0, -30.0, 5.0) == 10.0


def test_stale_radius_is_capped() -> None:
    assert stale_radius_m(10.0, 86_400.0, 30.0) == STALE_RADIUS_CAP_M == 50_000.0


# --- circle zones ---------------------------------------------------------------------------


@pytest.mark.parametrize("offset_m", [-250.0, -60.0, -1.0, 0.5, 40.0, 700.0, 20_000.0])
@pytest.mark.parametrize("azimuth", [0.0, 63.0, 90.0, 200.0])
def test_circle_signed_distance_matches_geodesic(offset_m: float, azimuth: float) -> None:
    zone = circle_zone(*HOME, radius_m=300.0)
    lon, lat, _ = GEOD.fwd(HOME[1], HOME[0], azimuth, 300.0 + offset_m)
    assert zone.signed_distance_m(lat, lon) == pytest.approx(offset_m, abs=1e-3 * (300 + offset_m))


@pytest.mark.parametrize(
    ("offset_m", "acc", "expected"),
    [
        (-50.0, 49.0, Containment.INSIDE),
        (-50.0, 51.0, Containment.UNCERTAIN),
        (50.0, 49.0, Containment.OUTSIDE),
        (50.0, 51.0, Containment.UNCERTAIN),
        (0.0, 5.0, Containment.UNCERTAIN),
        (-120.0, 0.0, Containment.INSIDE),
        (5000.0, 300.0, Containment.OUTSIDE),
    ],
)
def test_circle_classify(offset_m: float, acc: float, expected: Containment) -> None:
    zone = circle_zone(*HOME, radius_m=300.0)
    lon, lat, _ = GEOD.fwd(HOME[1], HOME[0], 45.0, 300.0 + offset_m)
    assert zone.classify(lat, lon, acc) is expected


def test_circle_centre_is_inside_by_the_radius() -> None:
    zone = circle_zone(*HOME, radius_m=300.0)
    assert zone.signed_distance_m(*HOME) == -300.0
    assert zone.zone_id == "home"
    assert zone.kind == "exclusion"


# --- polygon zones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "edge_lat", "edge_lon", "sign"),
    [
        (42.8740, 74.6005, BLOCK_N, 74.6005, -1.0),  # inside, near the north edge
        (42.8750, 74.6005, BLOCK_N, 74.6005, 1.0),  # outside, north
        (42.8720, 74.6035, 42.8720, BLOCK_E, -1.0),  # inside, near the east edge
        (42.8720, 74.6100, 42.8720, BLOCK_E, 1.0),  # outside, east
        (42.8690, 74.5985, BLOCK_S, 74.5985, 1.0),  # outside, south
    ],
)
def test_polygon_signed_distance_matches_geodesic_to_the_nearest_edge(
    lat: float, lon: float, edge_lat: float, edge_lon: float, sign: float
) -> None:
    zone = polygon_zone(BLOCK)
    _, _, exact = GEOD.inv(lon, lat, edge_lon, edge_lat)
    sd = zone.signed_distance_m(lat, lon)
    assert sd == pytest.approx(sign * exact, rel=2e-3, abs=0.05)


def test_polygon_classify_block() -> None:
    zone = polygon_zone(BLOCK)
    assert zone.classify(42.8724, 74.6008, 20.0) is Containment.INSIDE  # middle of the block
    assert zone.classify(42.8790, 74.6008, 20.0) is Containment.OUTSIDE  # 500 m north
    assert zone.classify(42.8745, 74.6008, 5.0) is Containment.UNCERTAIN  # on the north edge
    assert zone.classify(42.8724, 74.6008, 1000.0) is Containment.UNCERTAIN  # disc covers it all


def test_polygon_with_hole() -> None:
    zone = polygon_zone(BLOCK, COURTYARD)
    # Middle of the courtyard: outside the zone, ~95 m from the courtyard's north/south sides.
    sd = zone.signed_distance_m(42.87235, 74.60075)
    _, _, to_north = GEOD.inv(74.60075, 42.87235, 74.60075, 42.8732)
    assert sd == pytest.approx(to_north, rel=2e-3)
    assert zone.classify(42.87235, 74.60075, 20.0) is Containment.OUTSIDE
    # Between the courtyard and the block's west edge: inside.
    assert zone.classify(42.8724, 74.5985, 20.0) is Containment.INSIDE
    assert zone.signed_distance_m(42.8724, 74.5985) < -50.0


def test_polygon_across_the_antimeridian() -> None:
    ring = [[179.995, -16.0], [-179.995, -16.0], [-179.995, -15.99], [179.995, -15.99]]
    zone = polygon_zone([*ring, ring[0]], zone_id="island")
    assert zone.classify(-15.995, 180.0, 10.0) is Containment.INSIDE
    assert zone.classify(-15.995, -180.0, 10.0) is Containment.INSIDE
    assert zone.classify(-15.995, 179.99, 10.0) is Containment.OUTSIDE
    _, _, exact = GEOD.inv(-179.99, -15.995, -179.995, -15.995)
    assert zone.signed_distance_m(-15.995, -179.99) == pytest.approx(exact, rel=2e-3)


def test_polygon_drawn_as_a_circle_agrees_with_the_circle_zone() -> None:
    """The polygon path (projection + GEOS) and the circle path (distance_m) are independent."""
    n = 720
    ring = []
    for k in range(n):
        lon, lat, _ = GEOD.fwd(HOME[1], HOME[0], k * 360.0 / n, 400.0)
        ring.append([lon, lat])
    ring.append(ring[0])
    as_polygon = polygon_zone(ring, zone_id="drawn")
    as_circle = circle_zone(*HOME, radius_m=400.0)
    rnd = random.Random(7)
    for _ in range(500):
        lon, lat, _ = GEOD.fwd(HOME[1], HOME[0], rnd.uniform(0, 360), rnd.uniform(0, 3000))
        sd_circle = as_circle.signed_distance_m(lat, lon)
        # The 720-gon's chords sag by at most 400·(1 - cos(π/720)) ≈ 4 mm.
        assert as_polygon.signed_distance_m(lat, lon) == pytest.approx(
            sd_circle, abs=0.05 + 1e-3 * abs(sd_circle)
        )


def test_nan_position_is_uncertain() -> None:
    for zone, (lat, lon) in (
        (polygon_zone(BLOCK), (42.8724, 74.6008)),
        (circle_zone(*HOME, 300.0), HOME),
    ):
        assert zone.classify(math.nan, lon, 10.0) is Containment.UNCERTAIN
        assert zone.classify(lat, math.nan, 10.0) is Containment.UNCERTAIN
        assert zone.far_outside(math.nan, lon, 100.0) is False
        assert zone.far_outside(lat, math.nan, 100.0) is False
        assert zone.classify(lat, lon, math.nan) is Containment.UNCERTAIN


ZONES = {
    "block": polygon_zone(BLOCK),
    "block with courtyard": polygon_zone(BLOCK, COURTYARD),
    "L-shape": polygon_zone(L_SHAPE, zone_id="school"),
    "circle": circle_zone(*HOME, radius_m=300.0),
}
CENTRES = {
    "block": (42.8724, 74.60075),
    "block with courtyard": (42.8724, 74.60075),
    "L-shape": (42.8830, 74.6130),
    "circle": HOME,
}

around = st.tuples(
    st.sampled_from(sorted(ZONES)),
    st.floats(-0.02, 0.02),  # up to ~2 km north/south of the zone's centre
    st.floats(-0.03, 0.03),  # up to ~2.5 km east/west
)


def placed(where: tuple[str, float, float]) -> tuple[CompiledZone, float, float]:
    """The zone a drawn point belongs to, and the point."""
    name, dlat, dlon = where
    return ZONES[name], CENTRES[name][0] + dlat, CENTRES[name][1] + dlon


near = st.tuples(
    st.sampled_from(sorted(ZONES)),
    st.floats(-0.006, 0.006),  # within ~700 m: mostly on the clearance grid
    st.floats(-0.008, 0.008),
)


@settings(max_examples=1500, deadline=None)
@given(near, st.floats(0.0, 400.0))
def test_classify_agrees_with_the_exact_signed_distance(
    where: tuple[str, float, float], acc: float
) -> None:
    """The clearance grid's shortcuts never change the answer the exact distance gives."""
    zone, lat, lon = placed(where)
    sd = zone.signed_distance_m(lat, lon)
    assert zone.classify(lat, lon, acc) is expected_containment(sd, acc)
    # At the edge of certainty: a disc exactly |sd| wide is still wholly on one side,
    # a centimetre wider is not.
    assert zone.classify(lat, lon, abs(sd)) is expected_containment(sd, abs(sd))
    assert zone.classify(lat, lon, abs(sd) + 0.01) is Containment.UNCERTAIN


@settings(max_examples=1500, deadline=None)
@given(around, st.floats(0.0, 3000.0))
def test_far_outside_and_the_box_never_say_far_within_the_margin(
    where: tuple[str, float, float], margin: float
) -> None:
    zone, lat, lon = placed(where)
    far = zone.far_outside(lat, lon, margin)
    if far:
        assert zone.signed_distance_m(lat, lon) > margin
    box = zone.box(margin)
    assert box is not None
    if not (box[0] <= lat <= box[1] and box[2] <= lon <= box[3]):
        assert far  # the box says no more than far_outside does
        assert zone.signed_distance_m(lat, lon) > margin


@settings(max_examples=500, deadline=None)
@given(st.floats(-180.0, 180.0), st.floats(0.0, 100_000.0))
def test_far_outside_circle_holds_against_the_true_geodesic(azimuth: float, margin: float) -> None:
    zone = circle_zone(*HOME, radius_m=300.0)
    # Just within the margin, measured by pyproj rather than by distance_m.
    lon, lat, _ = GEOD.fwd(HOME[1], HOME[0], azimuth, 300.0 + margin * 0.999)
    assert not zone.far_outside(lat, lon, margin)


def test_the_box_holds_the_zone_and_its_margin() -> None:
    zone = circle_zone(*HOME, radius_m=300.0)
    box = zone.box(1000.0)
    assert box is not None
    lat_min, lat_max, lon_min, lon_max = box
    for azimuth in range(0, 360, 15):
        lon, lat, _ = GEOD.fwd(HOME[1], HOME[0], azimuth, 1299.0)
        assert lat_min < lat < lat_max and lon_min < lon < lon_max, azimuth
    # Not much more than that: about 1.3 km each way, not 10.
    assert (lat_max - lat_min) * 111_000.0 < 2 * 1300.0 * 1.05


def test_no_box_across_the_antimeridian_or_beyond_the_precheck_margin() -> None:
    ring = [[179.995, -16.0], [-179.995, -16.0], [-179.995, -15.99], [179.995, -15.99]]
    assert polygon_zone([*ring, ring[0]], zone_id="island").box(100.0) is None
    assert circle_zone(-16.0, 179.99, radius_m=300.0).box(2000.0) is None
    assert circle_zone(*HOME, radius_m=300.0).box(200_000.0) is None


def test_far_outside_says_true_for_points_clearly_beyond_the_margin() -> None:
    for name, zone in ZONES.items():
        lat, lon = CENTRES[name]
        assert zone.far_outside(lat + 0.05, lon, 500.0), name  # ~5.5 km north
        assert zone.far_outside(lat, lon - 0.08, 500.0), name  # ~6.5 km west
        assert not zone.far_outside(lat, lon, 500.0), name
        assert not zone.far_outside(lat + 0.05, lon, 200_000.0), name  # margin too large to know


# --- validation -----------------------------------------------------------------------------


def spec(geometry: object, radius_m: float = 0.0, kind: str = "exclusion") -> ZoneSpec:
    return ZoneSpec("home", "home", kind, geometry, radius_m=radius_m)  # type: ignore[arg-type]


BOW_TIE = [[74.60, 42.87], [74.61, 42.88], [74.61, 42.87], [74.60, 42.88], [74.60, 42.87]]
FAR_HOLE = [[74.70, 42.97], [74.71, 42.97], [74.71, 42.98], [74.70, 42.97]]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (spec({"type": "LineString", "coordinates": BLOCK}), "must be a GeoJSON 'Point'"),
        (spec("not a geometry"), "must be a GeoJSON 'Point'"),
        (spec({"type": "Polygon", "coordinates": [BLOCK[:3]]}), "at least 4 points"),
        (spec({"type": "Polygon", "coordinates": []}), "list of rings"),
        (spec({"type": "Polygon", "coordinates": [BLOCK[:4]]}), "outer ring is not closed"),
        (spec({"type": "Polygon", "coordinates": [BOW_TIE]}), "edges cross each other near"),
        (spec({"type": "Polygon", "coordinates": [BLOCK, FAR_HOLE]}), "hole lies outside"),
        (spec({"type": "Point", "coordinates": [74.6, 42.87]}), "radius_m must be more than 0"),
        (spec({"type": "Point", "coordinates": [74.6, 42.87]}, -5.0), "radius_m must be"),
        (spec({"type": "Point", "coordinates": [74.6, 42.87]}, math.nan), "radius_m must be"),
        (spec({"type": "Point", "coordinates": [74.6, 42.87]}, 60_000.0), "at most 50000"),
        (spec({"type": "Point", "coordinates": [194.6, 42.87]}, 100.0), "longitude 194.6"),
        (spec({"type": "Point", "coordinates": [74.6, 92.87]}, 100.0), "latitude 92.87"),
        (spec({"type": "Point", "coordinates": [74.6, 85.0]}, 100.0), "not supported"),
        (spec({"type": "Point", "coordinates": ["74.6", 42.87]}, 100.0), "must be [longitude"),
        (spec({"type": "Point", "coordinates": [True, 42.87]}, 100.0), "must be [longitude"),
        (spec({"type": "Point", "coordinates": [74.6]}, 100.0), "must be [longitude"),
        (spec({"type": "Polygon", "coordinates": [BLOCK]}, 100.0), "only to a Point"),
        (spec({"type": "Point", "coordinates": [74.6, 42.87]}, 100.0, "forbidden"), "kind must"),
        (
            spec({"type": "Polygon", "coordinates": [[[74, 42], [76, 42], [76, 43], [74, 42]]]}),
            "km across",
        ),
    ],
)
def test_bad_zones_raise_value_error_saying_what_is_wrong(bad: ZoneSpec, message: str) -> None:
    with pytest.raises(ValueError, match=r"^zone 'home': ") as err:
        validate_zone(bad)
    assert message in str(err.value)
    with pytest.raises(ValueError, match=r"^zone 'home': "):
        CompiledZone(bad)


def test_short_ring_message_reads_well() -> None:
    with pytest.raises(ValueError) as err:
        validate_zone(spec({"type": "Polygon", "coordinates": [BLOCK[:3]]}))
    assert str(err.value).startswith("zone 'home': polygon ring must have at least 4 points")


def test_bad_schedule_is_a_bad_zone() -> None:
    bad = ZoneSpec(
        "school",
        "school",
        "exclusion",
        {"type": "Point", "coordinates": [74.6, 42.87]},
        radius_m=100.0,
        schedule=(ScheduleWindow(days=(7,), start=480, end=900),),
    )
    with pytest.raises(ValueError, match=r"^zone 'school': schedule window 1: days"):
        validate_zone(bad)


def test_good_zones_validate() -> None:
    validate_zone(spec({"type": "Polygon", "coordinates": [BLOCK, COURTYARD]}))
    validate_zone(spec({"type": "Point", "coordinates": [74.6, 42.87, 780.0]}, 150.0, "inclusion"))


@pytest.mark.parametrize("name", ["block", "block with courtyard", "L-shape"])
def test_classify_agrees_with_exact_distance_on_a_dense_lattice(name: str) -> None:
    """Every grid cell near the zone, at accuracies around the cell size."""
    zone = ZONES[name]
    lat0, lon0 = CENTRES[name]
    for i in range(-80, 81):
        for j in range(-80, 81):
            lat, lon = lat0 + i * 0.0001, lon0 + j * 0.00013  # ~11 m steps, ~1.8 km square
            sd = zone.signed_distance_m(lat, lon)
            for acc in (0.0, 3.0, 12.0, 60.0):
                assert zone.classify(lat, lon, acc) is expected_containment(sd, acc), (
                    lat,
                    lon,
                    acc,
                )


def test_fixes_away_from_the_boundary_need_no_exact_geometry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zone = polygon_zone(BLOCK)

    def exact_not_expected(self: CompiledZone, x: float, y: float) -> float:
        raise AssertionError("the clearance grid should have answered")

    monkeypatch.setattr(CompiledZone, "_polygon_signed_distance", exact_not_expected)
    assert zone.classify(42.8724, 74.6008, 20.0) is Containment.INSIDE
    assert zone.classify(42.8760, 74.6008, 20.0) is Containment.OUTSIDE
    assert zone.classify(42.9500, 74.6008, 20.0) is Containment.OUTSIDE  # beyond the grid


# --- breach probability -----------------------------------------------------------


def test_prob_within_matches_monte_carlo() -> None:
    rng = random.Random(3)
    for d, s, limit in ((0.0, 50.0, 100.0), (390.0, 85.0, 500.0), (700.0, 85.0, 500.0)):
        n = 40_000
        hits = sum(math.hypot(d + rng.gauss(0.0, s), rng.gauss(0.0, s)) < limit for _ in range(n))
        assert prob_within(d, s, limit) == pytest.approx(hits / n, abs=0.01)


def test_prob_within_is_monotone_and_bounded() -> None:
    ps = [prob_within(d, 60.0, 500.0) for d in range(0, 1200, 25)]
    assert all(0.0 <= p <= 1.0 for p in ps)
    assert all(a >= b for a, b in itertools.pairwise(ps))
    assert ps[0] == 1.0 and ps[-1] == 0.0
    # More uncertainty pulls a clear inside down and a clear outside up.
    assert prob_within(300.0, 150.0, 500.0) < prob_within(300.0, 50.0, 500.0)
    assert prob_within(700.0, 150.0, 500.0) > prob_within(700.0, 50.0, 500.0)
    # The edge of the normal approximation agrees with the series.
    assert prob_within(1000.0, 80.0, 1000.0) == pytest.approx(0.5, abs=0.02)


def test_prob_beyond_is_the_normal_cdf() -> None:
    assert prob_beyond(0.0, 10.0) == pytest.approx(0.5)
    assert prob_beyond(15.0, 10.0) == pytest.approx(0.9332, abs=1e-3)
    assert prob_beyond(-100.0, 10.0) == 0.0 and prob_beyond(100.0, 10.0) == 1.0


@pytest.mark.parametrize("course", [0.0, 45.0, 90.0, 200.0, 315.0])
def test_a_point_carried_on_a_course_is_that_far_away(course: float) -> None:
    lat, lon = ahead_of(42.87, 74.59, course, 150.0)
    assert distance_m(42.87, 74.59, lat, lon) == pytest.approx(150.0, rel=1e-4)
    if course == 90.0:  # due east: the latitude stays
        assert lat == pytest.approx(42.87, abs=1e-9) and lon > 74.59
