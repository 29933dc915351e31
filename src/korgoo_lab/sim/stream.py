"""The event stream of a simulated population: what the engine sees in a demo.

`simulate` plays every device of a population for a span of time and yields the
events in receive-time (`at`) order: an `OrderChange` per order at the start, then
fixes and signals from the devices (bracelets every 30 s, apps every 60 s, victim
apps every 60 s while sharing; a heartbeat every 5 minutes; late uploads after
coverage gaps), and a `Tick` every 10 s. Each device delivers over one connection,
so its own events arrive in order; a buffered batch arrives when the gap ends.

`scripted_incidents` injects the violations a short demo should show. Everything is
deterministic given the seed: each person and device draws from its own
`random.Random` seeded by name, so adding a person does not change the others.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from typing import NamedTuple

import msgspec

from korgoo.domain.events import Event, Fix, OrderChange, Signal, SignalKind, Tick
from korgoo.domain.terms import DeviceKind, OrderTerms
from korgoo_lab.sim.city import Environment, Place, place, to_latlon, to_xy
from korgoo_lab.sim.load import synthetic_load
from korgoo_lab.sim.noise import Battery, GpsNoise, random_gaps
from korgoo_lab.sim.population import DeviceSpec, Population, Subject
from korgoo_lab.sim.routines import (
    BatteryDeath,
    CoverageGap,
    Excursion,
    Itinerary,
    SharingPause,
    StrapRemoval,
    SwitchOff,
    build_itinerary,
    local_minutes,
)
from korgoo_lab.sim.scenario import scenario_events

__all__ = [
    "DEFAULT_FIX_INTERVAL",
    "IncidentPlan",
    "TrueFix",
    "scenario_events",
    "scripted_incidents",
    "simulate",
    "synthetic_load",
]

DEFAULT_FIX_INTERVAL: dict[DeviceKind, float] = {
    DeviceKind.BRACELET: 30.0,
    DeviceKind.RESPONDENT_APP: 60.0,
    DeviceKind.VICTIM_APP: 60.0,
}
HEARTBEAT_S = 300.0
SOURCE = "sim"


class TrueFix(NamedTuple):
    """Ground truth behind one simulated fix, for tests and for judging the engine."""

    device_id: str
    t: float
    lat: float  # where the device really was
    lon: float
    env: Environment
    jumped: bool  # the reported position is a declared outlier


def simulate(
    population: Population,
    start: float,
    duration_s: float,
    seed: int,
    fix_interval: dict[DeviceKind, float] | None = None,
    *,
    truth: list[TrueFix] | None = None,
    tick_s: float = 10.0,
    gaps_per_hour: float = 0.05,
    jump_probability: float = 0.002,
) -> Iterator[Event]:
    """Events of the whole population in `at` order; `truth` collects ground truth."""
    end = start + duration_s
    intervals = {**DEFAULT_FIX_INTERVAL, **(fix_interval or {})}
    streams: list[Iterator[Event]] = [iter([OrderChange(start, o) for o in population.orders])]
    streams.append(Tick(start + k * tick_s) for k in range(1, int(duration_s / tick_s) + 1))
    for subject in population.subjects:
        if not subject.devices:
            continue
        itinerary = build_itinerary(
            subject.routine,
            start,
            end,
            random.Random(f"{seed}/person/{subject.person_id}"),
            subject.excursions,
        )
        for dev in subject.devices:
            player = _DevicePlayer(
                dev,
                subject,
                itinerary,
                start,
                end,
                intervals[dev.kind],
                random.Random(f"{seed}/device/{dev.device_id}"),
                truth,
                gaps_per_hour,
                jump_probability,
            )
            streams.append(player.events())
    return heapq.merge(*streams, key=_receive_time)


def _receive_time(event: Event) -> float:
    return event.at


class _DevicePlayer:
    """Plays one device: positions with noise, battery, scripts, buffering in gaps."""

    def __init__(
        self,
        dev: DeviceSpec,
        subject: Subject,
        itinerary: Itinerary,
        start: float,
        end: float,
        interval: float,
        rng: random.Random,
        truth: list[TrueFix] | None,
        gaps_per_hour: float,
        jump_probability: float,
    ) -> None:
        self.dev, self.itinerary, self.rng, self.truth = dev, itinerary, rng, truth
        self.start, self.end, self.interval = start, end, interval
        self.home = subject.routine.home.name
        self.phone = dev.kind is not DeviceKind.BRACELET
        self.noise = GpsNoise(rng, jump_probability=jump_probability)
        life_h = rng.uniform(20.0, 28.0) if self.phone else rng.uniform(48.0, 72.0)
        self.battery = Battery(
            rng.uniform(60.0, 100.0), life_h, 50.0 if self.phone else 40.0, start
        )
        scripted = [(s.at, s.until) for s in dev.scripts if isinstance(s, CoverageGap)]
        self.gaps = _merged(random_gaps(rng, start, end, gaps_per_hour) + scripted)
        self.gap_i = 0
        self.last_at = start
        self.buffer: list[tuple[float, Callable[[float], Event]]] = []
        self.out: list[Event] = []

    def events(self) -> Iterator[Event]:
        dev, rng, battery = self.dev, self.rng, self.battery
        switches = _switches(dev.scripts)
        strap_at: tuple[float, float] | None = None
        off = paused = dying = charging_before = False
        t = self.start + rng.uniform(0.0, self.interval)
        next_heartbeat = self.start + rng.uniform(0.0, HEARTBEAT_S)
        while t < self.end:
            self._flush_gaps(t)
            while switches and switches[0][0] <= t:
                ts, action, script = switches.pop(0)
                if action == "strap_open":
                    where = self.itinerary.position(ts)
                    strap_at = (where.x, where.y)
                    self._signal(ts, SignalKind.STRAP_OPEN)
                elif action == "strap_closed":
                    strap_at = None
                    self._signal(ts, SignalKind.STRAP_CLOSED)
                elif action == "off":
                    off = True
                    if isinstance(script, SwitchOff) and script.announce:
                        self._signal(ts, SignalKind.POWER_OFF, battery.level)
                elif action == "on":
                    off = False
                    self._signal(ts, SignalKind.HEARTBEAT, battery.level)
                elif action == "run_down" and isinstance(script, BatteryDeath):
                    battery.advance(ts, charging_before)
                    battery.run_down(script.level, script.hours_left)
                    dying = True
                elif action == "pause":
                    paused = True
                    self._signal(ts, SignalKind.SHARING_PAUSED)
                elif action == "resume":
                    paused = False
                    self._signal(ts, SignalKind.SHARING_RESUMED)
            if off and not any(a == "on" for _, a, _ in switches):
                yield from self._drain()
                return  # switched off for good: silence
            if off:
                yield from self._drain()
                t += self.interval
                continue
            where = self.itinerary.position(t)
            charging = not dying and self._charging(t, where.place, charging_before)
            for level in battery.advance(t, charging):
                self._signal(t, SignalKind.LOW_BATTERY, level)
            if battery.level <= 0.0:
                self._signal(t, SignalKind.POWER_OFF, 0.0)
                yield from self._drain()
                return  # a dead battery: silence
            if charging and not charging_before:
                self._signal(t, SignalKind.CHARGING, battery.level)
            charging_before = charging
            if not paused:
                if strap_at is not None:
                    x, y, speed, heading, env = *strap_at, 0.0, None, Environment.INDOOR
                else:
                    x, y, speed, heading, env = (
                        where.x,
                        where.y,
                        where.speed,
                        where.heading,
                        where.env,
                    )
                self._fix(t, x, y, speed, heading, env, charging)
            if t >= next_heartbeat:
                self._signal(t, SignalKind.HEARTBEAT, battery.level)
                next_heartbeat += HEARTBEAT_S
            yield from self._drain()
            t += self.interval
        self._flush_gaps(self.end)  # a gap still open at the end uploads after the window
        yield from self._drain()

    def _charging(self, t: float, place_name: str, plugged: bool) -> bool:
        if place_name != self.home:
            return False
        minute = local_minutes(t)
        if self.phone:  # phones stay on the charger overnight
            return minute >= 22 * 60 or minute < 7 * 60
        # The bracelet goes on the charger in the evening when it needs it, until full.
        if not 20 * 60 <= minute < 22 * 60:
            return False
        return self.battery.level < (100.0 if plugged else 90.0)

    def _fix(
        self,
        t: float,
        x: float,
        y: float,
        speed: float,
        heading: float | None,
        env: Environment,
        charging: bool,
    ) -> None:
        sample = self.noise.sample(env)
        lat, lon = to_latlon(x + sample.dx, y + sample.dy)
        if self.truth is not None:
            true_lat, true_lon = to_latlon(x, y)
            self.truth.append(
                TrueFix(self.dev.device_id, t, true_lat, true_lon, env, sample.jumped)
            )
        fields = {
            "device_id": self.dev.device_id,
            "t": round(t, 3),
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "acc": sample.acc,
            "speed": round(speed, 2),
            "heading": None if heading is None else round(heading, 1),
            "battery": round(self.battery.level, 1),
            "charging": charging,
            "source": SOURCE,
        }
        self._emit(t, lambda at: Fix(at=at, **fields))  # type: ignore[arg-type]

    def _signal(self, t: float, kind: SignalKind, value: float | None = None) -> None:
        device_id = self.dev.device_id
        v = None if value is None else round(value, 1)
        self._emit(t, lambda at: Signal(device_id, round(t, 3), at, kind, v, SOURCE))

    def _emit(self, t: float, make: Callable[[float], Event]) -> None:
        gaps = self.gaps
        while self.gap_i < len(gaps) and gaps[self.gap_i][1] <= t:
            self.gap_i += 1
        if self.gap_i < len(gaps) and gaps[self.gap_i][0] <= t:
            self.buffer.append((t, make))  # no network: the device keeps it for later
            return
        at = max(self.last_at, round(t + self._delay(), 3))
        self.last_at = at
        self.out.append(make(at))

    def _flush_gaps(self, t: float) -> None:
        """Upload what was buffered once the network is back (the gap ended before t)."""
        if not self.buffer:
            return
        gap_end = next((b for a, b in self.gaps if a <= self.buffer[0][0] < b), math.inf)
        if gap_end > t:
            return
        at = max(self.last_at, round(gap_end + self._delay(), 3))
        self.last_at = at
        self.out += [make(at) for _, make in self.buffer]
        self.buffer.clear()

    def _delay(self) -> float:
        base = 0.5 if self.phone else 1.0  # a bracelet's GPRS modem is slower than a phone
        return base + min(8.0, self.rng.expovariate(1.0))

    def _drain(self) -> Iterator[Event]:
        out, self.out = self.out, []
        return iter(out)


def _merged(gaps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(gaps):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


Switch = tuple[float, str, object]


def _switches(scripts: tuple[object, ...]) -> list[Switch]:
    """The scripted moments at which a device's state changes, in time order."""
    out: list[Switch] = []
    for s in scripts:
        if isinstance(s, StrapRemoval):
            out.append((s.at, "strap_open", s))
            if s.closed_at is not None:
                out.append((s.closed_at, "strap_closed", s))
        elif isinstance(s, SwitchOff):
            out.append((s.at, "off", s))
            if s.until is not None:
                out.append((s.until, "on", s))
        elif isinstance(s, BatteryDeath):
            out.append((s.at, "run_down", s))
        elif isinstance(s, SharingPause):
            out += [(s.at, "pause", s), (s.until, "resume", s)]
    return sorted(out, key=lambda sw: sw[0])


