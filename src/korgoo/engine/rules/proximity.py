"""Proximity: breach of the minimum distance, the warning distance (prealert),
an approach at speed, and breaches revealed by late fixes.

The two parties' fixes are compared with the older one widened by its age; a
far-away pair with nothing open or pending costs a latitude comparison (one
distance at most) and two lookups.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple

from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.events import Fix
from korgoo.domain.rules import EpisodeKey, Rule
from korgoo.engine.confidence import (
    cleared,
    fix_sigma,
    level_of,
    open_sky,
    party_sigma,
    resting,
)
from korgoo.engine.episode import Episode, Step, observe
from korgoo.engine.params import RuleParams
from korgoo.engine.rules.common import (
    PAGING,
    all_clear,
    close,
    emit,
    idle,
    late_episode,
    paging_step,
    warn,
)
from korgoo.engine.track import JUMP_RADII, STILL_MPS, Track
from korgoo.geo import M_PER_DEG_LAT_MIN, ahead_of, distance_m, prob_within, stale_radius_m
from korgoo.geo.projection import LocalProjection

if TYPE_CHECKING:
    from korgoo.engine.monitor import OrderMonitor

# The episode keys of breach, prealert and approach for one protected person.
PartyKeys = tuple[EpisodeKey, EpisodeKey, EpisodeKey]


Kept = tuple[float, float, float, float]  # a kept position: (t, lat, lon, acc)
# A party went straight on between two fixes when the later one is within both
# radii and this share of the way of where its reported velocity puts it.
STRAIGHT_SHARE = 0.15


class DrivePast(NamedTuple):
    """A moving party's fix whose breach with a still party's older fix was only
    possible: the still party's next fix can show it had not moved meanwhile."""

    mover_is_respondent: bool
    fix: Kept
    prob: float
    anchor: Kept  # the still party's fix it was judged against


class Crossing(NamedTuple):
    """Two moving parties whose straight courses around their fixes came within
    the minimum distance: a guess until the older party's next fix shows it went
    on as assumed (see `_confirm_crossing`). Fixes are kept on each party's own
    device clock; `skew` reads the older party's on the newer one's."""

    older_is_respondent: bool
    older: Kept
    older_before: Kept | None  # its moving fix before, if any
    velocity: tuple[float, float]  # reported at `older`, metres per second east, north
    skew: float
    newer: Kept
    newer_velocity: tuple[float, float]
    before: Kept  # the newer party's moving fix before it
    prob: float


Pending = DrivePast | Crossing


class Shown(NamedTuple):
    """A breach shown after the fact (a pass confirmed, a crossing), to go on
    record as a late episode: the moment, distance, probability and sigma, the
    respondent's and the protected person's fixes, and what else showed it."""

    key: EpisodeKey
    t: float
    judged: tuple[float, float, float]
    fixes: tuple[Kept, Kept]
    extra: dict[str, object]


def party_keys(pid: str) -> PartyKeys:
    return (
        EpisodeKey(Rule.PROXIMITY_BREACH, pid),
        EpisodeKey(Rule.PROXIMITY_PREALERT, pid),
        EpisodeKey(Rule.PROXIMITY_APPROACH, pid),
    )


