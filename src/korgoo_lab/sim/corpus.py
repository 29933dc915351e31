"""The alert-quality corpus: orders in Bishkek, each with one scenario, and the truth.

Every order has a respondent and a protected person living their daily routines
(`routines`), devices that report them with realistic faults (`reporting`), and
one scenario: something that must be alerted, a trap that must not be, or an
ordinary stretch. Scenario times fall on the corpus's days (the corpus starts on
a Monday at midnight, Bishkek time); a corpus shorter than a scenario's hours
puts it anywhere in its span. Each order draws from its own `random.Random`
seeded by the corpus seed and its number, so orders do not depend on each other.

The truth (`truth`) comes from the true trajectories sampled every second, and
from the device scripts; see `korgoo_lab.benchmarks.alerts` for what counts as
must-alert and tolerated.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec
import numpy as np

from korgoo.domain.events import Event, OrderChange, Tick
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo_lab.sim.city import Environment, Place, offset_place, place, to_latlon, to_xy
from korgoo_lab.sim.population import (
    MARKETS,
    NEIGHBOURHOODS,
    NIGHT,
    NIGHT_WORKPLACES,
    SCHOOLS,
    WORKPLACES,
    circle_zone,
    rect_zone,
)
from korgoo_lab.sim.reporting import DevicePlan, Faults, Played, play
from korgoo_lab.sim.routines import DAY_S, Activity, Excursion, Routine, build_itinerary
from korgoo_lab.sim.truth import (
    Incident,
    Trajectory,
    Zone,
    proximity_incidents,
    sample,
    silence_incidents,
    zone_incidents,
)

# Monday 2 March 2026, 00:00 in Bishkek (UTC+6).
CORPUS_START = datetime(2026, 3, 1, 18, 0, tzinfo=UTC).timestamp()
LATE_AFTER_S = 120.0  # the engine's default: a fix received later than this is late
NO_SIGNAL_S = {DeviceKind.BRACELET: 600.0, DeviceKind.RESPONDENT_APP: 900.0}

# Scenario -> the rule families it must raise (empty: a trap, or nothing scripted).
SCENARIOS: dict[str, frozenset[str]] = {
    "home_approach": frozenset({"proximity.breach", "zone.exclusion"}),
    "work_approach": frozenset({"proximity.breach"}),
    "near_his_work": frozenset({"proximity.breach"}),
    "night_drive_through": frozenset({"proximity.breach", "zone.exclusion"}),
    "zone_day_visit": frozenset({"zone.exclusion"}),
    "gap_breach": frozenset({"proximity.breach", "zone.exclusion", "device.loss"}),
    "strap_removal": frozenset({"device.strap"}),
    "sos": frozenset({"panic"}),
    "battery_death": frozenset({"battery", "device.loss"}),
    "switch_off": frozenset({"device.loss"}),
    "near_neighbours": frozenset(),
    "zone_edge_cafe": frozenset(),
    "zone_off_schedule": frozenset(),
    "order_expired": frozenset(),
    "short_gaps": frozenset(),
    "heartbeat_only": frozenset(),
    "warning_approach": frozenset(),
    "ordinary": frozenset(),
}
NEEDS_VICTIM_APP = frozenset(
    {
        "home_approach",
        "work_approach",
        "near_his_work",
        "night_drive_through",
        "gap_breach",
        "sos",
        "near_neighbours",
        "warning_approach",
    }
)
NIGHT_MIN = (30, 240)  # 00:30-04:00: everyone at home
DAY_MIN = (600, 900)  # 10:00-15:00 on a weekday: at work


class OrderCase(NamedTuple):
    order_id: str
    scenario: str
    terms: OrderTerms
    events: list[Event]  # in receive-time order
    incidents: list[Incident]
    person_days: float  # monitored respondent-days


def scenario_plan(orders: int, seed: int) -> list[str]:
    """Which scenario each order plays: every scenario in turn, in a seeded order."""
    names = list(SCENARIOS)
    random.Random(f"{seed}/scenarios").shuffle(names)
    return [names[i % len(names)] for i in range(orders)]


def corpus(orders: int, days: float, seed: int, faults: Faults) -> Iterator[OrderCase]:
    """The orders one at a time (each is independent of the others)."""
    for i, scenario in enumerate(scenario_plan(orders, seed), start=1):
        yield build_order(i, scenario, days, seed, faults)


def _home(rng: random.Random, name: str) -> Place:
    return offset_place(place(rng.choice(NEIGHBOURHOODS)), name, "home", rng, 450.0)


def _at(p: Place, name: str, distance_m: float, rng: random.Random, env: Environment) -> Place:
    x, y = to_xy(p.lat, p.lon)
    a = rng.uniform(0.0, 2 * math.pi)
    lat, lon = to_latlon(x + distance_m * math.cos(a), y + distance_m * math.sin(a))
    return Place(name, "spot", lat, lon, env)


def _far(rng: random.Random, names: tuple[str, ...], avoid: list[Place], km: float) -> Place:
    cands = [place(n) for n in names if all(_dist(place(n), a) > km * 1000 for a in avoid)]
    return rng.choice(cands or [place(n) for n in names])


def _dist(a: Place, b: Place) -> float:
    return math.dist(to_xy(a.lat, a.lon), to_xy(b.lat, b.lon))


class _Clock:
    """Scenario times on the corpus's days, in local minutes."""

    def __init__(self, rng: random.Random, start: float, span: float) -> None:
        self.rng, self.start, self.span = rng, start, span

    def at(self, minutes: tuple[int, int], need_s: float, weekday: bool = False) -> float:
        days = [d for d in range(max(1, math.ceil(self.span / DAY_S))) if not weekday or d % 7 < 5]
        t = self.start + self.rng.choice(days or [0]) * DAY_S + self.rng.uniform(*minutes) * 60.0
        if t + need_s > self.start + self.span:
            t = self.start + self.rng.uniform(0.05, 0.5) * self.span
        return t


