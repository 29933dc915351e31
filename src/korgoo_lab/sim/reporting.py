"""What one device reports of a true trajectory, with the faults real devices have.

Position sources, and how far off they are (accuracy is Android's and iOS's
68 % radius, not a bound):

* GNSS: outdoors 5-15 m, urban canyon 20-40 m, indoors 30-80 m; errors are
  Gaussian (per-axis sigma = accuracy / 1.6) and correlated from fix to fix.
  With probability `multipath / 2` a fix starts a multipath episode: one to three
  fixes displaced 100-400 m with the reported accuracy and the Doppler speed
  unchanged (a phone on a table reports ~0 m/s while its position leaps), so
  about `multipath` of GNSS fixes are displaced.
* network (Wi-Fi): 20-60 m indoors, 30-100 m outdoors; no speed, no heading.
* cell fallback: 300-1,500 m, no speed, no heading.

Indoors, GNSS and network fixes drift slowly (a random walk with a 20-minute
memory) with an RMS error of 1-1.5 times the reported accuracy. Which source a
fix comes from depends on where the device is: a bracelet indoors falls back to
the cell position a quarter of the time, a phone indoors mostly uses Wi-Fi.

Reporting: a bracelet every 60 s; a respondent app every 60 s while moving and
60-300 s (per device) while still; a victim app every 60 s moving, 300 s still;
a heartbeat every 300 s. Delivery: 0.5-9 s after the fix; buffered through a
coverage gap and uploaded when it ends; some fixes sent twice, some delivered
after later ones (out of order). Device time: bracelets keep GNSS time, phone
clocks are mostly within seconds, one in seven is off by up to a minute.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import NamedTuple

import msgspec
import numpy as np

from korgoo.domain.events import Event, Fix, Signal, SignalKind
from korgoo.domain.terms import DeviceKind
from korgoo_lab.sim.city import Environment, to_latlon
from korgoo_lab.sim.noise import ACCURACY_RANGE_M, SIGMA_PER_ACCURACY, random_gaps
from korgoo_lab.sim.truth import CANYON, INDOOR, Reports, Trajectory

HEARTBEAT_S = 300.0
SOURCE = "sim"
DRIFT_TAU_S = 1200.0
OUTDOOR_RHO = 0.85
_GNSS_RANGE = {
    0: ACCURACY_RANGE_M[Environment.OUTDOOR],
    CANYON: ACCURACY_RANGE_M[Environment.URBAN_CANYON],
    INDOOR: ACCURACY_RANGE_M[Environment.INDOOR],
}


class Faults(msgspec.Struct, frozen=True):
    """How often the generic faults happen, for every device."""

    multipath: float = 0.01  # share of GNSS fixes displaced by multipath
    duplicate: float = 0.005  # share of fixes sent twice
    out_of_order: float = 0.005  # share of fixes delivered after later ones
    gaps_per_hour: float = 0.03  # short coverage gaps (1-8 min)


class DevicePlan(msgspec.Struct, frozen=True):
    """One device and what happens to it; times are true (epoch) seconds."""

    device_id: str
    kind: DeviceKind
    gaps: tuple[tuple[float, float], ...] = ()  # no network: buffered, uploaded late
    off: tuple[tuple[float, float], ...] = ()  # switched off: nothing at all
    announce_off: bool = False  # sends POWER_OFF when switched off
    fixless: tuple[tuple[float, float], ...] = ()  # heartbeats only, no position
    strap_open_at: float | None = None
    battery_death_at: float | None = None  # from then 25 % lasting `battery_hours`
    battery_hours: float = 1.5
    sos_at: tuple[float, ...] = ()


class Played(NamedTuple):
    events: list[Event]  # not in receive order: the order merges and sorts
    reports: Reports
    contacts: np.ndarray  # receive times of everything delivered
    low_battery_at: float | None  # true time the level crossed 20 %
    dead_at: float | None


def _within(spans: tuple[tuple[float, float], ...], t: float) -> tuple[float, float] | None:
    for a, b in spans:
        if a <= t < b:
            return a, b
    return None


class _Position:
    """The error state of one device's positions."""

    def __init__(self, rng: random.Random, multipath: float) -> None:
        self.rng = rng
        self.multipath = multipath
        self.zx = rng.gauss(0.0, 1.0)
        self.zy = rng.gauss(0.0, 1.0)
        self.ux = self.uy = 0.0
        self.k = 1.0
        self.last_t = -1e18
        self.env = -1
        self.base = 0.0
        self.mp_left = 0
        self.mp = (0.0, 0.0)

    def source(self, env: int, bracelet: bool) -> str:
        r = self.rng.random()
        if env == INDOOR:
            if bracelet:
                return "cell" if r < 0.25 else "gnss"
            return "network" if r < 0.75 else ("gnss" if r < 0.95 else "cell")
        if bracelet:
            return "gnss" if r < 0.99 else "cell"
        return "gnss" if r < 0.93 else ("network" if r < 0.99 else "cell")

    def error(self, t: float, env: int, src: str) -> tuple[float, float, float, bool]:
        """(dx, dy, reported accuracy, displaced by multipath)."""
        rng = self.rng
        if env != self.env:
            self.env = env
            lo, hi = _GNSS_RANGE[env]
            self.base = rng.uniform(lo, hi)
            self.k = rng.uniform(1.0, 1.5)
            self.ux = rng.gauss(0.0, self.k / math.sqrt(2.0))
            self.uy = rng.gauss(0.0, self.k / math.sqrt(2.0))
        if src == "cell":
            acc = rng.uniform(300.0, 1500.0)
            s = acc * SIGMA_PER_ACCURACY
            return rng.gauss(0.0, s), rng.gauss(0.0, s), acc, False
        if src == "network":
            acc = self.base * (0.6 if env == INDOOR else 2.5) * rng.uniform(0.9, 1.1)
            acc = min(100.0, max(20.0, acc))
        else:
            acc = self.base * rng.uniform(0.9, 1.1)
        if env == INDOOR:
            rho = math.exp(-max(0.0, t - self.last_t) / DRIFT_TAU_S)
            s = self.k / math.sqrt(2.0) * math.sqrt(1.0 - rho * rho)
            self.ux = rho * self.ux + rng.gauss(0.0, s)
            self.uy = rho * self.uy + rng.gauss(0.0, s)
            dx, dy = self.ux * acc, self.uy * acc
        else:
            k = math.sqrt(1.0 - OUTDOOR_RHO**2)
            self.zx = OUTDOOR_RHO * self.zx + k * rng.gauss(0.0, 1.0)
            self.zy = OUTDOOR_RHO * self.zy + k * rng.gauss(0.0, 1.0)
            s = acc * SIGMA_PER_ACCURACY
            dx, dy = self.zx * s, self.zy * s
        self.last_t = t
        displaced = False
        if src == "gnss":
            if self.mp_left == 0 and rng.random() < self.multipath / 2.0:
                self.mp_left = rng.randint(1, 3)
                d, a = rng.uniform(100.0, 400.0), rng.uniform(0.0, 2 * math.pi)
                self.mp = (d * math.cos(a), d * math.sin(a))
            if self.mp_left:
                self.mp_left -= 1
                dx, dy, displaced = dx + self.mp[0], dy + self.mp[1], True
        return dx, dy, acc, displaced


