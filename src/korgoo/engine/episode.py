"""Hysteresis for conditions measured by uncertain positions.

A certain breach opens at once; a probable one only after K fixes and T seconds
of staying so, a possible one (shown, not paged) after 2K fixes and T seconds;
an open episode clears only after T seconds of being clearly outside by a
margin. This is what keeps GPS jitter at a boundary
from flooding operators, while a real approach is never held back.
"""

from __future__ import annotations

from korgoo.domain.decisions import Confidence

RANK: dict[Confidence | None, int] = {
    None: 0,
    Confidence.POSSIBLE: 1,
    Confidence.PROBABLE: 2,
    Confidence.CERTAIN: 3,
}


class Episode:
    """The live state of one rule for one subject within one order."""

    __slots__ = (
        "clear_since",
        "confidence",
        "late_last_t",
        "late_number",
        "near_last",
        "near_since",
        "number",
        "open",
        "pending",
        "pending_n",
        "pending_since",
        "started_t",
        "support_t",
    )

    def __init__(self) -> None:
        self.number = 0  # episodes opened so far (live and late)
        self.open = False
        self.confidence: Confidence | None = None
        self.pending: Confidence | None = None
        self.pending_n = 0
        self.pending_since = 0.0
        self.clear_since = -1.0
        self.started_t = 0.0
        self.support_t = -1.0  # last observation that supported the condition
        self.late_number = 0
        self.late_last_t = -1.0
        # A run of still pairs whose reported circles lie within the limit
        # (proximity): device time of its first and its latest pair; < 0: none.
        self.near_since = -1.0
        self.near_last = -1.0

    def next_number(self) -> int:
        self.number += 1
        return self.number


class Step:
    """What one observation did to an episode."""

    NONE = 0
    OPENED = 1
    RAISED = 2  # confidence went up while open
    CLEARED = 3


def observe(
    ep: Episode,
    level: Confidence | None,
    clearly_outside: bool,
    t: float,
    k_fixes: int,
    t_open: float,
    t_clear: float,
    min_level: Confidence = Confidence.POSSIBLE,
) -> int:
    """Feed one observation at time t; returns a Step.

    `level` is the confidence that the condition holds now (None: it does not).
    `clearly_outside` is True when the condition is ruled out by a margin.
    Levels below `min_level` count as not holding.
    """
    if RANK[level] < RANK[min_level]:
        level = None
    if not ep.open:
        if level is None:
            ep.pending = None
            ep.pending_n = 0
            return Step.NONE
        if level is Confidence.CERTAIN:
            _open(ep, level, t)
            return Step.OPENED
        if ep.pending is None:
            ep.pending_since = t
            ep.pending_n = 0
        ep.pending_n += 1
        if RANK[level] > RANK[ep.pending]:
            ep.pending = level
        if ep.pending is Confidence.POSSIBLE:
            # Shown without paging, so it may wait: it needs twice the fixes and
            # the time, which keeps jitter at the boundary from flapping.
            ready = ep.pending_n >= 2 * k_fixes and t - ep.pending_since >= t_open
        else:
            # Paged, so it needs sustained evidence: K fixes over T seconds.
            ready = ep.pending_n >= k_fixes and t - ep.pending_since >= t_open
        if ready:
            _open(ep, ep.pending, t)
            return Step.OPENED
        return Step.NONE
    # Open: confidence only rises within an episode; clearing needs time outside.
    if clearly_outside:
        if ep.clear_since < 0.0:
            ep.clear_since = t
        if t - ep.clear_since >= t_clear:
            ep.open = False
            ep.clear_since = -1.0
            ep.pending = None
            ep.pending_n = 0
            return Step.CLEARED
        return Step.NONE
    ep.clear_since = -1.0
    if level is not None and RANK[level] > RANK[ep.confidence]:
        ep.confidence = level
        return Step.RAISED
    return Step.NONE


def _open(ep: Episode, level: Confidence | None, t: float) -> None:
    ep.open = True
    ep.confidence = level
    ep.number += 1
    ep.started_t = t
    ep.clear_since = -1.0
    ep.pending = None
    ep.pending_n = 0


def force_open(ep: Episode) -> bool:
    """Open a closed episode on certain evidence (a signal, a deadline). True if it
    was closed."""
    if ep.open:
        return False
    ep.open = True
    ep.confidence = Confidence.CERTAIN
    ep.number += 1
    return True


def force_clear(ep: Episode) -> bool:
    """Close an open episode (order ended, zone removed). True if it was open."""
    if not ep.open:
        return False
    ep.open = False
    ep.clear_since = -1.0
    ep.pending = None
    ep.pending_n = 0
    return True
