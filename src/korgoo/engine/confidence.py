"""How sure a breach is: a probability from both parties' error models.

Each position gets a per-axis standard deviation from what the device says of
itself: a moving satellite fix is the reported 68 % radius / 1.5, and so is a
still one tight enough to have been taken under open sky; a still or network
fix drifts indoors by about its radius, and that drift is slow, so neither
averaging nor waiting shrinks it; a cell fix is coarse and alone never
pages. An old position is widened by how far the person may have walked since,
except that a still phone reporting on its slow schedule has not been walking.
"""

from __future__ import annotations

import math

from korgoo.domain.decisions import Confidence
from korgoo.engine.episode import Episode
from korgoo.engine.params import RuleParams
from korgoo.engine.track import STILL_MPS, Track


class Sigma:
    """The uncertainty of one party's position at a moment, and what was discounted."""

    __slots__ = ("coarse", "discounted", "moving", "sigma")

    def __init__(self, sigma: float, moving: bool, coarse: bool, discounted: list[str]) -> None:
        self.sigma = sigma
        self.moving = moving  # a satellite fix reporting a walking speed or more
        self.coarse = coarse
        self.discounted = discounted


def resting(track: Track, p: RuleParams) -> bool:
    """Standing still, by the reported speed or by the slow still-reporting schedule."""
    return 0.0 <= track.speed < STILL_MPS or (track.speed < 0.0 and track.gap >= p.still_gap_s)


def open_sky(track: Track, p: RuleParams) -> bool:
    """Whether the live fix is a satellite fix tight enough to have been taken
    under open sky (indoors a receiver reports 30 m and more): no indoor drift."""
    return track.speed >= 0.0 and track.acc <= p.open_sky_m


def fix_sigma(acc: float, speed: float | None, still: bool, p: RuleParams) -> float:
    """Per-axis standard deviation of one fix's error."""
    if acc >= p.cell_accuracy_m or (
        speed is not None and (acc <= p.open_sky_m or (not still and speed >= STILL_MPS))
    ):
        return acc / p.sigma_divisor
    return acc * p.drift_sigma_per_acc


def party_sigma(track: Track, age_s: float, p: RuleParams, carried: bool = False) -> Sigma:
    """The uncertainty of where the party of `track` is `age_s` after its live fix
    (`carried`: its fix is carried on along its course, which covers its speed)."""
    rest = resting(track, p)
    # A cell report that kept a moving party's finer estimate is no fresh
    # evidence of where it is: it neither supports nor decides anything.
    coarse = track.acc >= p.cell_accuracy_m or (track.held and track.speed >= STILL_MPS)
    if track.held and not rest and not coarse:
        # A network phone off the slow schedule (it may have walked): the cell
        # report only says it is within its radius, so the finer estimate is
        # what it was, aged from its own fix as if the report had not come.
        age_s += track.t - track.pt
    s = fix_sigma(track.acc, None if track.speed < 0.0 else track.speed, rest, p)
    discounted: list[str] = []
    if coarse or track.held:
        discounted.append("cell")
    if track.jumped:
        discounted.append("jump")
    if age_s > 0.0:
        # A still phone younger than its slow schedule would have reported had she
        # started walking (the app reports every minute while moving).
        walk = age_s - p.still_report_s if rest else age_s
        if walk > 0.0:
            # Walking pace, or the speed it last reported when faster (a car
            # whose network fix has no course to carry it on by).
            pace = p.stale_speed_mps if carried else max(p.stale_speed_mps, track.speed)
            w = walk * pace / p.sigma_divisor
            s = math.sqrt(s * s + w * w)
            discounted.append("stale")
    moving = track.speed >= STILL_MPS and not coarse and not track.jumped
    return Sigma(s, moving, coarse, discounted)


def level_of(prob: float, coarse: bool, tight: bool, p: RuleParams) -> Confidence | None:
    """The confidence level a breach probability reaches; a cell fix is at most
    possible; only a tight (moving satellite) fix is certain at once: a still or
    network one, however deep, is probable and pages only once the hysteresis
    has seen it held (one indoor fix can be a multipath leap with an honest-looking
    radius)."""
    if prob < p.p_possible:
        return None
    if coarse:
        return Confidence.POSSIBLE
    if prob >= p.p_certain and tight:
        return Confidence.CERTAIN
    if prob >= p.p_probable:
        return Confidence.PROBABLE
    return Confidence.POSSIBLE


def cleared(
    ep: Episode, level: Confidence | None, coarse: bool, prob: float, t: float, p: RuleParams
) -> bool:
    """Whether an observation rules the breach out. A non-cell fix at a level
    supports an open episode; one left without support for `support_s` (cell
    fixes only, say) is over, so a later real breach is a new alert."""
    if level is not None and not coarse:
        ep.support_t = t
        return False
    if prob < p.p_clear:
        return True
    return ep.open and t - max(ep.support_t, ep.started_t) > p.support_s
