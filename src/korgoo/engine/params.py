"""The rules' thresholds and the parameter revision recorded on every decision.

Rule identities and versions are in `korgoo.domain.rules`.
"""

from __future__ import annotations

import msgspec


class RuleParams(msgspec.Struct, frozen=True, omit_defaults=True):
    """Thresholds of all rules. `revision` names this set and is recorded on decisions."""

    revision: str = "default-2026-11"
    # Hysteresis: a probable (or possible) breach opens after K fixes or T seconds.
    probable_fixes: int = 2
    probable_seconds: float = 30.0
    # An episode clears only when clearly outside by a margin for T seconds.
    clear_margin_m: float = 50.0
    clear_seconds: float = 60.0
    # A counterpart fix older than this is no evidence of where the person is.
    max_counterpart_age_s: float = 900.0
    # How fast a stale fix's uncertainty grows (m/s): walking pace.
    stale_speed_mps: float = 1.5
    # A fix received this much after it was taken is late (buffered upload).
    late_after_s: float = 120.0
    # Late fixes within this gap of device time belong to the same late episode.
    late_episode_gap_s: float = 600.0
    # Approach warning: time to breach under this, at a closing speed of at least
    # min_closing_mps, within approach_range_m.
    approach_ttb_s: float = 180.0
    approach_min_closing_mps: float = 1.0
    approach_range_m: float = 3000.0
    battery_low_pct: float = 20.0
    battery_critical_pct: float = 10.0
    battery_hysteresis_pct: float = 5.0
    no_signal_bracelet_s: float = 600.0
    no_signal_respondent_app_s: float = 900.0
    no_signal_victim_app_s: float = 1800.0
    # Repeats of an instantaneous alarm within this window belong to one episode.
    repeat_window_s: float = 120.0
    # Input validation.
    max_future_s: float = 300.0
    max_accuracy_m: float = 5000.0


DEFAULT_PARAMS = RuleParams()
