"""Input checks shared by the gateways (before storing) and the engine (defensively)."""

from __future__ import annotations

import math

from korgoo.domain.events import Fix, Signal
from korgoo.engine.params import DEFAULT_PARAMS, RuleParams


def fix_problem(fix: Fix, params: RuleParams = DEFAULT_PARAMS) -> str | None:
    """Why a fix is unusable, or None. The reason is counted and shown to operators."""
    lat, lon, acc = fix.lat, fix.lon, fix.acc
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return "coordinates_not_finite"
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return "coordinates_out_of_range"
    if not math.isfinite(acc) or acc <= 0.0:
        return "accuracy_not_positive"
    if acc > params.max_accuracy_m:
        return "accuracy_absurd"
    return time_problem(fix.t, fix.at, params)


def signal_problem(signal: Signal, params: RuleParams = DEFAULT_PARAMS) -> str | None:
    return time_problem(signal.t, signal.at, params)


def time_problem(t: float, at: float, params: RuleParams = DEFAULT_PARAMS) -> str | None:
    if not math.isfinite(t):
        return "time_not_finite"
    if t > at + params.max_future_s:
        return "time_in_future"
    return None
