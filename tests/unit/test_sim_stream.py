"""The simulated event stream: ordering, determinism, noise, late uploads, incidents."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from statistics import median

import msgspec
import pytest
from shapely.geometry import Point, shape

from korgoo.domain.events import Event, Fix, OrderChange, Signal, SignalKind, Tick
from korgoo.domain.terms import DeviceKind
from korgoo_lab.sim.city import BBOX, haversine_m
from korgoo_lab.sim.population import Population, pilot_population
from korgoo_lab.sim.routines import (
    BatteryDeath,
    CoverageGap,
    SharingPause,
    StrapRemoval,
    SwitchOff,
)
from korgoo_lab.sim.stream import IncidentPlan, TrueFix, scripted_incidents, simulate

START = 1_767_272_400.0  # 2026-01-01 19:00 in Bishkek
HOURS = 3
SEED = 42


class Run(msgspec.Struct):
    pop: Population
    events: list[Event]
    truth: dict[tuple[str, float], TrueFix]


@pytest.fixture(scope="module")
def run() -> Run:
    pop = scripted_incidents(pilot_population(SEED, START), START)
    truth: list[TrueFix] = []
    events = list(simulate(pop, START, HOURS * 3600.0, SEED, truth=truth))
    return Run(pop, events, {(f.device_id, round(f.t, 3)): f for f in truth})


def by_device(events: list[Event]) -> dict[str, list[Fix | Signal]]:
    out: dict[str, list[Fix | Signal]] = defaultdict(list)
    for e in events:
        if isinstance(e, Fix | Signal):
            out[e.device_id].append(e)
    return out


def scripted(pop: Population, kind: type) -> tuple[str, object]:
    for s in pop.subjects:
        for d in s.devices:
            for script in d.scripts:
                if isinstance(script, kind):
                    return d.device_id, script
    raise AssertionError(f"no {kind.__name__} script")


def test_same_seed_gives_identical_bytes_other_seed_differs() -> None:
    pop = scripted_incidents(pilot_population(1, START), START)
    a = msgspec.json.encode(list(simulate(pop, START, 1800.0, seed=9)))
    b = msgspec.json.encode(list(simulate(pop, START, 1800.0, seed=9)))
    c = msgspec.json.encode(list(simulate(pop, START, 1800.0, seed=10)))
    assert a == b
    assert a != c


def test_events_come_in_receive_time_order_with_orders_first_and_ticks(run: Run) -> None:
    ats = [e.at for e in run.events]
    assert ats == sorted(ats)
    assert all(isinstance(e, OrderChange) and e.at == START for e in run.events[:18])
    ticks = [e.at for e in run.events if isinstance(e, Tick)]
    assert len(ticks) == HOURS * 360
    assert {round(b - a, 6) for a, b in itertools.pairwise(ticks)} == {10.0}
    assert sum(isinstance(e, Fix) for e in run.events) > 5_000


def test_positions_stay_in_the_city_except_declared_jumps(run: Run) -> None:
    south, west, north, east = BBOX
    fixes = [e for e in run.events if isinstance(e, Fix)]
    jumps = 0
    for f in fixes:
        truth = run.truth[(f.device_id, f.t)]
        assert south <= truth.lat <= north and west <= truth.lon <= east
        if truth.jumped:
            jumps += 1
        else:
            assert south <= f.lat <= north and west <= f.lon <= east
    assert jumps > 0  # jumps do happen, and they are declared


def test_reported_accuracy_covers_the_truth_in_at_least_68_percent(run: Run) -> None:
    fixes = [e for e in run.events if isinstance(e, Fix)]
    honest = [(f, run.truth[(f.device_id, f.t)]) for f in fixes]
    honest = [(f, t) for f, t in honest if not t.jumped]
    inside = sum(haversine_m(f.lat, f.lon, t.lat, t.lon) <= f.acc for f, t in honest)
    assert inside / len(honest) >= 0.68


def test_devices_report_at_their_cadence_with_heartbeats(run: Run) -> None:
    kinds = {d.device_id: d.kind for d in run.pop.devices}
    for device_id, events in by_device(run.events).items():
        ts = sorted(e.t for e in events if isinstance(e, Fix))
        expected = 30.0 if kinds[device_id] is DeviceKind.BRACELET else 60.0
        assert median(b - a for a, b in itertools.pairwise(ts)) == pytest.approx(expected)
    # Fixes carry battery, speed and the simulator as source.
    f = next(e for e in run.events if isinstance(e, Fix))
    assert f.battery is not None and f.speed is not None and f.source == "sim"
    beats = [e for e in run.events if isinstance(e, Signal) and e.kind is SignalKind.HEARTBEAT]
    assert len(beats) >= 0.8 * len(kinds) * HOURS * 12


def test_devices_go_on_the_charger_once_an_evening_not_on_and_off(run: Run) -> None:
    for events in by_device(run.events).values():
        charging = [e for e in events if isinstance(e, Signal) and e.kind is SignalKind.CHARGING]
        assert len(charging) <= 1


def test_fix_interval_can_be_overridden() -> None:
    pop = pilot_population(3, START)
    events = list(simulate(pop, START, 600.0, 3, {DeviceKind.BRACELET: 10.0}))
    bracelet = next(d.device_id for d in pop.devices if d.kind is DeviceKind.BRACELET)
    ts = [e.t for e in events if isinstance(e, Fix) and e.device_id == bracelet]
    assert 55 <= len(ts) <= 60


def test_a_dying_battery_warns_at_20_and_10_then_powers_off_then_silence(run: Run) -> None:
    device_id, script = scripted(run.pop, BatteryDeath)
    events = by_device(run.events)[device_id]
    signals = [e.kind for e in events if isinstance(e, Signal) and e.kind != SignalKind.HEARTBEAT]
    assert signals == [SignalKind.LOW_BATTERY, SignalKind.LOW_BATTERY, SignalKind.POWER_OFF]
    lows = [e.value for e in events if isinstance(e, Signal) and e.kind is SignalKind.LOW_BATTERY]
    assert lows == [20.0, 10.0]
    assert isinstance(events[-1], Signal) and events[-1].kind is SignalKind.POWER_OFF
    assert isinstance(script, BatteryDeath)
    assert events[-1].t == pytest.approx(script.at + script.hours_left * 3600.0, abs=61.0)


def test_a_removed_strap_leaves_the_bracelet_lying_still(run: Run) -> None:
    device_id, script = scripted(run.pop, StrapRemoval)
    assert isinstance(script, StrapRemoval) and script.closed_at is not None
    events = by_device(run.events)[device_id]
    kinds = [e.kind for e in events if isinstance(e, Signal) and e.kind.startswith("strap")]
    assert kinds == [SignalKind.STRAP_OPEN, SignalKind.STRAP_CLOSED]
    lying = {
        (run.truth[(e.device_id, e.t)].lat, run.truth[(e.device_id, e.t)].lon)
        for e in events
        if isinstance(e, Fix) and script.at < e.t < script.closed_at
    }
    assert len(lying) == 1


def test_a_phone_switched_off_goes_silent_then_comes_back(run: Run) -> None:
    device_id, script = scripted(run.pop, SwitchOff)
    assert isinstance(script, SwitchOff) and script.until is not None
    events = by_device(run.events)[device_id]
    assert not [e for e in events if script.at <= e.t < script.until]
    assert any(e.t < script.at for e in events)
    assert any(e.t >= script.until for e in events)


def test_fixes_taken_in_a_coverage_gap_arrive_late_as_a_batch() -> None:
    pop = scripted_incidents(pilot_population(SEED, START), START)
    device_id, script = scripted(pop, CoverageGap)
    assert isinstance(script, CoverageGap)
    gap = script.until - script.at
    events = list(simulate(pop, START, 3600.0, SEED, gaps_per_hour=0.0))
    fixes = [e for e in by_device(events)[device_id] if isinstance(e, Fix)]
    late = [f for f in fixes if script.at <= f.t < script.until]
    assert len(late) >= gap / 30.0 - 1
    assert all(f.at >= script.until for f in late)
    assert all(f.t < f.at - (script.until - f.t) for f in late)
    assert max(f.at - f.t for f in late) >= gap - 30.0
    assert all(f.at - f.t < 10.0 for f in fixes if f not in late)
    everyone = [e for e in events if isinstance(e, Fix) and e.device_id != device_id]
    assert all(e.at - e.t < 10.0 for e in everyone)


def test_the_approach_incident_brings_the_respondent_to_her_door(run: Run) -> None:
    subject = next(
        s
        for s in run.pop.subjects
        if any(x.target.name.startswith("Outside") for x in s.excursions)
    )
    terms = run.pop.terms(subject.order_id)
    victim_device = terms.protected[0].devices[0][0]
    home = run.pop.subject(terms.protected[0].person_id).routine.home
    respondent_device = subject.devices[0].device_id
    truth = sorted(run.truth.values(), key=lambda f: f.t)
    victim = [f for f in truth if f.device_id == victim_device]
    closest = math.inf
    for f in truth:
        if f.device_id != respondent_device:
            continue
        near_her = min(victim, key=lambda v: abs(v.t - f.t))
        closest = min(closest, haversine_m(f.lat, f.lon, near_her.lat, near_her.lon))
        if haversine_m(f.lat, f.lon, home.lat, home.lon) < 50.0:
            assert haversine_m(near_her.lat, near_her.lon, home.lat, home.lon) < 1.0
    assert closest < 50.0 < terms.min_distance_m


def test_the_zone_entry_incident_enters_a_polygon_zone(run: Run) -> None:
    subject = next(
        s for s in run.pop.subjects if any(x.target.kind == "zone" for x in s.excursions)
    )
    terms = run.pop.terms(subject.order_id)
    zone = next(z for z in terms.zones if z.geometry["type"] == "Polygon")
    polygon = shape(zone.geometry)
    device_id = subject.devices[0].device_id
    inside = [
        f
        for f in run.truth.values()
        if f.device_id == device_id and polygon.contains(Point(f.lon, f.lat))
    ]
    assert len(inside) >= 5


def test_incidents_can_be_left_out() -> None:
    plan = IncidentPlan(
        None,
        zone_entry_at=None,
        strap_removal_at=None,
        battery_death_at=None,
        switch_off_at=None,
        coverage_gap_at=None,
    )
    pop = pilot_population(SEED, START)
    assert scripted_incidents(pop, START, plan) == pop


def with_scripts(pop: Population, device_id: str, *scripts: object) -> Population:
    subjects = []
    for s in pop.subjects:
        devices = tuple(
            msgspec.structs.replace(d, scripts=(*d.scripts, *scripts))
            if d.device_id == device_id
            else d
            for d in s.devices
        )
        subjects.append(msgspec.structs.replace(s, devices=devices))
    return msgspec.structs.replace(pop, subjects=tuple(subjects))


def test_victim_pauses_sharing_and_no_fixes_come_meanwhile() -> None:
    pop = pilot_population(SEED, START)
    victim = next(d.device_id for d in pop.devices if d.kind is DeviceKind.VICTIM_APP)
    pause = SharingPause(START + 600.0, START + 1800.0)
    events = by_device(list(simulate(with_scripts(pop, victim, pause), START, 3600.0, SEED)))
    mine = events[victim]
    kinds = [e.kind for e in mine if isinstance(e, Signal) and e.kind.startswith("sharing")]
    assert kinds == [SignalKind.SHARING_PAUSED, SignalKind.SHARING_RESUMED]
    fixes = [e.t for e in mine if isinstance(e, Fix)]
    assert not [t for t in fixes if pause.at < t < pause.until]
    assert any(t < pause.at for t in fixes) and any(t > pause.until for t in fixes)


def test_switched_off_for_good_announces_power_off_then_silence() -> None:
    pop = pilot_population(SEED, START)
    bracelet = next(d.device_id for d in pop.devices if d.kind is DeviceKind.BRACELET)
    off = SwitchOff(START + 900.0, None, announce=True)
    events = by_device(
        list(simulate(with_scripts(pop, bracelet, off), START, 3600.0, SEED, gaps_per_hour=0.0))
    )[bracelet]
    last = events[-1]
    assert isinstance(last, Signal) and last.kind is SignalKind.POWER_OFF
    assert last.t == off.at
    assert all(e.t <= off.at for e in events)
