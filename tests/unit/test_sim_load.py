"""The synthetic benchmark load: size, order, determinism, geometry."""

from __future__ import annotations

import itertools
import math
import time

import msgspec

from korgoo.domain.events import Fix, OrderChange, Tick
from korgoo_lab.sim.city import haversine_m
from korgoo_lab.sim.load import LOAD_START, synthetic_load


def test_exact_fix_count_in_receive_order_with_orders_and_ticks() -> None:
    terms, stream = synthetic_load(300, 25_000, seed=1)
    events = list(stream)
    assert len(terms) == 300
    assert sum(isinstance(e, Fix) for e in events) == 25_000
    changes = [e for e in events if isinstance(e, OrderChange)]
    assert [c.terms for c in changes] == terms
    assert all(isinstance(e, OrderChange) for e in events[:300])
    ats = [e.at for e in events]
    assert ats == sorted(ats)
    ticks = [e.at for e in events if isinstance(e, Tick)]
    assert ticks[0] == LOAD_START + 10.0
    assert {round(b - a, 6) for a, b in itertools.pairwise(ticks)} == {10.0}
    assert ticks[-1] > events[-1].at - 10.0
    known = {d for o in terms for p in (o.respondent, *o.protected) for d, _ in p.devices}
    assert {e.device_id for e in events if isinstance(e, Fix)} <= known


def test_same_seed_same_bytes_other_seed_differs() -> None:
    def encoded(seed: int) -> bytes:
        terms, stream = synthetic_load(50, 2_000, seed=seed)
        return msgspec.json.encode([terms, list(stream)])

    assert encoded(4) == encoded(4)
    assert encoded(4) != encoded(5)


def test_most_respondents_are_far_and_a_few_percent_near() -> None:
    terms, stream = synthetic_load(2_000, 60_000, seed=7)
    home = {}
    for o in terms:
        centre: list[float] = o.zones[0].geometry["coordinates"]  # type: ignore[assignment]
        home[o.respondent.devices[0][0]] = (centre[1], centre[0])
    distances = [
        haversine_m(e.lat, e.lon, *home[e.device_id])
        for e in stream
        if isinstance(e, Fix) and e.device_id in home
    ]
    near = sum(d < 1_000.0 for d in distances) / len(distances)
    far = sum(d > 2_000.0 for d in distances) / len(distances)
    assert 0.005 < near < 0.08
    assert far > 0.9
    assert sum(len(o.zones) > 1 for o in terms) >= 150  # school polygons in a tenth


def test_a_million_fixes_for_ten_thousand_orders() -> None:
    began = time.perf_counter()
    terms, stream = synthetic_load(10_000, 1_000_000, seed=3)
    fixes = 0
    last = -math.inf
    for e in stream:
        if isinstance(e, Fix):
            fixes += 1
        assert e.at >= last
        last = e.at
    elapsed = time.perf_counter() - began
    assert len(terms) == 10_000 and fixes == 1_000_000
    print(f"synthetic_load: {fixes / elapsed:,.0f} fixes/s including setup")
