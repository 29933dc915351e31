"""Ground truth for judging alerts: true trajectories sampled every second.

An itinerary is sampled on a one-second grid (`sample`), vectorised with numpy;
distances to the protected person and depths inside zones are computed on that
grid, so a breach is a run of seconds in which the true positions breach the
order, whatever the devices reported.

Whether a true breach must be alerted is then decided from what the system
received (`label_runs`): see `korgoo_lab.benchmarks.alerts` for the definitions.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from korgoo.domain.terms import ScheduleWindow
from korgoo_lab.sim.city import CENTRE_LAT, CENTRE_LON, M_PER_DEG_LAT, M_PER_DEG_LON
from korgoo_lab.sim.routines import BISHKEK_UTC_OFFSET_S, DAY_S, Itinerary, Move, Stay

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

# Environment codes on the grid.
OUTDOOR, CANYON, INDOOR = 0, 1, 2
ENV_CODE = {"outdoor": OUTDOOR, "urban_canyon": CANYON, "indoor": INDOOR}
# The dense centre (city.street_environment) in local metres.
_CANYON_X = ((74.580 - CENTRE_LON) * M_PER_DEG_LON, (74.620 - CENTRE_LON) * M_PER_DEG_LON)
_CANYON_Y = ((42.866 - CENTRE_LAT) * M_PER_DEG_LAT, (42.886 - CENTRE_LAT) * M_PER_DEG_LAT)


class Trajectory(NamedTuple):
    """A person's true state at each second from `start`."""

    start: float
    x: Floats  # metres east of the city centre
    y: Floats
    speed: Floats  # m/s
    heading: Floats  # degrees, NaN when standing
    env: npt.NDArray[np.int8]


def sample(itinerary: Itinerary, start: float, n: int) -> Trajectory:
    """The itinerary at start, start + 1 s, ..., start + n - 1 s."""
    x = np.empty(n)
    y = np.empty(n)
    speed = np.zeros(n)
    heading = np.full(n, np.nan)
    env = np.empty(n, dtype=np.int8)
    for seg in itinerary.segments:
        i0 = max(0, math.ceil(seg.t0 - start))
        i1 = min(n, math.ceil(seg.t1 - start))
        if i1 <= i0:
            continue
        if isinstance(seg, Stay):
            x[i0:i1], y[i0:i1] = seg.x, seg.y
            env[i0:i1] = ENV_CODE[seg.env.value]
            continue
        _sample_move(seg, start, i0, i1, x, y, speed, heading, env)
    return Trajectory(start, x, y, speed, heading, env)


def _sample_move(
    seg: Move,
    start: float,
    i0: int,
    i1: int,
    x: Floats,
    y: Floats,
    speed: Floats,
    heading: Floats,
    env: npt.NDArray[np.int8],
) -> None:
    t = start + np.arange(i0, i1, dtype=np.float64)
    cum = np.asarray(seg.cum)
    px = np.asarray([p[0] for p in seg.path])
    py = np.asarray([p[1] for p in seg.path])
    d = np.clip((t - seg.t0) * seg.speed, 0.0, cum[-1])
    xs, ys = np.interp(d, cum, px), np.interp(d, cum, py)
    x[i0:i1], y[i0:i1] = xs, ys
    speed[i0:i1] = seg.speed
    leg = np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(cum) - 2)
    heading[i0:i1] = np.degrees(np.arctan2(px[leg + 1] - px[leg], py[leg + 1] - py[leg])) % 360.0
    canyon = (
        (xs >= _CANYON_X[0]) & (xs <= _CANYON_X[1]) & (ys >= _CANYON_Y[0]) & (ys <= _CANYON_Y[1])
    )
    env[i0:i1] = np.where(canyon, CANYON, OUTDOOR)


class Zone(msgspec.Struct, frozen=True):
    """An exclusion zone in local metres: a circle (`radius`) or a grid-aligned rectangle."""

    zone_id: str
    x: float
    y: float
    radius: float = 0.0
    half_w: float = 0.0
    half_h: float = 0.0
    schedule: tuple[ScheduleWindow, ...] = ()

    def depth(self, x: Floats, y: Floats) -> Floats:
        """Signed metres inside the zone (negative: outside, by that distance)."""
        dx, dy = np.abs(x - self.x), np.abs(y - self.y)
        if self.radius > 0.0:
            return np.asarray(self.radius - np.hypot(dx, dy))
        ex, ey = dx - self.half_w, dy - self.half_h
        outside = np.hypot(np.maximum(ex, 0.0), np.maximum(ey, 0.0))
        inside = np.minimum(-ex, -ey)
        return np.where((ex > 0.0) | (ey > 0.0), -outside, inside)


