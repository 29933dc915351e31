"""A fast synthetic load for the benchmark: many orders, a million fixes and more.

Geometry is realistic in the way that matters for cost: every protected person's
home is an exclusion circle, a tenth of the orders add a school polygon, about half
the protected persons report from a victim app, and most respondents live and move
kilometres from their protected person, while a few percent (`near_share`) circle
within warning or breach distance. Respondents move on circles of up to 800 m round
their anchor (precomputed at 16 points); positions carry noise from a precomputed
pool, so generating a fix costs two additions and one struct construction.

Devices report in rounds of `interval_s` with staggered phases, so events come out
in non-decreasing `at` order without sorting; a `Tick` goes between them every
`tick_s` (which must divide `interval_s`).
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator

from korgoo.domain.events import Event, Fix, OrderChange, Tick
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo_lab.sim.city import BBOX, M_PER_DEG_LAT, M_PER_DEG_LON, to_latlon, to_xy

LOAD_START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
_POOL = 65_521  # prime, so (round * stride + device) walks the whole pool
_LOOP = 16  # rounds per loop: 8 minutes at 30 s, 5-10 m/s on the larger loops


def synthetic_load(
    orders: int,
    fixes: int,
    seed: int,
    *,
    start: float = LOAD_START,
    interval_s: float = 30.0,
    tick_s: float = 10.0,
    near_share: float = 0.03,
) -> tuple[list[OrderTerms], Iterator[Event]]:
    """`orders` orders and a lazy stream of `fixes` fixes (plus order changes and ticks)."""
    if interval_s % tick_s:
        raise ValueError("tick_s must divide interval_s")
    rng = random.Random(seed)
    terms: list[OrderTerms] = []
    devices: list[tuple[str, float, float, float]] = []  # id, anchor lat, lon, loop radius deg
    south, west, north, east = BBOX
    margin = 0.01
    for i in range(orders):
        home = (
            rng.uniform(south + margin, north - margin),
            rng.uniform(west + margin, east - margin),
        )
        near = rng.random() < near_share
        anchor = _anchor(rng, home, near)
        order_id = f"load-{i:06d}"
        resp_kind = DeviceKind.BRACELET if i % 3 == 0 else DeviceKind.RESPONDENT_APP
        resp_dev = f"{order_id}-r"
        prot_devices: tuple[tuple[str, DeviceKind], ...] = ()
        if i % 2 == 0:
            prot_devices = ((f"{order_id}-v", DeviceKind.VICTIM_APP),)
            devices.append((prot_devices[0][0], home[0], home[1], 0.0))
        loop_m = rng.uniform(100.0, 500.0) if near else rng.uniform(0.0, 800.0)
        devices.append((resp_dev, anchor[0], anchor[1], loop_m))
        zones = [
            ZoneSpec(
                f"{order_id}-home",
                "Protected person's home",
                "exclusion",
                {"type": "Point", "coordinates": [home[1], home[0]]},
                250.0,
            )
        ]
        if i % 10 == 0:
            zones.append(_school(rng, order_id, home))
        terms.append(
            OrderTerms(
                order_id=order_id,
                version=1,
                kind=OrderKind.COURT,
                status=OrderStatus.ACTIVE,
                starts_at=start - 86_400.0,
                ends_at=start + 90 * 86_400.0,
                district="Oktyabrsky",
                respondent=Party(f"{order_id}-resp", "respondent", ((resp_dev, resp_kind),)),
                protected=(Party(f"{order_id}-prot", "protected", prot_devices),),
                min_distance_m=500.0,
                warning_distance_m=1000.0,
                zones=tuple(zones),
            )
        )
    rng.shuffle(devices)  # interleave orders, as real traffic does
    return terms, _events(terms, devices, fixes, rng, start, interval_s, tick_s)


def _anchor(rng: random.Random, home: tuple[float, float], near: bool) -> tuple[float, float]:
    hx, hy = to_xy(*home)
    while True:
        d = rng.uniform(200.0, 1_500.0) if near else rng.uniform(3_000.0, 12_000.0)
        a = rng.uniform(0.0, 2 * math.pi)
        lat, lon = to_latlon(hx + d * math.cos(a), hy + d * math.sin(a))
        if near or (BBOX[0] <= lat <= BBOX[2] and BBOX[1] <= lon <= BBOX[3]):
            return lat, lon


def _school(rng: random.Random, order_id: str, home: tuple[float, float]) -> ZoneSpec:
    hx, hy = to_xy(*home)
    cx, cy = hx + rng.uniform(-600.0, 600.0), hy + rng.uniform(-600.0, 600.0)
    ring = []
    for sx, sy in ((-90, -70), (90, -70), (90, 70), (-90, 70), (-90, -70)):
        lat, lon = to_latlon(cx + sx, cy + sy)
        ring.append([lon, lat])
    return ZoneSpec(
        f"{order_id}-school",
        "Children's school",
        "exclusion",
        {"type": "Polygon", "coordinates": [ring]},
    )


def _events(
    terms: list[OrderTerms],
    devices: list[tuple[str, float, float, float]],
    fixes: int,
    rng: random.Random,
    start: float,
    interval_s: float,
    tick_s: float,
) -> Iterator[Event]:
    for o in terms:
        yield OrderChange(start, o)
    n = len(devices)
    if n == 0:
        return
    # Noise: (dlat, dlon, accuracy); mostly outdoor, some indoor, rare outliers.
    pool: list[tuple[float, float, float]] = []
    for _ in range(_POOL):
        acc = rng.choice((rng.uniform(5.0, 15.0), rng.uniform(5.0, 15.0), rng.uniform(30.0, 80.0)))
        sigma = acc / 1.6
        if rng.random() < 0.002:
            sigma, acc = 500.0, rng.uniform(5.0, 600.0)
        pool.append(
            (
                rng.gauss(0.0, sigma) / M_PER_DEG_LAT,
                rng.gauss(0.0, sigma) / M_PER_DEG_LON,
                round(acc, 1),
            )
        )
    pool += pool[:n]  # so every round can take n consecutive entries without wrapping
    # Each respondent loops round its anchor in _LOOP rounds; precompute the loop by phase.
    loops: list[list[tuple[float, float]]] = [[] for _ in range(_LOOP)]
    for _, lat, lon, radius in devices:
        phase = rng.randrange(_LOOP)
        rlat, rlon = radius / M_PER_DEG_LAT, radius / M_PER_DEG_LON
        for p in range(_LOOP):
            a = 2 * math.pi * (p + phase) / _LOOP
            loops[p].append((lat + rlat * math.sin(a), lon + rlon * math.cos(a)))
    ids = [dev for dev, _, _, _ in devices]
    # Each device's fix arrives at its phase in the round, half a second after it was taken.
    at_off = [k * interval_s / n for k in range(n)]
    t_off = [o - 0.5 for o in at_off]
    ticks_per_round = int(interval_s // tick_s)
    # Index of the first device whose fix arrives after each tick of a round.
    bounds = [*(bisect.bisect_right(at_off, j * tick_s) for j in range(ticks_per_round)), n]
    emitted = 0
    r = 0
    while emitted < fixes:
        base = start + r * interval_s
        first = (r * 7_919) % _POOL
        noise = pool[first : first + n]
        fixes_of_round = [
            Fix(
                dev,
                base + to,
                base + ao,
                pos[0] + nz[0],
                pos[1] + nz[1],
                nz[2],
                None,
                None,
                None,
                None,
                False,
                "sim",
            )
            for dev, pos, nz, to, ao in zip(
                ids, loops[r % _LOOP], noise, t_off, at_off, strict=True
            )
        ]
        for j in range(ticks_per_round):
            if base + j * tick_s > start:
                yield Tick(base + j * tick_s)
            hi = min(bounds[j + 1], bounds[j] + fixes - emitted)
            yield from fixes_of_round[bounds[j] : hi]
            emitted += max(0, hi - bounds[j])
            if emitted >= fixes:
                return
        r += 1
