"""How sure a distance is, given the accuracy radius of each position."""

from __future__ import annotations

import math

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


# Beyond this many standard deviations a probability is taken as 0 or 1: the
# cheap first test that settles nearly every pair without the series.
_TAILS = 7.0
_SQRT2 = math.sqrt(2.0)


def prob_within(d_m: float, sigma_m: float, limit_m: float) -> float:
    """Probability that two parties are truly within `limit_m` of each other.

    `d_m` is the distance between the estimates and `sigma_m` the per-axis
    standard deviation of their difference (both parties' errors combined: a
    2-D normal). That is the Rice distribution's CDF, 1 - Q1(d/s, limit/s),
    summed as a Poisson mixture of chi-square CDFs; far tails short-cut.
    """
    if limit_m <= 0.0:
        return 0.0
    if sigma_m <= 0.0:
        return 1.0 if d_m < limit_m else 0.0
    if d_m - limit_m > _TAILS * sigma_m:
        return 0.0
    if limit_m - d_m > _TAILS * sigma_m:
        return 1.0
    a = d_m / sigma_m
    b = limit_m / sigma_m
    if a > 12.0 and b > 12.0:
        # Far from the origin the circle's edge is nearly straight across the
        # spread: the normal approximation of the Rice distribution is exact enough.
        return 0.5 * math.erfc((d_m - limit_m) / (sigma_m * _SQRT2))
    lam = 0.5 * a * a
    x = 0.5 * b * b
    # P = sum_n Pois(n; lam) * P(chi2_{2n+2} < 2x); the chi-square CDF is
    # 1 - e^-x sum_{j<=n} x^j/j!, updated term by term.
    pois = math.exp(-lam)
    ex = math.exp(-x)
    term = ex  # e^-x x^n / n!
    cum = ex  # e^-x sum_{j<=n} x^j / j!
    total = 0.0
    n = 0
    top = int(lam + 8.0 * math.sqrt(lam) + 10.0)
    while n <= top:
        total += pois * (1.0 - cum)
        n += 1
        pois *= lam / n
        term *= x / n
        cum += term
    return min(1.0, max(0.0, total))


def prob_beyond(depth_m: float, sigma_m: float) -> float:
    """Probability that a position estimated `depth_m` past a straight line (negative:
    short of it) is truly past it, with per-axis standard deviation `sigma_m`."""
    if sigma_m <= 0.0:
        return 1.0 if depth_m > 0.0 else 0.0
    z = depth_m / sigma_m
    if z > _TAILS:
        return 1.0
    if z < -_TAILS:
        return 0.0
    return 0.5 * math.erfc(-z / _SQRT2)