def on_position(
    m: OrderMonitor,
    pid: str,
    r: Track,
    v: Track,
    speed: float | None,
    heading: float | None,
    now: float,
    out: list[Decision],
) -> None:
    """A new position of the respondent `r` or the protected person `v`."""
    p = m.params
    if m.pending is not None and pid in m.pending:
        shown = _confirm(m, pid, r, v)
        if shown is not None:
            # The same fix judged live first (the kept guess is gone): a live
            # breach it opens, begun within the late gap of the moment shown,
            # stands for it; one alert for one pass, not two.
            on_position(m, pid, r, v, speed, heading, now, out)
            ep = m.episodes.get(shown.key)
            if ep is None or not ep.open or ep.started_t - shown.t > p.late_episode_gap_s:
                _record(m, out, now, shown)
            return
    dt = r.t - v.t
    age = dt if dt >= 0.0 else -dt
    if age > p.max_counterpart_age_s:
        return  # no evidence of where the other party is now
    older = v if dt > 0.0 else r
    pkeys = m.pkeys
    keys = None if pkeys is None else pkeys.get(pid)
    # Latitude alone bounds the distance from below (by the equator's metres
    # per degree), and the reach below from above (the older fix aged and
    # carried on for all of `age`): most far-away pairs are settled by this.
    so = older.speed
    far = (
        m.far_m
        if (speed is not None and heading is not None) or (r.course >= 0.0 and v.course >= 0.0)
        else m.near_m
    )
    bound = far + r.acc + v.acc + age * (p.stale_speed_mps + (so if so > 0.0 else 0.0))
    rlat, vlat = r.lat, v.lat
    if (rlat - vlat if rlat > vlat else vlat - rlat) * M_PER_DEG_LAT_MIN > bound and (
        keys is None or idle(m.episodes, keys)
    ):
        return  # far away and nothing open or pending: the common case
    # The older of the two fixes is widened by its age.
    if older is v:
        rr, rv = r.acc, stale_radius_m(v.acc, dt, p.stale_speed_mps)
    else:
        rr = r.acc if dt == 0.0 else stale_radius_m(r.acc, age, p.stale_speed_mps)
        rv = v.acc
    ahead = 0.0
    if older.course >= 0.0 and so >= STILL_MPS and not older.jumped and not older.held:
        age = _apart(r, v, age, p)
        if 0.0 < age <= p.project_max_s:
            ahead = so * age
    reach = far + rr + rv + ahead
    d = distance_m(r.lat, r.lon, v.lat, v.lon)
    if d > reach and (keys is None or idle(m.episodes, keys)):
        return
    age = _apart(r, v, age, p)
    # A still party was where it is now when the moving one's older fix was
    # taken: the pair is judged as it stood then, neither carried on nor aged.
    then = older.speed >= STILL_MPS and resting(r if older is v else v, p)
    if then:
        ahead = 0.0
    projected: tuple[float, float] | None = None
    if ahead > 0.0:
        # The older fix was moving on a course: it has gone on along it since
        # (two people cycling side by side 600 m apart, each fix paired with
        # the other's fix of 40 s before, are not 400 m apart).
        projected = ahead_of(older.lat, older.lon, older.course, ahead)
        if older is v:
            d = distance_m(r.lat, r.lon, *projected)
        else:
            d = distance_m(projected[0], projected[1], v.lat, v.lon)
    if keys is None:
        if pkeys is None:
            pkeys = m.pkeys = {}
        keys = pkeys[pid] = party_keys(pid)
    b_key, w_key, a_key = keys
    terms = m.terms
    dmin, dwarn = terms.min_distance_m, terms.warning_distance_m
    t = max(r.t, v.t)
    aged = 0.0 if then else age
    sr = party_sigma(
        r, aged if older is r else 0.0, p, carried=projected is not None and older is r
    )
    sv = party_sigma(
        v, aged if older is v else 0.0, p, carried=projected is not None and older is v
    )
    # Carrying a fix on along its course is a guess (a stop, a turn): the
    # farther, the less sure.
    sp = ahead * p.project_sigma_at_max * age / p.project_max_s if ahead > 0.0 else 0.0
    s = math.sqrt(sr.sigma * sr.sigma + sv.sigma * sv.sigma + sp * sp)
    coarse = sr.coarse or sv.coarse
    # Certain at once only on a tight fix of a moving party: two still phones
    # drift together too slowly for any number of fixes to settle it. A moving
    # protected person's new fix (driving past his home) decides it as his
    # does, the age of his last fix being in the probability already.
    # A fix carried on along its course is a guess, never the decisive one,
    # unless by less than its own accuracy (her fix taken a second before his,
    # by their clocks: the two were taken together), or taken after his by the
    # server's clock.
    tight = (
        not coarse
        and not v.jumped
        and (
            (sr.moving and (dt >= 0.0 or projected is None))
            or (
                sv.moving
                and (dt <= 0.0 or age * v.speed <= v.acc or _arrived_after(v, r, p))
                and not r.jumped
            )
        )
    )
    # Two still phones drift indoors by 1 to 1.5x their accuracy, and slowly: no
    # run of their fixes averages it out. A breach between them is only as sure
    # as it is at either end of that drift (two homes near the minimum distance
    # do not page on a night of drift towards each other).
    # Under open sky (both fixes tight satellite ones) there is no indoor drift.
    still_pair = not sr.moving and not sv.moving and not (open_sky(r, p) and open_sky(v, p))
    s_pair = s * p.warning_drift_factor if still_pair else s
    pb = prob_within(d, s, dmin)
    if still_pair and not coarse and pb >= p.p_clear:
        pb = min(pb, prob_within(d, s_pair, dmin))
    # ... unless their fixes as reported show it for minutes on end.
    ep = m.ep(b_key)
    within = _still_within(ep, r, v, still_pair, coarse, dmin, t, p)
    evidence: dict[str, object] = {
        "distance_m": round(d, 1),
        "probability": round(pb, 3),
        "sigma_m": round(s, 1),
        "respondent_radius_m": round(rr, 1),
        "protected_radius_m": round(rv, 1),
        "respondent_fix": [r.t, r.lat, r.lon, r.acc],
        "protected_fix": [v.t, v.lat, v.lon, v.acc],
        "counterpart_age_s": round(abs(dt), 1),
    }
    if projected is not None:
        evidence["projected"] = {
            "party": "protected" if older is v else "respondent",
            "ahead_m": round(ahead, 1),
            "position": [round(projected[0], 6), round(projected[1], 6)],
        }
    discounted = [{"party": "respondent", "reason": why} for why in sr.discounted] + [
        {"party": "protected", "reason": why} for why in sv.discounted
    ]
    if discounted:
        evidence["discounted"] = discounted
    cb = level_of(pb, coarse, tight, p)
    if within > 0.0 and cb is not Confidence.CERTAIN:
        cb = Confidence.PROBABLE
        evidence["reported_within_s"] = round(within, 1)
    was_paging = ep.open and ep.confidence in PAGING
    # The party with the older fix, as the still one of a drive-past.
    still = v if dt > 0.0 else r
    mover = r if still is v else v
    if (cb is None or cb is Confidence.POSSIBLE) and tight and not ep.open:
        # The still party's fix is older: kept for a check once it reports again
        # (a cell report that agreed with it since says only that she is still
        # there, and keeps it). A network fix without a course counts too (a
        # phone reporting one a minute, or one that stopped after a drive): it is
        # aged at walking pace meanwhile, and only its next fix in the same place
        # puts the breach on record; the moving fix then has to lie on the line
        # from its fix before, which a multipath leap with an honest speed does
        # not (a still phone's slow schedule needs no such check).
        if still.t != t and not still.jumped and _checkable(still, mover, p):
            # Kept when it was a breach had the still party stayed where its fix
            # was (its age is what the next fix settles): aged at walking pace, a
            # five-minute-old fix makes even a pass at 250 m less than possible.
            kept = pb
            if cb is None:
                unaged = math.hypot(fix_sigma(still.acc, 0.0, True, p), mover.acc / p.sigma_divisor)
                kept = prob_within(d, unaged, dmin)
            if kept >= p.p_possible:
                _keep_pending(m, pid, mover, still, kept)
    elif cb is not None and not ep.open and not coarse and (v.jumped > 0) is not (r.jumped > 0):
        # The still party's live report was a leap, discounted: its estimate is
        # kept, but nothing says it was still there when the other passed (never
        # tight). Its next real fix in the same place does, as above. Whether the
        # leap came before or after the mover's fix says nothing of that.
        leapt, passing = (v, r) if v.jumped else (r, v)
        if (sr if passing is r else sv).moving and _checkable(leapt, passing, p):
            _keep_pending(m, pid, passing, leapt, pb)
    if projected is not None and not ep.open and pb < p.p_certain:
        _crossing(m, pid, r, v, age, now, out)
    # The newer party's estimate, just moved there by a run of agreeing fixes,
    # is sustained already: several fixes, not one.
    backed = r.backed if dt >= 0.0 else v.backed
    k, hold = (1, 0.0) if backed else (p.probable_fixes, p.probable_seconds)
    step = observe(ep, cb, cleared(ep, cb, coarse, pb, t, p), t, k, hold, p.clear_seconds)
    if step != Step.NONE:
        paging_step(
            m,
            out,
            b_key,
            ep,
            step,
            now=now,
            t=t,
            evidence=evidence | {"limit_m": dmin} if dmin else evidence,
            was_paging=was_paging,
        )
    breach_paging = ep.open and ep.confidence in PAGING
    if breach_paging:
        close(m, out, a_key, now, "superseded_by_breach")
    # The warning is never the only sign of a breach (the breach rule is): for
    # two still parties it takes indoor drift at its upper end, so two homes
    # near the warning distance do not page all night.
    pw = prob_within(d, s_pair, dwarn)
    cw = level_of(pw, coarse, tight, p)
    wep = m.ep(w_key)
    wstep = observe(
        wep,
        cw,
        cleared(wep, cw, coarse, pw, t, p),
        t,
        p.probable_fixes,
        p.probable_seconds,
        p.clear_seconds,
        min_level=Confidence.PROBABLE,
    )
    if wstep == Step.OPENED:
        emit(
            m,
            out,
            DecisionKind.OPENED,
            w_key,
            wep.number,
            at=now,
            occurred_at=t,
            priority=Priority.P3,
            confidence=wep.confidence,
            pages=True,
            evidence=evidence | {"limit_m": dwarn, "probability": round(pw, 3)},
        )
        if not breach_paging:
            warn(m, out, pid, "prealert", now)
    elif wstep == Step.CLEARED:
        emit(
            m,
            out,
            DecisionKind.CLEARED,
            w_key,
            wep.number,
            at=now,
            occurred_at=t,
            evidence=evidence | {"limit_m": dwarn},
        )
        all_clear(m, out, pid, now)
    if speed is not None and heading is not None and not breach_paging and not coarse:
        _approach(m, a_key, r, v, d, speed, heading, now, t, evidence, out)