def schedule_mask(windows: tuple[ScheduleWindow, ...], start: float, n: int) -> Bools:
    """Whether a weekly schedule (Asia/Bishkek) is in force at each second."""
    if not windows:
        return np.ones(n, dtype=bool)
    local = start + BISHKEK_UTC_OFFSET_S + np.arange(n, dtype=np.float64)
    day = np.floor(local / DAY_S)
    second = local - day * DAY_S
    weekday = (day.astype(np.int64) + 3) % 7  # 1 January 1970 was a Thursday
    yesterday = (weekday + 6) % 7
    out = np.zeros(n, dtype=bool)
    for w in windows:
        s, e = w.start * 60, w.end * 60
        on_day = np.isin(weekday, w.days)
        if e > s:
            out |= on_day & (second >= s) & (second < e)
        else:
            out |= (on_day & (second >= s)) | (np.isin(yesterday, w.days) & (second < e))
    return out


def runs(mask: Bools) -> list[tuple[int, int]]:
    """Maximal runs of True as [i0, i1) index pairs."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def grouped_runs(inner: Bools, outer: Bools) -> list[list[tuple[int, int]]]:
    """The runs of `inner` grouped by the run of `outer` (a superset) holding
    them: breaches never parted by more than the tolerated band are one."""
    groups: list[list[tuple[int, int]]] = []
    for o0, o1 in runs(outer):
        group = [(a + o0, b + o0) for a, b in runs(inner[o0:o1])]
        if group:
            groups.append(group)
    return groups


# --- labelling ----------------------------------------------------------------------

EDGE_M = 20.0  # a true position this close outside a limit is tolerated, not false
EVIDENCE_FACTOR = 1.5  # a fix is evidence when the breach is this many radii deep
# ... and when what was reported shows it: the reported accuracy circles lie
# within the limit (a reviewer sees the reported positions, not the true ones).
REPORTED_FACTOR = 1.0
COUNTERPART_S = 300.0  # a counterpart fix this close in time pairs with a fix
APPROACH_TTB_S = 180.0  # a true time to breach under this is a real approach


class Incident(msgspec.Struct, frozen=True):
    """A true condition of one order; `must`: the data shows it, an alert is required.

    Not `must`: tolerated, an alert on it is neither required nor false. `late`:
    every fix that shows it arrived late (buffered), so only the record can show it.
    """

    order_id: str
    family: str
    start: float
    end: float
    must: bool
    late: bool = False
    scenario: str = ""


class Reports(NamedTuple):
    """The fixes one device delivered: true time, receive time, accuracy, undisplaced,
    and the reported position (local metres)."""

    t: Floats
    at: Floats
    acc: Floats
    clean: Bools
    x: Floats
    y: Floats


def _in_run(rep: Reports, start: float, i0: int, i1: int) -> npt.NDArray[np.intp]:
    idx = rep.t - start
    return np.flatnonzero((idx >= i0) & (idx < i1) & rep.clean)


def proximity_incidents(
    order_id: str,
    resp: Trajectory,
    prot: Trajectory,
    active: Bools,
    min_m: float,
    warn_m: float,
    r_rep: Reports,
    p_rep: Reports,
    late_after_s: float,
) -> list[Incident]:
    start = resp.start
    d = np.hypot(resp.x - prot.x, resp.y - prot.y)
    out: list[Incident] = []
    # Breaches parted only by seconds within the tolerated band beyond the limit
    # are one incident: no reviewer would see the parties apart in between.
    for group in grouped_runs(active & (d < min_m), active & (d < min_m + EDGE_M)):
        must, late = False, True
        for i0, i1 in group:
            for mine, theirs, me, other in (
                (r_rep, p_rep, resp, prot),
                (p_rep, r_rep, prot, resp),
            ):
                ok = _pair_evidence(mine, theirs, me, other, _in_run(mine, start, i0, i1), min_m)
                if ok.size:
                    must = True
                    late = late and bool(np.all(mine.at[ok] - mine.t[ok] > late_after_s))
        if must:
            out.append(
                Incident(
                    order_id,
                    "proximity.breach",
                    start + group[0][0],
                    start + group[-1][1],
                    True,
                    late,
                )
            )
    for i0, i1 in runs(active & (d < min_m + EDGE_M)):
        out.append(Incident(order_id, "proximity.breach", start + i0, start + i1, False))
    closing = -np.gradient(d)
    approaching = (d > min_m) & (closing >= 1.0) & (d - min_m <= APPROACH_TTB_S * closing)
    for i0, i1 in runs(active & ((d < warn_m + EDGE_M) | approaching)):
        out.append(Incident(order_id, "proximity.warning", start + i0, start + i1, False))
    return out


def _pair_evidence(
    mine: Reports,
    theirs: Reports,
    me: Trajectory,
    other: Trajectory,
    idx: npt.NDArray[np.intp],
    min_m: float,
) -> npt.NDArray[np.intp]:
    """Those of `idx` (fixes inside the run) that, with the other party's nearest
    clean fix, show the breach by EVIDENCE_FACTOR times both radii, and whose
    reported positions show it too (REPORTED_FACTOR times both radii)."""
    clean = np.flatnonzero(theirs.clean)
    if idx.size == 0 or clean.size == 0:
        return idx[:0]
    tt = theirs.t[clean]
    pos = np.clip(np.searchsorted(tt, mine.t[idx]), 1, max(1, tt.size - 1))
    left = np.clip(pos - 1, 0, tt.size - 1)
    right = np.clip(pos, 0, tt.size - 1)
    pick = np.where(np.abs(tt[left] - mine.t[idx]) <= np.abs(tt[right] - mine.t[idx]), left, right)
    j = clean[pick]
    near = np.abs(theirs.t[j] - mine.t[idx]) <= COUNTERPART_S
    i_me = (mine.t[idx] - me.start).astype(np.intp)
    i_other = np.clip((theirs.t[j] - other.start).astype(np.intp), 0, other.x.size - 1)
    dd = np.hypot(me.x[i_me] - other.x[i_other], me.y[i_me] - other.y[i_other])
    radii = mine.acc[idx] + theirs.acc[j]
    seen = np.hypot(mine.x[idx] - theirs.x[j], mine.y[idx] - theirs.y[j])
    ok = near & (dd + EVIDENCE_FACTOR * radii <= min_m) & (seen + REPORTED_FACTOR * radii <= min_m)
    return idx[ok]


def zone_incidents(
    order_id: str,
    zone: Zone,
    resp: Trajectory,
    active: Bools,
    r_rep: Reports,
    late_after_s: float,
) -> list[Incident]:
    start, n = resp.start, resp.x.size
    depth = zone.depth(resp.x, resp.y)
    live = active & schedule_mask(zone.schedule, start, n)
    out: list[Incident] = []
    for group in grouped_runs(live & (depth > 0.0), live & (depth > -EDGE_M)):
        oks = []
        for i0, i1 in group:
            idx = _in_run(r_rep, start, i0, i1)
            i = (r_rep.t[idx] - start).astype(np.intp)
            acc = r_rep.acc[idx]
            seen = zone.depth(r_rep.x[idx], r_rep.y[idx])
            oks.append(idx[(depth[i] >= EVIDENCE_FACTOR * acc) & (seen >= REPORTED_FACTOR * acc)])
        ok = np.concatenate(oks)
        if ok.size:
            late = bool(np.all(r_rep.at[ok] - r_rep.t[ok] > late_after_s))
            i0, i1 = group[0][0], group[-1][1]
            out.append(Incident(order_id, "zone.exclusion", start + i0, start + i1, True, late))
    for i0, i1 in runs(live & (depth > -EDGE_M)):
        out.append(Incident(order_id, "zone.exclusion", start + i0, start + i1, False))
    return out


def silence_incidents(
    order_id: str,
    contacts: Floats,
    threshold_s: float,
    window: tuple[float, float],
    required: bool,
) -> list[Incident]:
    """Silences of one device: no contact for the threshold and two minutes more
    must be alerted (when `required`); within two minutes of it, tolerated."""
    lo, hi = window
    times = np.concatenate(([lo], np.sort(contacts[(contacts >= lo) & (contacts < hi)]), [hi]))
    out: list[Incident] = []
    for a, b in itertools.pairwise(times):
        gap = float(b - a)
        if gap >= threshold_s - 120.0:
            must = required and gap >= threshold_s + 120.0
            out.append(Incident(order_id, "device.loss", float(a), float(b), must))
    return out