def build_order(i: int, scenario: str, days: float, seed: int, faults: Faults) -> OrderCase:
    rng = random.Random(f"{seed}/order/{i}")
    start, span = CORPUS_START, days * DAY_S
    n = int(span)
    end = start + n
    clock = _Clock(rng, start, span)
    oid = f"order-{i:03d}"
    her_home = _home(rng, "Home of the protected person")
    if scenario == "near_neighbours":
        his_home = _at(
            her_home, "Home of the respondent", rng.uniform(600, 800), rng, Environment.INDOOR
        )
    else:
        his_home = _home(rng, "Home of the respondent")
        while _dist(his_home, her_home) < 2500.0:
            his_home = _home(rng, "Home of the respondent")
    her_work = _far(rng, WORKPLACES, [his_home], 1.5)
    his_work = _far(rng, WORKPLACES, [her_home, her_work], 1.5)
    min_m = 500.0 if scenario == "near_neighbours" else float(rng.randrange(300, 501, 50))
    warn_m = 1000.0 if scenario == "near_neighbours" else float(rng.randrange(800, 1501, 100))
    home_r = float(rng.randrange(200, 301, 25))
    specs: list[ZoneSpec] = [
        circle_zone(f"{oid}-home", "Protected person's home", "exclusion", her_home, home_r)
    ]
    hx, hy = to_xy(her_home.lat, her_home.lon)
    zones = [Zone(f"{oid}-home", hx, hy, radius=home_r)]
    second: Place | None = None
    if scenario in ("zone_day_visit", "zone_edge_cafe") or rng.random() < 0.25:
        second = _far(rng, SCHOOLS, [her_work, his_home, his_work], 1.0)
        specs.append(
            rect_zone(f"{oid}-school", f"Children's school: {second.name}", second, 180.0, 140.0)
        )
        sx, sy = to_xy(second.lat, second.lon)
        zones.append(Zone(f"{oid}-school", sx, sy, half_w=90.0, half_h=70.0))
    if scenario == "zone_off_schedule":
        second = _far(rng, (*NIGHT_WORKPLACES, *MARKETS), [her_work, her_home, his_home], 1.5)
        specs.append(
            rect_zone(
                f"{oid}-night", f"Workplace at night: {second.name}", second, 200.0, 160.0, (NIGHT,)
            )
        )
        sx, sy = to_xy(second.lat, second.lon)
        zones.append(Zone(f"{oid}-night", sx, sy, half_w=100.0, half_h=80.0, schedule=(NIGHT,)))

    starts_at = round(start - rng.uniform(5, 60) * DAY_S)
    ends_at = round(starts_at + 90 * DAY_S)
    his_excursions: list[Excursion] = []
    her_excursions: list[Excursion] = []
    # Device scripts; the device ids and kinds are filled in once chosen.
    his_plan = her_plan = DevicePlan("", DeviceKind.RESPONDENT_APP)
    work_p = rng.uniform(0.6, 0.95)

    def visit(target: Place, at: float, dwell: float, **kw: Any) -> None:
        his_excursions.append(Excursion(at, target, dwell, **kw))

    if scenario in ("home_approach", "gap_breach"):
        at = clock.at(NIGHT_MIN if rng.random() < 0.5 else (1140, 1380), 5400)
        dwell = rng.uniform(300, 1200)
        visit(
            _at(her_home, "In front of her home", rng.uniform(40, 120), rng, Environment.OUTDOOR),
            at,
            dwell,
        )
        if scenario == "gap_breach":
            trip = 1.3 * _dist(his_home, her_home) / 10.0
            gap = (at - 120.0, at + trip + dwell + 600.0)
            his_plan = msgspec.structs.replace(his_plan, gaps=(gap,))
    elif scenario == "work_approach":
        at = clock.at(DAY_MIN, 3600, weekday=True)
        visit(
            _at(her_work, "At her workplace", rng.uniform(30, 80), rng, Environment.OUTDOOR),
            at,
            rng.uniform(300, 900),
        )
    elif scenario == "near_his_work":
        work_p = 1.0
        at = clock.at((660, 900), 5400, weekday=True)
        spot = _at(his_work, "Near his workplace", rng.uniform(150, 350), rng, Environment.OUTDOOR)
        her_excursions.append(Excursion(at, spot, rng.uniform(900, 1800), "bus"))
    elif scenario == "night_drive_through":
        o = rng.uniform(-0.6, 0.6) * home_r
        path = ((hx - 1500.0, hy + o), (hx + 1500.0, hy + o))
        if rng.random() < 0.5:
            path = ((hx + o, hy - 1500.0), (hx + o, hy + 1500.0))
        visit(his_home, clock.at(NIGHT_MIN, 3600), 0.0, via=path)
    elif scenario == "zone_day_visit" and second is not None:
        visit(
            _at(second, "In the school grounds", rng.uniform(0, 30), rng, Environment.OUTDOOR),
            clock.at(DAY_MIN, 3600, weekday=True),
            rng.uniform(600, 1800),
        )
    elif scenario == "zone_edge_cafe" and second is not None:
        # A café 30-90 m beyond the school zone's long side.
        sx, sy = to_xy(second.lat, second.lon)
        side = rng.choice((-1.0, 1.0))
        lat, lon = to_latlon(sx + rng.uniform(-60, 60), sy + side * (70.0 + rng.uniform(30, 90)))
        cafe = Place("Café by the school", "cafe", lat, lon, Environment.INDOOR)
        visit(cafe, clock.at(DAY_MIN, 5400), 3600.0, env=Environment.INDOOR)
    elif scenario == "zone_off_schedule" and second is not None:
        visit(
            _at(second, "In the zone by day", rng.uniform(0, 30), rng, Environment.OUTDOOR),
            clock.at(DAY_MIN, 5400),
            rng.uniform(1800, 3600),
        )
    elif scenario == "order_expired":
        ends_at = round(start + rng.uniform(0.3, 0.6) * span)
        visit(
            _at(her_home, "In front of her home", rng.uniform(40, 120), rng, Environment.OUTDOOR),
            ends_at + rng.uniform(1800, 3600),
            900.0,
        )
    elif scenario == "warning_approach":
        at = clock.at(NIGHT_MIN if rng.random() < 0.5 else (1140, 1380), 5400)
        visit(
            _at(
                her_home,
                "Within the warning distance",
                min_m + rng.uniform(100, 300),
                rng,
                Environment.OUTDOOR,
            ),
            at,
            rng.uniform(600, 1200),
        )
    elif scenario == "strap_removal":
        his_plan = msgspec.structs.replace(his_plan, strap_open_at=clock.at(NIGHT_MIN, 1800))
    elif scenario == "sos":
        her_plan = msgspec.structs.replace(her_plan, sos_at=(clock.at((480, 1200), 600),))
    elif scenario == "battery_death":
        his_plan = msgspec.structs.replace(
            his_plan,
            battery_death_at=clock.at((360, 1080), 9000),
            battery_hours=rng.uniform(1.0, 2.0),
        )
    elif scenario == "switch_off":
        at = clock.at((480, 1320), 3600)
        his_plan = msgspec.structs.replace(
            his_plan, off=((at, at + rng.uniform(1800, 7200)),), announce_off=rng.random() < 0.3
        )
    elif scenario == "short_gaps":
        starts = sorted(start + rng.uniform(0, span) for _ in range(3))
        gaps = tuple((t, t + rng.uniform(180, 420)) for t in starts)
        his_plan = msgspec.structs.replace(his_plan, gaps=gaps)
    elif scenario == "heartbeat_only":
        a = clock.at((480, 1200), 7200)
        his_plan = msgspec.structs.replace(his_plan, fixless=((a, a + rng.uniform(2400, 7200)),))

    if scenario in ("strap_removal", "zone_day_visit") or (
        scenario not in ("switch_off", "heartbeat_only") and rng.random() < 1 / 3
    ):
        his_kind = DeviceKind.BRACELET
    else:
        his_kind = DeviceKind.RESPONDENT_APP
    has_app = scenario in NEEDS_VICTIM_APP or rng.random() < 0.5
    his_dev = f"{oid}-resp-{his_kind.value}"
    her_dev = f"{oid}-victim-app"
    his_routine = Routine(
        his_home,
        (
            Activity(
                his_work,
                arrive_min=8 * 60 + rng.randrange(0, 90, 15),
                stay_min=510,
                probability=work_p,
            ),
            Activity(
                _far(rng, MARKETS, [her_home], 1.5),
                720,
                60,
                days=(5, 6),
                probability=0.5,
                jitter_min=90,
            ),
        ),
        rng.choice(("bus", "car")),
    )
    her_routine = Routine(
        her_home,
        (
            Activity(her_work, arrive_min=540, stay_min=480, probability=0.9),
            Activity(
                place(rng.choice(MARKETS)), 660, 90, days=(5, 6), probability=0.7, jitter_min=60
            ),
        ),
        rng.choice(("bus", "bus", "car")),
    )
    his = sample(
        build_itinerary(
            his_routine, start, end, random.Random(f"{seed}/{oid}/his"), tuple(his_excursions)
        ),
        start,
        n,
    )
    her = sample(
        build_itinerary(
            her_routine, start, end, random.Random(f"{seed}/{oid}/her"), tuple(her_excursions)
        ),
        start,
        n,
    )

    terms = OrderTerms(
        order_id=oid,
        version=1,
        kind=OrderKind.COURT,
        status=OrderStatus.ACTIVE,
        starts_at=starts_at,
        ends_at=ends_at,
        district="Oktyabrsky",
        respondent=Party(f"{oid}-resp", "respondent", ((his_dev, his_kind),)),
        protected=(
            Party(
                f"{oid}-prot", "protected", ((her_dev, DeviceKind.VICTIM_APP),) if has_app else ()
            ),
        ),
        min_distance_m=min_m,
        warning_distance_m=warn_m,
        zones=tuple(specs),
    )
    played_his = play(
        msgspec.structs.replace(his_plan, device_id=his_dev, kind=his_kind),
        his,
        faults,
        random.Random(f"{seed}/{his_dev}"),
    )
    played_her = (
        play(
            msgspec.structs.replace(her_plan, device_id=her_dev, kind=DeviceKind.VICTIM_APP),
            her,
            faults,
            random.Random(f"{seed}/{her_dev}"),
        )
        if has_app
        else None
    )
    events: list[Event] = [*played_his.events, *(played_her.events if played_her else [])]
    events.sort(key=lambda e: e.at)
    events = [OrderChange(start, terms), *events, Tick(float(end))]

    lo, hi = max(start, starts_at), min(float(end), float(ends_at))
    secs = start + np.arange(n, dtype=np.float64)
    active = (secs >= starts_at) & (secs < ends_at)
    incidents = _incidents(
        oid,
        scenario,
        his,
        her,
        active,
        terms,
        zones,
        played_his,
        played_her,
        his_kind,
        (lo, hi),
        his_plan,
        her_plan,
    )
    return OrderCase(oid, scenario, terms, events, incidents, max(0.0, hi - lo) / DAY_S)