def _still_within(
    ep: Episode,
    r: Track,
    v: Track,
    still: bool,
    coarse: bool,
    dmin: float,
    t: float,
    p: RuleParams,
) -> float:
    """Seconds that two still phones' reported satellite fixes have shown both
    whole accuracy circles within the minimum distance, pair after pair, with
    each phone reporting anew since: what a reviewer reads in the data as a
    breach. Held for `still_within_s` it is probable (0: not, or not yet). A
    network fix (an access point's place, off by the same for as long as she
    stays), a cell report and a leap say nothing and leave the run as it is;
    a moving party, a pair not within or a pause of a slow report ends it."""
    if coarse or (
        still and (r.speed < 0.0 or v.speed < 0.0 or r.held or v.held or r.jumped or v.jumped)
    ):
        return 0.0
    within = still
    if still:
        rlat, rlon = r.reported()
        vlat, vlon = v.reported()
        within = distance_m(rlat, rlon, vlat, vlon) + r.acc + v.acc <= dmin
    if not within:
        ep.near_since = ep.near_last = -1.0
        return 0.0
    since = ep.near_since
    if since < 0.0 or t - ep.near_last > p.still_report_s:
        since = ep.near_since = t
    ep.near_last = t
    held = t - since
    if held < p.still_within_s or r.t <= since or v.t <= since:
        return 0.0
    return held


