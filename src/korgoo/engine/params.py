"""The rules' thresholds and the parameter revision recorded on every decision.

Rule identities and versions are in `korgoo.domain.rules`.
"""

from __future__ import annotations

import msgspec


class RuleParams(msgspec.Struct, frozen=True, omit_defaults=True):
    """Thresholds of all rules. `revision` names this set and is recorded on decisions."""

    revision: str = "default-2026-12e"
    # Breach confidence is a probability from both parties' error models: the
    # accuracy radius holds ~68 % (per-axis sigma = accuracy / sigma_divisor) for a
    # moving satellite fix; a still or network fix drifts indoors by about its
    # accuracy (sigma = accuracy x drift_sigma_per_acc), and averaging does not
    # remove drift. A fix this coarse or worse is a cell fix: alone it never pages.
    sigma_divisor: float = 1.5
    drift_sigma_per_acc: float = 1.0
    # A still satellite fix this tight was taken under open sky (indoors a
    # receiver reports 30 m and more): it does not drift as an indoor one does,
    # and is taken as a moving one is.
    open_sky_m: float = 20.0
    # Indoor drift reaches 1.5 x the accuracy: for two still parties the warning
    # distance (never the only sign of a breach) takes that, and a breach must
    # hold at both ends of the drift.
    warning_drift_factor: float = 1.5
    # ... but two still satellite fixes whose whole accuracy circles lie within
    # the minimum distance, pair after pair for this long with both phones
    # reporting anew, show a breach as a reviewer reads them: it pages.
    still_within_s: float = 300.0
    cell_accuracy_m: float = 250.0
    # Levels: shown (possible), paged after sustained evidence (probable), paged at
    # once on one tight moving fix (certain); an open episode clears below p_clear.
    p_possible: float = 0.2
    p_probable: float = 0.9
    p_certain: float = 0.9
    p_clear: float = 0.02
    # An open breach episode without supporting evidence (a non-cell fix at the
    # probable level) for this long clears: coarse fixes neither hold nor break it.
    support_s: float = 900.0
    # A phone reports every still_report_s while still and every minute while
    # moving: a fix younger than that from a still phone is where she still is.
    still_report_s: float = 330.0
    still_gap_s: float = 150.0
    # Hysteresis: a probable (or possible) breach opens after K fixes and T seconds.
    probable_fixes: int = 2
    probable_seconds: float = 30.0
    # An episode clears only when clearly outside by a margin for T seconds.
    clear_margin_m: float = 50.0
    clear_seconds: float = 60.0
    # A counterpart fix older than this is no evidence of where the person is.
    max_counterpart_age_s: float = 900.0
    # How fast a stale fix's uncertainty grows (m/s): walking pace.
    stale_speed_mps: float = 1.5
    # A moving party's older fix (with speed and course) is carried on along its
    # course for up to this long before it is paired with the other's newer fix.
    project_max_s: float = 120.0
    # ... with a per-axis uncertainty of this share of the distance carried when
    # carried that long, less in proportion for a shorter time (a turn or a stop
    # displaces it the more, the longer it has been).
    project_sigma_at_max: float = 0.5
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
    # A respondent's "clear" is held back this long after a "leave": each probe
    # that finds her costs whoever sends invented fixes this much time, and a P1
    # alert (docs/respondent-instructions.md). A parameter so that a test centre
    # on real time can shorten it under a revision of its own.
    instruct_hold_s: float = 120.0
    # Repeats of an instantaneous alarm within this window belong to one episode.
    repeat_window_s: float = 120.0
    # Input validation.
    max_future_s: float = 300.0
    max_accuracy_m: float = 5000.0


DEFAULT_PARAMS = RuleParams()
