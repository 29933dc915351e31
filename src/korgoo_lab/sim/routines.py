"""A person's days: home, then work, market or school, then home again.

A `Routine` says what a person usually does (activities with local arrival times,
stay lengths and weekdays); `build_itinerary` turns it into concrete segments (stay
here from t0 to t1, travel along this path from t0 to t1) with fresh randomness for
every day. `Itinerary.position(t)` answers where the person truly is at time t.

Violating behaviour is injected as scripts. `Excursion` changes where the person
goes (approach the protected person's home at night, enter an exclusion zone); the
device scripts (`StrapRemoval`, `BatteryDeath`, `SwitchOff`, `CoverageGap`,
`SharingPause`) change what the device does and are played by `korgoo_lab.sim.stream`.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from typing import NamedTuple

import msgspec

from korgoo_lab.sim.city import (
    SPEED_M_S,
    Environment,
    Place,
    grid_path,
    street_environment,
    to_xy,
)

BISHKEK_UTC_OFFSET_S = 6 * 3600  # Kyrgyzstan keeps UTC+6 all year (no summer time)
DAY_S = 86_400.0
WALK_MAX_M = 1_200.0  # shorter trips are walked whatever the person's usual mode


class Activity(msgspec.Struct, frozen=True):
    place: Place
    arrive_min: int  # local minutes after midnight
    stay_min: int
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday is 0
    probability: float = 1.0
    jitter_min: int = 20


class Routine(msgspec.Struct, frozen=True):
    home: Place
    activities: tuple[Activity, ...] = ()
    mode: str = "bus"  # how longer trips are made: bus or car


# --- scripts -------------------------------------------------------------------------


class Excursion(msgspec.Struct, frozen=True, tag="excursion"):
    """At `at`, go to `target`, stay `dwell_s`, go home and stay home until midnight.

    `via` (local metres, see `city.to_xy`) is a straight run the trip takes on its
    way, such as a drive through a zone; `env` is where the stay at the target is.
    """

    at: float
    target: Place
    dwell_s: float
    mode: str = "car"
    via: tuple[tuple[float, float], ...] = ()
    env: Environment = Environment.OUTDOOR


class StrapRemoval(msgspec.Struct, frozen=True, tag="strap_removal"):
    """The bracelet's strap is cut at `at`; the bracelet then lies where it was left."""

    at: float
    closed_at: float | None = None


class BatteryDeath(msgspec.Struct, frozen=True, tag="battery_death"):
    """From `at` the device is not charged; `level` percent lasts `hours_left` hours."""

    at: float
    level: float = 25.0
    hours_left: float = 2.0


class SwitchOff(msgspec.Struct, frozen=True, tag="switch_off"):
    """The device is switched off at `at` (until `until`); `announce` sends POWER_OFF."""

    at: float
    until: float | None = None
    announce: bool = False


class CoverageGap(msgspec.Struct, frozen=True, tag="coverage_gap"):
    """No network from `at` to `until`: fixes are buffered and uploaded late."""

    at: float
    until: float


class SharingPause(msgspec.Struct, frozen=True, tag="sharing_pause"):
    """The protected person pauses location sharing in the victim app."""

    at: float
    until: float


DeviceScript = StrapRemoval | BatteryDeath | SwitchOff | CoverageGap | SharingPause


# --- itineraries ---------------------------------------------------------------------


class Stay(NamedTuple):
    t0: float
    t1: float
    x: float
    y: float
    env: Environment
    place: str


class Move(NamedTuple):
    t0: float
    t1: float
    path: tuple[tuple[float, float], ...]
    cum: tuple[float, ...]  # distance along the path at each waypoint
    speed: float
    mode: str


Segment = Stay | Move


class Whereabouts(NamedTuple):
    x: float
    y: float
    speed: float
    heading: float | None
    env: Environment
    place: str  # "" while travelling