def _approach(
    m: OrderMonitor,
    key: EpisodeKey,
    r: Track,
    v: Track,
    d: float,
    speed: float,
    heading: float,
    now: float,
    t: float,
    evidence: dict[str, object],
    out: list[Decision],
) -> None:
    # Closing speed from the reported velocities, not from differences of
    # noisy positions: a device standing still under 80 m jitter reports
    # a speed near zero, so jitter never looks like an approach. Hers counts
    # too: driving towards where she is while she rides away is no approach.
    p = m.params
    dmin = m.terms.min_distance_m
    level: Confidence | None = None
    if speed >= p.approach_min_closing_mps and dmin < d <= p.approach_range_m:
        coslat = math.cos(math.radians(r.lat))
        bearing = math.atan2((v.lon - r.lon) * coslat, v.lat - r.lat)
        closing = speed * math.cos(math.radians(heading) - bearing)
        if v.course >= 0.0 and v.speed >= STILL_MPS and not v.jumped:
            closing -= v.speed * math.cos(math.radians(v.course) - bearing)
        if closing >= p.approach_min_closing_mps and (d - dmin) / closing <= p.approach_ttb_s:
            level = Confidence.PROBABLE
            evidence = evidence | {"time_to_breach_s": round((d - dmin) / closing, 1)}
    ep = m.ep(key)
    step = observe(ep, level, level is None, t, 2, p.probable_seconds, p.clear_seconds)
    pid = key.subject
    if step == Step.OPENED:
        emit(
            m,
            out,
            DecisionKind.OPENED,
            key,
            ep.number,
            at=now,
            occurred_at=t,
            priority=Priority.P2,
            confidence=level,
            pages=True,
            evidence=evidence,
        )
        warn(m, out, pid, "approach", now)
    elif step == Step.CLEARED:
        emit(m, out, DecisionKind.CLEARED, key, ep.number, at=now, occurred_at=t, evidence=evidence)
        all_clear(m, out, pid, now)


def _checkable(still: Track, mover: Track, p: RuleParams) -> bool:
    """Whether the still party's next fix can show where it was when the mover
    passed: a still phone, or a network fix without a course against a mover
    that went straight (no multipath leap beside the street)."""
    return resting(still, p) or (still.course < 0.0 and _went_straight(mover, p))


