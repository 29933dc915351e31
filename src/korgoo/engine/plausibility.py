"""Whether a new fix of a device is physically plausible after its recent track.

A fix is compared with the device's *anchor*: its last accepted fix, with a
radius that can only shrink with a tight fix or grow at the plausible speed.
A claimed wide accuracy therefore buys no reach: a respondent who invents fixes
can only be evaluated along a path that a body or a vehicle could travel.

Verdicts (reason codes, recorded as evidence):

* ``ok``: evaluated as the device's position and becomes the anchor.
* ``glitch``: out of reach but within `GLITCH_M` of the anchor (GNSS multipath:
  one to three fixes displaced 100-400 m with speed ~0, then back). Not
  evaluated; no suspicion.
* ``wide_jump``: out of reach with a wide reported accuracy (Wi-Fi, cell). Not
  evaluated; no suspicion.
* ``speed``: a tight fix farther than `GLITCH_M` beyond reach: faster than any
  body or vehicle in a city. Not evaluated; suspicious.
* ``still_jump``: the device reports itself still at both ends but a tight fix
  lands farther than `GLITCH_M` away faster than `STILL_JUMP_MPS`. Suspicious.
* ``impossible``: a tight fix more than `IMPOSSIBLE_M` away at more than
  `IMPOSSIBLE_MPS` (a kilometre in a few seconds). Spoofing on its own.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from korgoo.geo import distance_m

PLAUSIBLE_MPS = 45.0  # 160 km/h: no body or vehicle in a city goes faster for long
IMPOSSIBLE_MPS = 150.0
IMPOSSIBLE_M = 1000.0
GLITCH_M = 500.0  # multipath displaces 100-400 m
TIGHT_M = 100.0  # a reported accuracy at or under this claims to be precise
NOISE_M = 50.0  # slack for ordinary error on top of the accuracies
STILL_MPS = 0.5
STILL_JUMP_MPS = 15.0
# Suspicious fixes: this many within the window open a spoofing episode, which
# clears after a quiet period without any.
SPOOF_COUNT = 3
SPOOF_WINDOW_S = 300.0
SPOOF_CLEAR_S = 600.0


class Reason(StrEnum):
    OK = "ok"
    GLITCH = "glitch"
    WIDE_JUMP = "wide_jump"
    SPEED = "speed"
    STILL_JUMP = "still_jump"
    IMPOSSIBLE = "impossible"


SUSPICIOUS = frozenset({Reason.SPEED, Reason.STILL_JUMP, Reason.IMPOSSIBLE})


class Anchor:
    """The last accepted fix of a device; `radius` is where it may have been.

    Moved on in place by `accept` (one per device, never shared): no allocation
    per fix."""

    __slots__ = ("lat", "lon", "radius", "still", "t")

    def __init__(self, t: float, lat: float, lon: float, radius: float, still: bool) -> None:
        self.t = t
        self.lat = lat
        self.lon = lon
        self.radius = radius
        self.still = still


class Verdict(NamedTuple):
    reason: Reason
    jump_m: float  # distance beyond the accuracies and the noise slack
    speed_mps: float  # implied by that distance

    @property
    def evaluated(self) -> bool:
        return self.reason is Reason.OK

    @property
    def suspicious(self) -> bool:
        return self.reason in SUSPICIOUS


OK = Verdict(Reason.OK, 0.0, 0.0)  # the one verdict of an evaluated fix
# Metres per degree of latitude or longitude never exceed this anywhere (the
# meridian's at the poles is 111,694 m): (|dlat| + |dlon|) times it bounds
# `distance_m` from above, with room to spare over rounding.
_M_PER_DEG_MAX = 111_700.0


def check(
    anchor: Anchor | None, t: float, lat: float, lon: float, acc: float, speed: float | None
) -> Verdict:
    """The verdict on a fix taken at device time `t` (not before the anchor's)."""
    if anchor is None:
        return OK
    dt = max(t - anchor.t, 1.0)
    jump = distance_m(anchor.lat, anchor.lon, lat, lon) - anchor.radius - min(acc, TIGHT_M)
    jump -= NOISE_M
    if jump <= 0.0:
        return OK
    implied = jump / dt
    tight = acc <= TIGHT_M
    still = speed is not None and speed < STILL_MPS
    if implied <= PLAUSIBLE_MPS:
        if tight and still and anchor.still and jump > GLITCH_M and implied > STILL_JUMP_MPS:
            return Verdict(Reason.STILL_JUMP, jump, implied)
        return OK
    if not tight:
        return Verdict(Reason.WIDE_JUMP, jump, implied)
    if jump > IMPOSSIBLE_M and implied > IMPOSSIBLE_MPS:
        return Verdict(Reason.IMPOSSIBLE, jump, implied)
    if jump > GLITCH_M:
        return Verdict(Reason.SPEED, jump, implied)
    return Verdict(Reason.GLITCH, jump, implied)


def accept(
    anchor: Anchor | None, t: float, lat: float, lon: float, acc: float, speed: float | None
) -> Anchor:
    """The anchor moved on to an accepted fix (a new one for the first): its
    radius grows no faster than the plausible speed, so a wide fix cannot widen
    the reach of the next one."""
    still = speed is not None and speed < STILL_MPS
    if anchor is None:
        return Anchor(t, lat, lon, max(acc, 0.0), still)
    radius = min(acc, anchor.radius + PLAUSIBLE_MPS * (t - anchor.t))
    anchor.t, anchor.lat, anchor.lon, anchor.radius = t, lat, lon, max(radius, 0.0)
    anchor.still = still
    return anchor


def admit(
    anchor: Anchor, t: float, lat: float, lon: float, acc: float, speed: float | None
) -> Verdict:
    """`check`, then `accept` in place if the fix is evaluated: the hot path, in
    one call. `span` bounds the jump from above without the distance, so a step
    within reach, or within what the plausible speed covers in the time since
    the anchor (and no still device's long leap), is settled by a few
    comparisons."""
    radius = anchor.radius
    dt = t - anchor.t
    still = speed is not None and speed < STILL_MPS
    # Comparisons, not abs() and min(): builtin calls cost more than the arithmetic.
    dlat = lat - anchor.lat
    dlon = lon - anchor.lon
    span = ((dlat if dlat > 0.0 else -dlat) + (dlon if dlon > 0.0 else -dlon)) * _M_PER_DEG_MAX - (
        radius + (acc if acc < TIGHT_M else TIGHT_M) + NOISE_M
    )
    if span > 0.0 and (
        span > PLAUSIBLE_MPS * (dt if dt > 1.0 else 1.0)
        or (span > GLITCH_M and still and anchor.still and acc <= TIGHT_M)
    ):
        verdict = check(anchor, t, lat, lon, acc, speed)
        if verdict is not OK:
            return verdict
    radius += PLAUSIBLE_MPS * dt
    anchor.t, anchor.lat, anchor.lon = t, lat, lon
    anchor.radius = acc if acc <= radius else radius if radius > 0.0 else 0.0
    anchor.still = still
    return OK