class Itinerary:
    """Consecutive segments covering a time span; answers where the person is."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self._starts = [s.t0 for s in segments]

    def position(self, t: float) -> Whereabouts:
        i = max(0, bisect.bisect_right(self._starts, t) - 1)
        seg = self.segments[i]
        if isinstance(seg, Stay):
            return Whereabouts(seg.x, seg.y, 0.0, None, seg.env, seg.place)
        return _move_position(seg, min(max(t, seg.t0), seg.t1))


def local_midnight(t: float) -> float:
    """The UTC epoch time of the Bishkek midnight at or before `t`."""
    return math.floor((t + BISHKEK_UTC_OFFSET_S) / DAY_S) * DAY_S - BISHKEK_UTC_OFFSET_S


def local_minutes(t: float) -> float:
    return ((t + BISHKEK_UTC_OFFSET_S) % DAY_S) / 60.0


def weekday(t: float) -> int:
    # 1 January 1970 was a Thursday (weekday 3).
    return (int((t + BISHKEK_UTC_OFFSET_S) // DAY_S) + 3) % 7


def _move_position(seg: Move, t: float) -> Whereabouts:
    d = (t - seg.t0) * seg.speed
    path, cum = seg.path, seg.cum
    j = min(max(bisect.bisect_right(cum, d) - 1, 0), len(path) - 2)
    (x0, y0), (x1, y1) = path[j], path[j + 1]
    leg = cum[j + 1] - cum[j]
    f = 0.0 if leg <= 0 else min(1.0, (d - cum[j]) / leg)
    x, y = x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
    heading = math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0
    speed = seg.speed if t < seg.t1 else 0.0
    return Whereabouts(x, y, speed, heading, street_environment(x, y), "")


def _move(
    t0: float,
    a: tuple[float, float],
    b: tuple[float, float],
    mode: str,
    rng: random.Random,
    via: tuple[tuple[float, float], ...] = (),
) -> Move:
    if via:
        path = (*grid_path(a, via[0], rng), *via[1:], *grid_path(via[-1], b, rng)[1:])
    else:
        path = grid_path(a, b, rng)
    if len(path) < 2:
        path = (a, a)
    cum = [0.0]
    for p, q in itertools.pairwise(path):
        cum.append(cum[-1] + math.dist(p, q))
    speed = SPEED_M_S[mode]
    return Move(t0, t0 + cum[-1] / speed, path, tuple(cum), speed, mode)


def _mode_for(distance_m: float, usual: str) -> str:
    return "walk" if distance_m < WALK_MAX_M else usual


def _bus_wait(mode: str, rng: random.Random) -> float:
    return rng.uniform(120.0, 600.0) if mode == "bus" else 0.0


def _travel_time(distance_m: float, usual: str) -> float:
    # Grid paths are about 1.3 times the straight line.
    return 1.3 * distance_m / SPEED_M_S[_mode_for(distance_m, usual)]


def plan_day(routine: Routine, midnight: float, rng: random.Random) -> list[Segment]:
    """One day from local midnight to the next, starting and ending at home."""
    home = routine.home
    home_xy = to_xy(home.lat, home.lon)
    day_end = midnight + DAY_S
    chosen = sorted(
        (
            a
            for a in routine.activities
            if weekday(midnight + 43_200) in a.days and rng.random() < a.probability
        ),
        key=lambda a: a.arrive_min,
    )
    segments: list[Segment] = []
    here, here_xy, since, free_at = home, home_xy, midnight, midnight
    for act in chosen:
        there_xy = to_xy(act.place.lat, act.place.lon)
        distance = math.dist(here_xy, there_xy)
        mode = _mode_for(distance, routine.mode)
        arrive = midnight + (act.arrive_min + rng.uniform(-act.jitter_min, act.jitter_min)) * 60
        wait = _bus_wait(mode, rng)
        move = _move(0.0, here_xy, there_xy, mode, rng)
        depart = arrive - move.t1 - wait
        leave = arrive + max(10.0, act.stay_min + rng.uniform(-act.jitter_min, act.jitter_min)) * 60
        back = _travel_time(math.dist(there_xy, home_xy), routine.mode) + 900.0
        if depart < free_at + 300.0 or leave + back > day_end - 600.0:
            continue  # does not fit today
        segments.append(Stay(since, depart, *here_xy, here.env, here.name))
        if wait:
            segments.append(Stay(depart, depart + wait, *here_xy, Environment.OUTDOOR, ""))
        segments.append(move._replace(t0=depart + wait, t1=arrive))
        here, here_xy, since, free_at = act.place, there_xy, arrive, leave
    if here is not home:
        mode = _mode_for(math.dist(here_xy, home_xy), routine.mode)
        segments.append(Stay(since, free_at, *here_xy, here.env, here.name))
        wait = _bus_wait(mode, rng)
        if wait:
            segments.append(Stay(free_at, free_at + wait, *here_xy, Environment.OUTDOOR, ""))
        move = _move(free_at + wait, here_xy, home_xy, mode, rng)
        segments.append(move)
        since = move.t1
    segments.append(Stay(since, day_end, *home_xy, home.env, home.name))
    return segments


def build_itinerary(
    routine: Routine,
    start: float,
    end: float,
    rng: random.Random,
    excursions: tuple[Excursion, ...] = (),
) -> Itinerary:
    segments: list[Segment] = []
    midnight = local_midnight(start)
    while midnight < end:
        segments += plan_day(routine, midnight, rng)
        midnight += DAY_S
    for excursion in sorted(excursions, key=lambda e: e.at):
        segments = _with_excursion(segments, excursion, routine.home, rng)
    return Itinerary(segments)


def _with_excursion(
    segments: list[Segment], exc: Excursion, home: Place, rng: random.Random
) -> list[Segment]:
    here = Itinerary(segments).position(exc.at)
    kept: list[Segment] = []
    for seg in segments:
        if seg.t1 <= exc.at:
            kept.append(seg)
        elif seg.t0 < exc.at:
            kept.append(_cut(seg, exc.at, here))
    home_xy = to_xy(home.lat, home.lon)
    target_xy = to_xy(exc.target.lat, exc.target.lon)
    go = _move(exc.at, (here.x, here.y), target_xy, exc.mode, rng, exc.via)
    stay = Stay(go.t1, go.t1 + exc.dwell_s, *target_xy, exc.env, exc.target.name)
    back = _move(stay.t1, target_xy, home_xy, exc.mode, rng)
    resume = local_midnight(back.t1) + DAY_S
    kept += [go, stay, back, Stay(back.t1, resume, *home_xy, home.env, home.name)]
    kept += [seg for seg in segments if seg.t0 >= resume]
    return kept


def _cut(seg: Segment, t: float, here: Whereabouts) -> Segment:
    if isinstance(seg, Stay):
        return seg._replace(t1=t)
    # Keep the part of the path already travelled, ending where the person is now.
    done = (t - seg.t0) * seg.speed
    n = bisect.bisect_right(seg.cum, done)
    path = (*seg.path[:n], (here.x, here.y))
    cum = (*seg.cum[:n], done)
    return Move(seg.t0, t, path, cum, seg.speed, seg.mode)