def _keep_pending(m: OrderMonitor, pid: str, mover: Track, still: Track, prob: float) -> None:
    """Keep the most likely breach of a moving party's fix with a still party's
    older fix, until the still party reports again (see `_confirm`)."""
    pending = m.pending
    if pending is None:
        pending = m.pending = {}
    kept = pending.get(pid)
    if isinstance(kept, DrivePast) and kept.anchor[0] == still.t and kept.prob >= prob:
        return
    pending[pid] = DrivePast(
        mover is m.respondent,
        (mover.t, mover.lat, mover.lon, mover.acc),
        prob,
        (still.t, still.lat, still.lon, still.acc),
    )


def _confirm(m: OrderMonitor, pid: str, r: Track, v: Track) -> Shown | None:
    """The still party has reported again (a cell report that kept its estimate
    is no report). If it had not moved in between (its two fixes in one place,
    within two slow reports, the newer reporting no walking speed), it was there when
    the moving party's kept fix was taken; judged against the tighter of its two
    positions, a breach that was only possible at the time goes on record (her
    phone indoors reports every five minutes: he drove past her house in
    between)."""
    pending = m.pending
    assert pending is not None
    kept = pending[pid]
    if isinstance(kept, Crossing):
        return _confirm_crossing(m, pid, kept, r, v)
    still = v if kept.mover_is_respondent else r
    if still.t == kept.anchor[0] or still.held or still.jumped:
        # The moving party's fix, or a cell report that kept the still one's
        # estimate, or a leap discounted (no fresh evidence either way): wait
        # for its next real fix.
        return None
    del pending[pid]
    if not pending:
        m.pending = None
    p = m.params
    key = EpisodeKey(Rule.PROXIMITY_BREACH, pid)
    ep = m.episodes.get(key)
    now_at: Kept = (still.t, still.lat, still.lon, still.acc)
    if (
        (ep is not None and ep.open)
        or still.speed >= STILL_MPS
        or not _one_place(kept.anchor, now_at, p)
    ):
        return None
    fixed = now_at if still.acc <= kept.anchor[3] else kept.anchor
    mt, mlat, mlon, macc = kept.fix
    d = distance_m(mlat, mlon, fixed[1], fixed[2])
    sigma = math.hypot(fix_sigma(fixed[3], 0.0, True, p), macc / p.sigma_divisor)
    prob = prob_within(d, sigma, m.terms.min_distance_m)
    if prob < p.p_certain:
        return None
    return Shown(
        key,
        mt,
        (d, prob, sigma),
        (kept.fix, fixed) if kept.mover_is_respondent else (fixed, kept.fix),
        {"confirmed_by": list(now_at)},
    )


def _crossing(
    m: OrderMonitor, pid: str, r: Track, v: Track, age: float, now: float, out: list[Decision]
) -> None:
    """Both parties moving, the older fix carried on to the newer one's time: they
    may have come closer in between (crossing each other between his fix and
    hers), or before the older fix, since each one's fix before. If their
    straight courses came close, the lines through their fixes judge it where
    fixes bracket it on both sides (`_judge`); beyond the older fix it is a guess
    kept for the older party's next fix to confirm (`_confirm_crossing`)."""
    p = m.params
    dmin = m.terms.min_distance_m
    newer, older = (r, v) if r.t > v.t else (v, r)
    vn, vo = _heading(newer), _heading(older)
    longest = 2.0 * p.project_max_s
    if vn is None or vo is None or max(newer.acc, older.acc) >= p.cell_accuracy_m:
        return
    run = newer.gap  # seconds the newer party's line reaches back
    if newer.pspeed < STILL_MPS:
        # It set off from its still (or network) fix before: at the speed it
        # reports, when the distance between the two says, if that is after it.
        run = distance_m(newer.plat, newer.plon, newer.lat, newer.lon) / newer.speed
        if run > newer.gap:
            return
    if run > longest:
        return
    # Relative position of the older party from the newer one at the newer
    # one's time (the older carried on), and how it changed per second before.
    ox, oy = LocalProjection.around(newer.lat, newer.lon).to_xy(older.lat, older.lon)
    dx, dy = ox + vo[0] * age, oy + vo[1] * age
    wx, wy = vo[0] - vn[0], vo[1] - vn[1]
    # Back to the newer party's fix before, and to the older one's if moving.
    moved = older.pspeed >= STILL_MPS and older.gap <= longest
    lo = -min(run, age + older.gap if moved else age)
    # The distance changes by at most |w| a second: the cheap test first.
    if math.hypot(dx, dy) + math.hypot(wx, wy) * lo > dmin + 3.0 * (newer.acc + older.acc):
        return
    # Closest at the newer fix too (riding side by side): the older fix was
    # carried on there by a guess, and the lines through both parties' fixes
    # say more.
    t = _closest(dx, dy, wx, wy, lo, 0.0)
    d = math.hypot(dx + wx * t, dy + wy * t)
    back, on = -t, abs(age + t)  # seconds the newer is carried back, the older on (or back)
    sb = newer.speed * back * p.project_sigma_at_max * back / p.project_max_s
    so = older.speed * on * p.project_sigma_at_max * on / p.project_max_s
    s = math.sqrt(
        (newer.acc / p.sigma_divisor) ** 2 + (older.acc / p.sigma_divisor) ** 2 + sb * sb + so * so
    )
    prob = prob_within(d, s, dmin)
    if prob < p.p_possible:
        return
    # The track keeps no accuracy of the fix before: taken as the live one's.
    guess = Crossing(
        older is m.respondent,
        (older.t, older.lat, older.lon, older.acc),
        (older.t - older.gap, older.plat, older.plon, older.acc) if moved else None,
        vo,
        newer.t - age - older.t,
        (newer.t, newer.lat, newer.lon, newer.acc),
        vn,
        (newer.t - run, newer.plat, newer.plon, newer.acc),
        prob,
    )
    shown = _judge(m, pid, guess, None)
    if shown is not None:
        _record(m, out, now, shown)
        return
    pending = m.pending
    if pending is None:
        pending = m.pending = {}
    kept = pending.get(pid)
    if kept is None or (isinstance(kept, Crossing) and kept.prob < prob):
        pending[pid] = guess