# --- scripted incidents for the demo ---------------------------------------------------


class IncidentPlan(msgspec.Struct, frozen=True):
    """When each demo incident starts, in seconds after the start; None leaves it out."""

    approach_at: float | None = 45 * 60.0  # respondent drives to the protected home
    approach_dwell_s: float = 15 * 60.0
    zone_entry_at: float | None = 20 * 60.0  # respondent enters a school/work zone
    zone_dwell_s: float = 10 * 60.0
    strap_removal_at: float | None = 15 * 60.0
    strap_closed_after_s: float | None = 30 * 60.0
    battery_death_at: float | None = 10 * 60.0
    battery_level: float = 24.0
    battery_hours_left: float = 1.5
    switch_off_at: float | None = 60 * 60.0  # signal loss: phone off, no warning
    switch_off_s: float = 40 * 60.0
    coverage_gap_at: float | None = 30 * 60.0  # drives through a dead spot
    coverage_gap_s: float = 8 * 60.0


def scripted_incidents(
    population: Population, start: float, plan: IncidentPlan | None = None
) -> Population:
    """The population with the plan's incidents injected, each into a different order."""
    plan = plan or IncidentPlan()
    subjects = {s.person_id: s for s in population.subjects}
    used: set[str] = set()

    def pick(want: Callable[[OrderTerms], bool]) -> OrderTerms:
        for o in population.orders:
            if o.order_id not in used and want(o):
                used.add(o.order_id)
                return o
        raise ValueError("no order left that suits this incident")

    def respondent(o: OrderTerms) -> Subject:
        return subjects[o.respondent.person_id]

    def add(
        person_id: str, *, excursion: Excursion | None = None, script: object | None = None
    ) -> None:
        s = subjects[person_id]
        if excursion is not None:
            s = msgspec.structs.replace(s, excursions=(*s.excursions, excursion))
        if script is not None:
            dev = msgspec.structs.replace(s.devices[0], scripts=(*s.devices[0].scripts, script))
            s = msgspec.structs.replace(s, devices=(dev, *s.devices[1:]))
        subjects[person_id] = s

    def kind(o: OrderTerms) -> DeviceKind:
        return o.respondent.devices[0][1]

    def victim_app(o: OrderTerms) -> bool:
        return any(p.devices for p in o.protected)

    jitter = _closest_pair(population)
    if plan.approach_at is not None:
        o = pick(
            lambda o: (
                o.order_id != jitter and victim_app(o) and kind(o) is DeviceKind.RESPONDENT_APP
            )
        )
        victim = subjects[o.protected[0].person_id]
        home = victim.routine.home
        at = start + plan.approach_at
        # She is at home that evening; he comes to her door.
        add(victim.person_id, excursion=Excursion(max(start, at - 3600.0), home, 0.0))
        add(respondent(o).person_id, excursion=Excursion(at, _outside(home), plan.approach_dwell_s))
    if plan.zone_entry_at is not None:
        o = pick(
            lambda o: (
                o.order_id != jitter
                and any(
                    z.geometry.get("type") == "Polygon" and not z.schedule and z.kind == "exclusion"
                    for z in o.zones
                )
            )
        )
        zone = next(z for z in o.zones if z.geometry.get("type") == "Polygon" and not z.schedule)
        add(
            respondent(o).person_id,
            excursion=Excursion(
                start + plan.zone_entry_at, _centroid(zone.geometry, zone.name), plan.zone_dwell_s
            ),
        )
    if plan.strap_removal_at is not None:
        o = pick(lambda o: kind(o) is DeviceKind.BRACELET and o.order_id != jitter)
        at = start + plan.strap_removal_at
        closed = None if plan.strap_closed_after_s is None else at + plan.strap_closed_after_s
        add(respondent(o).person_id, script=StrapRemoval(at, closed))
    if plan.battery_death_at is not None:
        o = pick(lambda o: kind(o) is DeviceKind.RESPONDENT_APP)
        add(
            respondent(o).person_id,
            script=BatteryDeath(
                start + plan.battery_death_at, plan.battery_level, plan.battery_hours_left
            ),
        )
    if plan.switch_off_at is not None:
        o = pick(lambda o: kind(o) is DeviceKind.RESPONDENT_APP)
        at = start + plan.switch_off_at
        add(respondent(o).person_id, script=SwitchOff(at, at + plan.switch_off_s))
    if plan.coverage_gap_at is not None:
        o = pick(lambda o: kind(o) is DeviceKind.BRACELET and o.order_id != jitter)
        at = start + plan.coverage_gap_at
        add(
            respondent(o).person_id,
            excursion=Excursion(at - 300.0, place("Dordoi bazaar"), 1800.0),
            script=CoverageGap(at, at + plan.coverage_gap_s),
        )
    return msgspec.structs.replace(
        population, subjects=tuple(subjects[s.person_id] for s in population.subjects)
    )


def _closest_pair(population: Population) -> str:
    """The order whose respondent lives nearest the protected person (the jitter case)."""

    def gap(o: OrderTerms) -> float:
        a = population.subject(o.respondent.person_id).routine.home
        b = population.subject(o.protected[0].person_id).routine.home
        return math.dist(to_xy(a.lat, a.lon), to_xy(b.lat, b.lon))

    return min(population.orders, key=gap).order_id


def _outside(home: Place) -> Place:
    """A spot on the street about 30 m from the door."""
    x, y = to_xy(home.lat, home.lon)
    lat, lon = to_latlon(x + 30.0, y)
    return Place(f"Outside {home.name.lower()}", "street", lat, lon, Environment.OUTDOOR)


def _centroid(geometry: dict[str, object], name: str) -> Place:
    ring = geometry["coordinates"][0]  # type: ignore[index]
    lons = [p[0] for p in ring[:-1]]
    lats = [p[1] for p in ring[:-1]]
    return Place(name, "zone", sum(lats) / len(lats), sum(lons) / len(lons), Environment.OUTDOOR)