def _incidents(
    oid: str,
    scenario: str,
    his: Trajectory,
    her: Trajectory,
    active: np.ndarray,
    terms: OrderTerms,
    zones: list[Zone],
    played_his: Played,
    played_her: Played | None,
    his_kind: DeviceKind,
    window: tuple[float, float],
    his_plan: DevicePlan,
    her_plan: DevicePlan,
) -> list[Incident]:
    lo, hi = window
    out: list[Incident] = []
    if played_her is not None:
        out += proximity_incidents(
            oid,
            his,
            her,
            active,
            terms.min_distance_m,
            terms.warning_distance_m,
            played_his.reports,
            played_her.reports,
            LATE_AFTER_S,
        )
        out += silence_incidents(oid, played_her.contacts, 1800.0, window, required=False)
        for t in her_plan.sos_at:
            if lo <= t < hi:
                out.append(Incident(oid, "panic", t, t + 1.0, True))
    for z in zones:
        out += zone_incidents(oid, z, his, active, played_his.reports, LATE_AFTER_S)
    out += silence_incidents(oid, played_his.contacts, NO_SIGNAL_S[his_kind], window, required=True)
    strap = his_plan.strap_open_at
    if strap is not None and lo <= strap < hi:
        out.append(Incident(oid, "device.strap", strap, hi, True))
    if played_his.low_battery_at is not None and lo <= played_his.low_battery_at < hi:
        out.append(
            Incident(oid, "battery", played_his.low_battery_at, played_his.dead_at or hi, True)
        )
    wanted = SCENARIOS[scenario]
    return [
        i if i.family in wanted else _with_scenario(i, "background")
        for i in (_with_scenario(i, scenario) for i in out)
    ]


def _with_scenario(i: Incident, scenario: str) -> Incident:
    return Incident(i.order_id, i.family, i.start, i.end, i.must, i.late, scenario)