def _went_straight(track: Track, p: RuleParams) -> bool:
    """Whether a moving fix lies where its moving fix before and its reported
    velocity put it: a multipath leap with an honest speed, 230 m beside the
    street, does not. Without a course or a moving fix before, nothing says."""
    vel = _heading(track)
    if vel is None or track.pspeed < STILL_MPS or track.gap > 2.0 * p.project_max_s:
        return True
    before = (track.t - track.gap, track.plat, track.plon, track.acc)
    return _straight(before, (track.t, track.lat, track.lon, track.acc), vel, p) is not None


def _heading(track: Track) -> tuple[float, float] | None:
    """The velocity (m/s east, north) of a tight moving satellite fix with a course."""
    if track.course < 0.0 or track.speed < STILL_MPS or track.jumped or track.held:
        return None
    h = math.radians(track.course)
    return track.speed * math.sin(h), track.speed * math.cos(h)


def _closest(dx: float, dy: float, wx: float, wy: float, lo: float, hi: float) -> float:
    """The time in [lo, hi] at which (dx, dy) + t (wx, wy) is shortest."""
    ww = wx * wx + wy * wy
    t = -(dx * wx + dy * wy) / ww if ww > 0.0 else hi
    return lo if t < lo else hi if t > hi else t


def _straight(a: Kept, b: Kept, velocity: tuple[float, float], p: RuleParams) -> float | None:
    """How far (metres) kept position b misses where a straight line from a at
    the reported velocity puts it; None when beyond both radii and a share of
    the way (it turned or stopped in between)."""
    dt = b[0] - a[0]
    if dt <= 0.0 or dt > 2.0 * p.project_max_s:
        return None
    bx, by = LocalProjection.around(a[1], a[2]).to_xy(b[1], b[2])
    miss = math.hypot(bx - velocity[0] * dt, by - velocity[1] * dt)
    if miss > JUMP_RADII * (a[3] + b[3]) + STRAIGHT_SHARE * math.hypot(*velocity) * dt:
        return None
    return miss


def _at(line: list[Kept], t: float, plane: LocalProjection) -> tuple[float, float]:
    """Where a party was at t on the line through its kept positions (in time
    order, t within them), in metres on `plane`."""
    for a, b in pairwise(line):
        if t <= b[0]:
            f = (t - a[0]) / (b[0] - a[0])
            return plane.to_xy(a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f)
    last = line[-1]
    return plane.to_xy(last[1], last[2])


