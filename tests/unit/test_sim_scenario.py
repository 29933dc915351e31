"""Golden-scenario descriptions turn into the exact events they describe."""

from __future__ import annotations

import copy
import math
from typing import Any

import msgspec
import pytest

from korgoo.domain.events import Fix, OrderChange, Signal, SignalKind, Tick
from korgoo.domain.terms import OrderKind
from korgoo_lab.sim.city import haversine_m, place
from korgoo_lab.sim.scenario import scenario_events

START = 1_767_290_400.0
ORIGIN = {"lat": 42.8400, "lon": 74.6300}

SPEC: dict[str, Any] = {
    "start": START,
    "duration_s": 1800,
    "origin": ORIGIN,
    "orders": [
        {
            "order_id": "o1",
            "respondent": {
                "person_id": "r1",
                "role": "respondent",
                "devices": [["imei-1", "bracelet"]],
            },
            "protected": [
                {"person_id": "p1", "role": "protected", "devices": [["va-1", "victim_app"]]}
            ],
            "min_distance_m": 500,
            "warning_distance_m": 1000,
            "zones": [
                {
                    "zone_id": "home",
                    "name": "Home",
                    "kind": "exclusion",
                    "center": {"east_m": 0, "north_m": 0},
                    "radius_m": 250,
                },
                {
                    "zone_id": "school",
                    "name": "School",
                    "kind": "exclusion",
                    "polygon": [
                        {"east_m": 900, "north_m": 0},
                        {"east_m": 1100, "north_m": 0},
                        {"east_m": 1100, "north_m": 150},
                        {"east_m": 900, "north_m": 150},
                    ],
                    "schedule": [{"days": [0, 1, 2, 3, 4], "start": 420, "end": 1080}],
                },
            ],
        }
    ],
    "devices": [
        {
            "device_id": "imei-1",
            "interval_s": 30,
            "delay_s": 2.0,
            "acc": 10,
            "battery": 80,
            "track": [
                {"t": 0, "east_m": 3000, "north_m": 0},
                {"t": 600, "east_m": 200, "north_m": 0, "acc": 25},
                {"t": 900, "east_m": 200, "north_m": 0},
            ],
            "gaps": [{"from": 300, "to": 480}],
            "off": [{"from": 1500, "to": None}],
            "jumps": [{"t": 700, "east_m": 600, "north_m": 0, "acc": 8}],
            "signals": [
                {"t": 120, "kind": "strap_open"},
                {"t": 400, "kind": "low_battery", "value": 20},
                {"t": 1000, "kind": "sos", "at": 1100},
            ],
        },
        {
            "device_id": "va-1",
            "interval_s": 60,
            "jitter_m": 5,
            "track": [{"t": 0, "place": "Tunguch"}],
        },
    ],
}


def fixes_of(events: list[Any], device_id: str) -> list[Fix]:
    return [e for e in events if isinstance(e, Fix) and e.device_id == device_id]


def test_order_terms_come_first_with_defaults_and_geojson_zones() -> None:
    events = scenario_events(SPEC)
    first = events[0]
    assert isinstance(first, OrderChange) and first.at == START
    terms = first.terms
    assert terms.kind is OrderKind.COURT and terms.version == 1 and terms.active_at(START)
    home, school = terms.zones
    assert home.geometry == {"type": "Point", "coordinates": [ORIGIN["lon"], ORIGIN["lat"]]}
    ring = school.geometry["coordinates"][0]  # type: ignore[index]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert haversine_m(ring[0][1], ring[0][0], ORIGIN["lat"], ORIGIN["lon"]) == pytest.approx(
        900.0, abs=1.0
    )
    assert school.schedule[0].start == 420


def test_track_is_followed_exactly_without_jitter() -> None:
    events = scenario_events(SPEC)
    fixes = {round(f.t - START): f for f in fixes_of(events, "imei-1")}
    at_300 = fixes[300]  # halfway from 3000 m east to 200 m east
    assert haversine_m(at_300.lat, at_300.lon, ORIGIN["lat"], ORIGIN["lon"]) == pytest.approx(
        1600.0, abs=1.0
    )
    assert at_300.speed == pytest.approx(2800 / 600, abs=0.01)
    assert at_300.heading == pytest.approx(270.0)  # heading west
    assert at_300.acc == 10 and fixes[600].acc == 25 and at_300.battery == 80
    held = fixes[1200]
    assert haversine_m(held.lat, held.lon, ORIGIN["lat"], ORIGIN["lon"]) == pytest.approx(
        200.0, abs=1.0
    )


def test_gap_buffers_off_silences_jump_displaces() -> None:
    events = scenario_events(SPEC)
    fixes = fixes_of(events, "imei-1")
    for f in fixes:
        offset = f.t - START
        if 300 <= offset < 480:
            assert f.at == START + 480 + 2.0  # uploaded when the network came back
        else:
            assert f.at == f.t + 2.0
    assert not [f for f in fixes if f.t - START >= 1500]
    jumped = [f for f in fixes if f.acc == 8]
    assert [round(f.t - START) for f in jumped] == [720]  # the next fix after t=700
    assert haversine_m(jumped[0].lat, jumped[0].lon, ORIGIN["lat"], ORIGIN["lon"]) > 700.0


def test_signals_with_their_receive_times() -> None:
    signals = {e.kind: e for e in scenario_events(SPEC) if isinstance(e, Signal)}
    assert signals[SignalKind.STRAP_OPEN].at == START + 122.0
    assert signals[SignalKind.LOW_BATTERY].at == START + 482.0  # sent in the gap
    assert signals[SignalKind.LOW_BATTERY].value == 20.0
    assert signals[SignalKind.SOS].t == START + 1000 and signals[SignalKind.SOS].at == START + 1100


def test_sorted_with_ticks_and_places_and_jitter() -> None:
    events = scenario_events(SPEC)
    ats = [e.at for e in events]
    assert ats == sorted(ats)
    assert sum(isinstance(e, Tick) for e in events) == 180
    tunguch = place("Tunguch")
    victim = fixes_of(events, "va-1")
    errors = [haversine_m(f.lat, f.lon, tunguch.lat, tunguch.lon) for f in victim]
    assert all(e < 30.0 for e in errors) and len({round(e, 3) for e in errors}) > 10
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert rms == pytest.approx(5.0 * math.sqrt(2), rel=0.35)


def test_deterministic_and_seed_changes_the_jitter() -> None:
    a = msgspec.json.encode(scenario_events(SPEC))
    assert a == msgspec.json.encode(scenario_events(copy.deepcopy(SPEC)))
    assert a != msgspec.json.encode(scenario_events({**SPEC, "seed": 1}))


def test_duration_defaults_to_after_the_last_time() -> None:
    spec = {k: v for k, v in SPEC.items() if k not in ("duration_s",)}
    ticks = [e for e in scenario_events(spec) if isinstance(e, Tick)]
    assert ticks[-1].at == START + 1060.0  # last signal at 1000 s, plus 60 s
