"""How sure a distance is, given the accuracy radius of each position."""

from __future__ import annotations

from korgoo.domain.decisions import Confidence

STALE_RADIUS_CAP_M = 50_000.0


def stale_radius_m(acc_m: float, age_s: float, speed_mps: float) -> float:
    """Uncertainty radius of a fix `age_s` old: it may have moved at `speed_mps` since.

    A fix from the future (negative age, clock skew) does not shrink the radius.
    The cap keeps one ancient fix from being "possibly" near everything.
    """
    r = acc_m
    if age_s > 0.0 and speed_mps > 0.0:
        r += age_s * speed_mps
    return r if r < STALE_RADIUS_CAP_M else STALE_RADIUS_CAP_M


def classify_within(d_m: float, r1_m: float, r2_m: float, limit_m: float) -> Confidence | None:
    """How sure it is that two parties are within `limit_m` of each other.

    `d_m` is the distance between the fix centres, `r1_m`/`r2_m` their accuracy
    radii. CERTAIN: within even in the worst case; PROBABLE: the best estimate
    is within; POSSIBLE: cannot be ruled out; None: clearly apart.
    """
    r = r1_m + r2_m
    if d_m + r <= limit_m:
        return Confidence.CERTAIN
    if d_m <= limit_m:
        return Confidence.PROBABLE
    if d_m - r <= limit_m:
        return Confidence.POSSIBLE
    return None