def _nearest(one: list[Kept], other: list[Kept]) -> tuple[float, float]:
    """(distance, time) where two parties, each on the line through its kept
    positions (on one clock), came closest over the time both lines span."""
    lo, hi = max(one[0][0], other[0][0]), min(one[-1][0], other[-1][0])
    times = sorted({lo, hi, *(k[0] for k in one + other if lo < k[0] < hi)})
    best, when = math.inf, lo
    plane = LocalProjection.around(other[0][1], other[0][2])
    for t0, t1 in pairwise(times):
        ax, ay = _at(one, t0, plane)
        bx, by = _at(other, t0, plane)
        cx, cy = _at(one, t1, plane)
        ex, ey = _at(other, t1, plane)
        dx, dy = ax - bx, ay - by
        wx, wy = (cx - ex - dx) / (t1 - t0), (cy - ey - dy) / (t1 - t0)
        t = _closest(dx, dy, wx, wy, 0.0, t1 - t0)
        d = math.hypot(dx + wx * t, dy + wy * t)
        if d < best:
            best, when = d, t0 + t
    return best, when


def _confirm_crossing(
    m: OrderMonitor, pid: str, kept: Crossing, r: Track, v: Track
) -> Shown | None:
    """The older party of a crossing has reported again: its line goes on to
    that fix, if it went on straight (see `_judge`)."""
    older = r if kept.older_is_respondent else v
    if older.t == kept.older[0]:
        return None  # the newer party's fix: the older one has not reported yet
    pending = m.pending
    assert pending is not None
    del pending[pid]
    if not pending:
        m.pending = None
    if older.jumped or older.held or older.acc >= m.params.cell_accuracy_m:
        return None
    return _judge(m, pid, kept, (older.t, older.lat, older.lon, older.acc))


def _judge(m: OrderMonitor, pid: str, kept: Crossing, after: Kept | None) -> Shown | None:
    """Each party on the line through its fixes, where each stretch between two
    fixes went straight at the speed reported (the older party's fix `after`,
    when it has reported again, extends its line). Where the lines came closest,
    over the time both span, is evidence of where they were: a breach there goes
    on record (a late P2; a guess never pages at once): what shows it, if so."""
    p = m.params
    key = EpisodeKey(Rule.PROXIMITY_BREACH, pid)
    ep = m.episodes.get(key)
    if ep is not None and ep.open:
        return None
    o0, n0, n1 = kept.older, kept.before, kept.newer
    ours = [o0]
    misses = []
    if kept.older_before is not None:
        miss = _straight(kept.older_before, o0, kept.velocity, p)
        if miss is not None:
            ours.insert(0, kept.older_before)
            misses.append(miss)
    if after is not None:
        miss = _straight(o0, after, kept.velocity, p)
        if miss is None:
            return None
        ours.append(after)
        misses.append(miss)
    miss = _straight(n0, n1, kept.newer_velocity, p)
    if miss is None or len(ours) < 2:
        return None
    misses.append(miss)
    # On the newer party's clock.
    line = [(k[0] + kept.skew, k[1], k[2], k[3]) for k in ours]
    if max(line[0][0], n0[0]) >= min(line[-1][0], n1[0]):
        return None
    d, t = _nearest(line, [n0, n1])
    # Each line is as good as its coarsest fix, and as far as a straight course
    # missed (half of it off the line at most, midway).
    so = max(k[3] for k in line) / p.sigma_divisor
    sn = max(n0[3], n1[3]) / p.sigma_divisor
    sigma = math.sqrt(so * so + sn * sn + sum(0.25 * x * x for x in misses))
    dmin = m.terms.min_distance_m
    prob = prob_within(d, sigma, dmin)
    if prob < p.p_certain:
        return None
    mine, theirs = [list(k) for k in ours], [list(n0), list(n1)]
    crossing = {
        "respondent": mine if kept.older_is_respondent else theirs,
        "protected": theirs if kept.older_is_respondent else mine,
    }
    fixes = (o0, n1) if kept.older_is_respondent else (n1, o0)
    return Shown(key, t, (d, prob, sigma), fixes, {"crossing": crossing})


def _record(m: OrderMonitor, out: list[Decision], now: float, shown: Shown) -> None:
    """A breach shown after the fact on record as a late episode (P2)."""
    d, prob, sigma = shown.judged
    fixes = shown.fixes
    late_episode(
        m,
        out,
        shown.key,
        now=now,
        t=shown.t,
        level=Confidence.CERTAIN,
        evidence={
            "distance_m": round(d, 1),
            "probability": round(prob, 3),
            "sigma_m": round(sigma, 1),
            "respondent_fix": list(fixes[0]),
            "protected_fix": list(fixes[1]),
            **shown.extra,
            "limit_m": m.terms.min_distance_m,
        },
    )


