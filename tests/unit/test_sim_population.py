"""The pilot data set has the shape of the Oktyabrsky pilot."""

from __future__ import annotations

import math
import re

import msgspec
import pytest

from korgoo.domain.terms import DeviceKind, OrderKind
from korgoo_lab.sim.city import district_of
from korgoo_lab.sim.population import Population, pilot_population

START = 1_767_258_000.0  # 2026-01-01 15:00 Bishkek


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def pop() -> Population:
    return pilot_population(seed=2026, start=START)


def homes(pop: Population, order_id: str) -> tuple[tuple[float, float], tuple[float, float]]:
    terms = pop.terms(order_id)
    r = pop.subject(terms.respondent.person_id).routine.home
    p = pop.subject(terms.protected[0].person_id).routine.home
    return (r.lat, r.lon), (p.lat, p.lon)


def test_eighteen_orders_six_bracelets_twelve_apps(pop: Population) -> None:
    assert len(pop.orders) == 18
    kinds = [o.respondent.devices[0][1] for o in pop.orders]
    assert kinds.count(DeviceKind.BRACELET) == 6
    assert kinds.count(DeviceKind.RESPONDENT_APP) == 12
    victim_apps = sum(any(p.devices for p in o.protected) for o in pop.orders)
    assert 7 <= victim_apps <= 11  # about half


def test_everyone_lives_in_oktyabrsky_and_orders_are_active(pop: Population) -> None:
    for o in pop.orders:
        assert o.district == "Oktyabrsky"
        assert o.active_at(START)
    for s in pop.subjects:
        home = s.routine.home
        assert district_of(home.lat, home.lon) == "Oktyabrsky", s.person_id


def test_the_700_m_jitter_case_exists(pop: Population) -> None:
    distances = {
        o.order_id: haversine(*a, *b) for o in pop.orders for a, b in [homes(pop, o.order_id)]
    }
    near = [oid for oid, d in distances.items() if d < 2_000.0]
    assert len(near) == 1
    d = distances[near[0]]
    assert 650.0 <= d <= 750.0
    terms = pop.terms(near[0])
    assert terms.min_distance_m < d < terms.warning_distance_m
    # Everyone else lives well away from the person they must avoid.
    assert all(d > 2_500.0 for oid, d in distances.items() if oid != near[0])


def test_distances_zones_and_schedules(pop: Population) -> None:
    night_only = curfews = 0
    for o in pop.orders:
        assert 300.0 <= o.min_distance_m <= 500.0
        assert 800.0 <= o.warning_distance_m <= 1_500.0
        home_zone = o.zones[0]
        assert home_zone.kind == "exclusion" and home_zone.geometry["type"] == "Point"
        assert 200.0 <= home_zone.radius_m <= 300.0
        centre: list[float] = home_zone.geometry["coordinates"]  # type: ignore[assignment]
        _, (plat, plon) = homes(pop, o.order_id)
        assert haversine(centre[1], centre[0], plat, plon) < 1.0
        for z in o.zones:
            if z.geometry["type"] == "Polygon":
                ring = z.geometry["coordinates"][0]  # type: ignore[index]
                assert ring[0] == ring[-1] and len(ring) == 5
            if z.kind == "exclusion" and z.schedule:
                night_only += 1
                assert all(w.end <= w.start for w in z.schedule)  # runs past midnight
            if z.kind == "inclusion":
                curfews += 1
                assert [(w.start, w.end) for w in z.schedule] == [(22 * 60, 6 * 60)]
                assert len(z.schedule[0].days) == 7
    assert curfews == 1
    assert night_only >= 1
    assert sum(len(o.zones) > 1 for o in pop.orders) >= 9


def test_order_records_are_complete_for_the_store(pop: Population) -> None:
    persons = {p.person_id: p for p in pop.persons}
    devices = {d.device_id: d for d in pop.devices}
    assigned = {(a.device_id, a.person_id, a.order_id) for a in pop.assignments}
    numbers = set()
    for o, rec in zip(pop.orders, pop.order_records, strict=True):
        assert rec.order_id == o.order_id and rec.kind == o.kind
        assert "Law No. 214 of 15 Oct 2025" in rec.legal_basis
        assert rec.authority
        numbers.add(rec.number)
        term_days = (rec.ends_at - rec.starts_at) / 86_400.0
        if rec.kind is OrderKind.TEMPORARY:
            assert term_days <= 15.0
            assert "Internal Affairs" in rec.authority
        else:
            assert term_days == pytest.approx(90.0)
            assert "Court" in rec.authority
        for party in (o.respondent, *o.protected):
            assert party.person_id in persons
            for dev_id, kind in party.devices:
                assert devices[dev_id].kind == kind
                assert (dev_id, party.person_id, o.order_id) in assigned
    assert len(numbers) == 18
    assert sum(r.kind is OrderKind.TEMPORARY for r in pop.order_records) >= 2
    assert len(devices) == len(pop.assignments)
    msgspec.json.decode(msgspec.json.encode(pop), type=Population)  # round-trips


def test_bracelets_have_valid_imeis_and_people_role_names(pop: Population) -> None:
    for d in pop.devices:
        if d.kind is DeviceKind.BRACELET:
            assert re.fullmatch(r"\d{15}", d.device_id)
            digits = [int(c) for c in d.device_id]
            total = sum(
                (x * 2 - 9 if x * 2 > 9 else x * 2) if i % 2 == 1 else x
                for i, x in enumerate(digits)
            )
            assert total % 10 == 0, "Luhn check digit"
    for p in pop.persons:
        assert re.fullmatch(r"(Respondent|Protected person|Protected child) \d\d", p.label)


def test_same_seed_same_population_other_seed_other_homes() -> None:
    a = msgspec.json.encode(pilot_population(5, START))
    assert a == msgspec.json.encode(pilot_population(5, START))
    assert a != msgspec.json.encode(pilot_population(6, START))