def play(plan: DevicePlan, traj: Trajectory, faults: Faults, rng: random.Random) -> Played:
    """Every event the device delivers over the trajectory's span."""
    start, n = traj.start, traj.x.size
    end = start + n
    bracelet = plan.kind is DeviceKind.BRACELET
    victim = plan.kind is DeviceKind.VICTIM_APP
    still_s = 60.0 if bracelet else (300.0 if victim else rng.choice((60.0, 120.0, 180.0, 300.0)))
    skew = (
        0.0 if bracelet else (rng.gauss(0.0, 1.5) if rng.random() < 6 / 7 else rng.uniform(-60, 60))
    )
    gaps = sorted([*plan.gaps, *random_gaps(rng, start, end, faults.gaps_per_hour, 60.0, 480.0)])
    pos = _Position(rng, faults.multipath)
    level0 = rng.uniform(40.0, 100.0)
    events: list[Event] = []
    contacts: list[float] = []
    rep_t: list[float] = []
    rep_at: list[float] = []
    rep_acc: list[float] = []
    rep_clean: list[bool] = []
    rep_x: list[float] = []
    rep_y: list[float] = []
    last_at = start
    did = plan.device_id

    def deliver(t: float, make: Callable[[float], Event]) -> float:
        nonlocal last_at
        gap = _within(tuple(gaps), t)
        at = max(last_at, (gap[1] if gap else t) + 0.5 + min(8.0, rng.expovariate(1.0)))
        last_at = at
        events.append(make(round(at, 3)))
        contacts.append(at)
        return at

    def signal(t: float, kind: SignalKind, value: float | None = None) -> None:
        v = None if value is None else round(value, 1)
        deliver(t, lambda at: Signal(did, round(t + skew, 3), at, kind, v, SOURCE))

    def level(t: float) -> float:
        death = plan.battery_death_at
        if death is None or t < death:
            return level0
        return 25.0 * (1.0 - (t - death) / (plan.battery_hours * 3600.0))

    sos = sorted(plan.sos_at)
    strap: tuple[float, float] | None = None
    warned: set[float] = set()
    # The true moment the level reaches 20 %; the device reports it with its next message.
    low_at = (
        None
        if plan.battery_death_at is None
        else plan.battery_death_at + 0.2 * plan.battery_hours * 3600.0
    )
    dead_at: float | None = None
    announced: set[float] = set()
    t = start + rng.uniform(0.0, 60.0)
    next_hb = start + rng.uniform(0.0, HEARTBEAT_S)
    while t < end:
        off = _within(plan.off, t)
        if off is not None:
            if plan.announce_off and off[0] not in announced:
                announced.add(off[0])
                signal(off[0], SignalKind.POWER_OFF)
            t = max(t + 60.0, off[1])
            continue
        lv = level(t)
        for limit in (20.0, 10.0):
            if lv <= limit and limit not in warned:
                warned.add(limit)
                signal(t, SignalKind.LOW_BATTERY, lv)
        if lv <= 0.0:
            dead_at = t
            signal(t, SignalKind.POWER_OFF, 0.0)
            break
        while sos and sos[0] <= t:
            signal(sos.pop(0), SignalKind.SOS)
        i = min(n - 1, int(t - start))
        if plan.strap_open_at is not None and strap is None and t >= plan.strap_open_at:
            strap = (float(traj.x[i]), float(traj.y[i]))
            signal(plan.strap_open_at, SignalKind.STRAP_OPEN)
        if strap is not None:
            x, y, speed, heading, env = strap[0], strap[1], 0.0, math.nan, INDOOR
        else:
            x, y = float(traj.x[i]), float(traj.y[i])
            speed, heading, env = float(traj.speed[i]), float(traj.heading[i]), int(traj.env[i])
        if _within(plan.fixless, t) is None:
            src = pos.source(env, bracelet)
            dx, dy, acc, displaced = pos.error(t, env, src)
            lat, lon = to_latlon(x + dx, y + dy)
            gnss = src == "gnss"
            fix = Fix(
                device_id=did,
                t=round(t + skew, 3),
                at=0.0,
                lat=round(lat, 6),
                lon=round(lon, 6),
                acc=round(acc, 1),
                speed=round(abs(speed + rng.gauss(0.0, 0.15)), 2) if gnss else None,
                heading=None
                if not gnss or speed < 0.5 or math.isnan(heading)
                else round(heading, 1),
                battery=round(lv, 1),
                source=SOURCE,
            )
            at = _deliver_fix(fix, t, deliver, events, contacts, faults, rng)
            rep_t.append(t)
            rep_at.append(at)
            rep_acc.append(acc)
            # A bracelet off his leg shows where it lies, not where he is.
            rep_clean.append(not displaced and strap is None)
            rep_x.append(x + dx)
            rep_y.append(y + dy)
        if t >= next_hb:
            signal(t, SignalKind.HEARTBEAT, lv)
            next_hb += HEARTBEAT_S
        t += 60.0 if speed >= 0.3 else still_s
    reports = Reports(
        np.asarray(rep_t),
        np.asarray(rep_at),
        np.asarray(rep_acc),
        np.asarray(rep_clean, dtype=bool),
        np.asarray(rep_x),
        np.asarray(rep_y),
    )
    return Played(events, reports, np.asarray(contacts), low_at, dead_at)


def _deliver_fix(
    fix: Fix,
    t: float,
    deliver: Callable[[float, Callable[[float], Event]], float],
    events: list[Event],
    contacts: list[float],
    faults: Faults,
    rng: random.Random,
) -> float:
    """Deliver a fix (maybe late, twice, or after later ones); its receive time."""
    r = rng.random()
    if r < faults.out_of_order:
        # Sent on a second connection that lags: later fixes overtake it.
        at = round(t + rng.uniform(30.0, 150.0), 3)
        events.append(msgspec.structs.replace(fix, at=at))
        contacts.append(at)
        return at
    at = deliver(t, lambda a: msgspec.structs.replace(fix, at=a))
    if r > 1.0 - faults.duplicate:
        again = round(at + rng.uniform(1.0, 30.0), 3)
        events.append(msgspec.structs.replace(fix, at=again))
        contacts.append(again)
    return at