def late_fix(
    m: OrderMonitor,
    pid: str,
    fix: Fix,
    other: Track,
    now: float,
    out: list[Decision],
    *,
    respondent_fix: bool,
) -> None:
    """A late fix of either party against the other's track at that time: a
    breach it shows is put on record as a late episode."""
    near = other.nearest(fix.t)
    if near is None:
        return
    ot, olat, olon, oacc = near
    age = abs(fix.t - ot)
    p = m.params
    if age > p.max_counterpart_age_s:
        return
    d = distance_m(fix.lat, fix.lon, olat, olon)
    # Both are single fixes from the record: each at its own error, the other
    # widened by the time between them, unless the other stayed put then.
    mine_s = fix_sigma(fix.acc, fix.speed, False, p)
    if stayed(other, fix.t, p):
        theirs_s = fix_sigma(oacc, 0.0, True, p)
    else:
        theirs_s = fix_sigma(oacc, None, False, p) + age * p.stale_speed_mps / p.sigma_divisor
    prob = prob_within(d, math.hypot(mine_s, theirs_s), m.terms.min_distance_m)
    coarse = fix.acc >= p.cell_accuracy_m or oacc >= p.cell_accuracy_m
    moving = fix.speed is not None and fix.speed >= STILL_MPS
    level = level_of(prob, coarse, moving, p)
    if level not in PAGING:
        return
    mine = [fix.t, fix.lat, fix.lon, fix.acc]
    theirs = [ot, olat, olon, oacc]
    late_episode(
        m,
        out,
        EpisodeKey(Rule.PROXIMITY_BREACH, pid),
        now=now,
        t=fix.t,
        level=level,
        evidence={
            "distance_m": round(d, 1),
            "probability": round(prob, 3),
            "respondent_fix": mine if respondent_fix else theirs,
            "protected_fix": theirs if respondent_fix else mine,
            "counterpart_age_s": round(age, 1),
            "limit_m": m.terms.min_distance_m,
        },
    )


def stayed(track: Track, t: float, p: RuleParams) -> bool:
    """Whether the party of `track` was where it was kept at time t: a still
    phone reports on its slow schedule and every minute once it moves, so two
    kept positions around t, at most two slow reports apart and in one place
    (within the larger accuracy), show that it had not walked off in between;
    so does its live position when it is resting and t falls within one slow
    report after it."""
    before, after = track.bracket(t)
    if before is None:
        return False
    if after is None:
        return before[0] == track.t and resting(track, p) and t - track.t <= p.still_report_s
    return _one_place(before, after, p)


def _one_place(before: Kept, after: Kept, p: RuleParams) -> bool:
    """Two kept positions of a phone at most two slow reports apart and in one
    place (within two of the larger, non-cell radii): it had not walked off
    between."""
    if after[0] - before[0] > 2.0 * p.still_report_s:
        return False
    # Indoors a still phone's fixes drift apart by up to two radii between two
    # reports; walking off, it would have reported every minute.
    acc = max(before[3], after[3])
    return (
        acc < p.cell_accuracy_m
        and distance_m(before[1], before[2], after[1], after[2]) <= JUMP_RADII * acc
    )


def near_victim(m: OrderMonitor) -> bool:
    """Whether the respondent's last position is within the warning distance of a
    protected person's."""
    r = m.respondent
    if not r.known:
        return False
    limit = m.terms.warning_distance_m
    for v in m.protected.values():
        if v.known and distance_m(r.lat, r.lon, v.lat, v.lon) - r.acc - v.acc <= limit:
            return True
    return False


def _arrived_after(a: Track, b: Track, p: RuleParams) -> bool:
    """Whether `a`'s fix was taken after `b`'s by the server's one clock: both
    arrived on time, `a`'s later (his phone clock 40 s fast dates his fix after
    hers when it was taken 20 s before)."""
    return a.at >= b.at and _on_time(a, b, p)


def _on_time(a: Track, b: Track, p: RuleParams) -> bool:
    """Both live fixes arrived on time (neither buffered): their arrivals are
    on the server's one clock."""
    return a.at - a.t <= p.late_after_s and b.at - b.t <= p.late_after_s


def _apart(r: Track, v: Track, age: float, p: RuleParams) -> float:
    """Seconds between the two fixes. Device clocks disagree (a phone's by up
    to a minute), the server's is one clock: when both fixes arrived on time,
    the time between their arrivals bounds the time between them (two fixes
    taken together, one by a phone 30 s fast, are not 30 s apart; aging or
    carrying one on by 30 s puts it where it was not)."""
    if age > 0.0 and _on_time(r, v, p):
        return min(age, abs(r.at - v.at))
    return age
