"""What every rule family shares: emitting decisions, opening and closing episodes,
and the messages to the parties that follow from them.

Messages to the respondent (INSTRUCT) carry a message code and at most a static
zone's id: never the protected person's position, a distance or a bearing. They
answer only fixes that passed the plausibility check (`engine.plausibility`),
none is sent while his device is suspected of spoofing, and a "clear" follows a
"leave" no sooner than `RuleParams.instruct_hold_s` (see docs/respondent-instructions.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.rules import CATALOGUE, PROXIMITY_RULES, ZONE_RULES, AlertKey, EpisodeKey, Rule
from korgoo.engine.episode import Episode, Step, force_clear, force_open
from korgoo.geo import distance_m

if TYPE_CHECKING:
    from korgoo.engine.monitor import OrderMonitor

PAGING = (Confidence.CERTAIN, Confidence.PROBABLE)
# A "clear" is held back `RuleParams.instruct_hold_s` after a "leave", and, if he
# stays near where he was told to leave, at most this long (a clear must not wait
# for ever when she came near his home and left).
INSTRUCT_RELEASE_S = 900.0


def emit(
    m: OrderMonitor,
    out: list[Decision],
    kind: DecisionKind,
    key: EpisodeKey,
    number: int,
    *,
    at: float,
    occurred_at: float,
    priority: Priority | None = None,
    confidence: Confidence | None = None,
    pages: bool = False,
    evidence: dict[str, object] | None = None,
    message: str = "",
    late: bool = False,
) -> None:
    """One decision about episode `number` of `key`."""
    rule, subject = key
    out.append(
        Decision(
            kind=kind,
            at=at,
            order_id=m.order_id,
            rule=rule,
            rule_version=CATALOGUE[rule].version,
            params_rev=m.params.revision,
            alert_key=str(AlertKey(m.order_id, rule, subject, number)),
            late=late,
            subject=subject,
            priority=priority,
            confidence=confidence,
            pages=pages,
            occurred_at=occurred_at,
            message=message,
            evidence=evidence or {},
        )
    )


def raise_certain(
    m: OrderMonitor,
    out: list[Decision],
    key: EpisodeKey,
    *,
    at: float,
    occurred_at: float,
    priority: Priority,
    pages: bool,
    evidence: dict[str, object],
) -> bool:
    """Open the episode on certain evidence (a signal, a deadline) unless it is
    open already; True if it opened."""
    ep = m.ep(key)
    if not force_open(ep):
        return False
    emit(
        m,
        out,
        DecisionKind.OPENED,
        key,
        ep.number,
        at=at,
        occurred_at=occurred_at,
        priority=priority,
        confidence=Confidence.CERTAIN,
        pages=pages,
        evidence=evidence,
    )
    return True


def instant(
    m: OrderMonitor,
    out: list[Decision],
    key: EpisodeKey,
    *,
    at: float,
    occurred_at: float,
    priority: Priority,
    evidence: dict[str, object],
) -> None:
    """An alarm that is over as soon as it happens: raised, and at once
    returned to normal (it still needs an operator)."""
    ep = m.ep(key)
    number = ep.next_number()
    emit(
        m,
        out,
        DecisionKind.OPENED,
        key,
        number,
        at=at,
        occurred_at=occurred_at,
        priority=priority,
        confidence=Confidence.CERTAIN,
        pages=True,
        evidence=evidence,
    )
    emit(
        m, out, DecisionKind.CLEARED, key, number, at=at, occurred_at=occurred_at, message="instant"
    )


def close(m: OrderMonitor, out: list[Decision], key: EpisodeKey, now: float, reason: str) -> None:
    """Clear an open episode for a reason other than its evidence (order ended,
    zone removed, contact, charging ...), with the messages that follow."""
    ep = m.episodes.get(key)
    if ep is None or not force_clear(ep):
        return
    emit(m, out, DecisionKind.CLEARED, key, ep.number, at=now, occurred_at=now, message=reason)
    rule, subject = key
    if rule in PROXIMITY_RULES and subject in m.protected:
        all_clear(m, out, subject, now)
    elif rule in ZONE_RULES:
        instruct_clear(m, out, now, hold=False)
        if rule is Rule.ZONE_EXCLUSION:
            for pid in m.protected:
                all_clear(m, out, pid, now)


def paging_step(
    m: OrderMonitor,
    out: list[Decision],
    key: EpisodeKey,
    ep: Episode,
    step: int,
    *,
    now: float,
    t: float,
    evidence: dict[str, object],
    was_paging: bool,
) -> None:
    """A step of a breach episode (proximity or zone), and the messages to the
    parties when it starts or stops paging."""
    rule, subject = key
    conf = ep.confidence
    paging = conf in PAGING
    prio = CATALOGUE[rule].priority if paging else Priority.P4
    if step == Step.CLEARED:
        emit(m, out, DecisionKind.CLEARED, key, ep.number, at=now, occurred_at=t, evidence=evidence)
        instruct_clear(m, out, now)
        if rule is Rule.PROXIMITY_BREACH:
            all_clear(m, out, subject, now)
        elif rule is Rule.ZONE_EXCLUSION:
            for pid in m.protected:
                all_clear(m, out, pid, now)
        return
    emit(
        m,
        out,
        DecisionKind.OPENED if step == Step.OPENED else DecisionKind.UPDATED,
        key,
        ep.number,
        at=now,
        occurred_at=t,
        priority=prio,
        confidence=conf,
        pages=paging,
        evidence=evidence,
    )
    if paging and not was_paging:
        if rule is Rule.PROXIMITY_BREACH:
            instruct(m, out, "leave_now", "", now)
            warn(m, out, subject, "alert", now)
        else:
            instruct(m, out, "leave_zone", subject, now)
            if rule is Rule.ZONE_EXCLUSION:
                for pid in m.protected:
                    warn(m, out, pid, "alert", now)


def late_episode(
    m: OrderMonitor,
    out: list[Decision],
    key: EpisodeKey,
    *,
    now: float,
    t: float,
    level: Confidence | None,
    evidence: dict[str, object],
) -> None:
    """A breach revealed by a late fix: recorded as raised and at once over."""
    ep = m.ep(key)
    gap = m.params.late_episode_gap_s
    if ep.late_last_t >= 0.0 and abs(t - ep.late_last_t) <= gap:
        ep.late_last_t = max(ep.late_last_t, t)
        return  # the same past episode, already on record
    ep.late_last_t = t
    ep.late_number = ep.next_number()
    for kind in (DecisionKind.OPENED, DecisionKind.CLEARED):
        opened = kind is DecisionKind.OPENED
        emit(
            m,
            out,
            kind,
            key,
            ep.late_number,
            at=now,
            occurred_at=t,
            priority=Priority.P2,
            confidence=level,
            pages=opened,
            evidence=evidence,
            message="" if opened else "late_record",
            late=True,
        )


def warn(m: OrderMonitor, out: list[Decision], pid: str, message: str, now: float) -> None:
    if not message.startswith("technical"):
        if m.warned is None:
            m.warned = {}
        m.warned[pid] = True
    out.append(
        Decision(
            kind=DecisionKind.WARN, at=now, order_id=m.order_id, message=message, recipient=pid
        )
    )


def all_clear(m: OrderMonitor, out: list[Decision], pid: str, now: float) -> None:
    """Tell a warned protected person that no danger stands any more."""
    if not m.warned or not m.warned.get(pid):
        return
    episodes = m.episodes
    for rule in PROXIMITY_RULES:
        ep = episodes.get(EpisodeKey(rule, pid))
        if ep is not None and ep.open:
            return
    for key, ep in episodes.items():
        if key.rule is Rule.ZONE_EXCLUSION and ep.open:
            return
    m.warned[pid] = False
    out.append(
        Decision(
            kind=DecisionKind.WARN, at=now, order_id=m.order_id, message="all_clear", recipient=pid
        )
    )


def spoofing(m: OrderMonitor) -> bool:
    """Whether a device of the respondent has an open spoofing episode."""
    episodes = m.episodes
    for dev in m.devices.values():
        if dev.respondent and dev.suspect_ts:
            ep = episodes.get(EpisodeKey(Rule.DEVICE_SPOOF, dev.device_id))
            if ep is not None and ep.open:
                return True
    return False


def instruct(m: OrderMonitor, out: list[Decision], message: str, subject: str, now: float) -> None:
    # Only a message code and, for a static zone, the zone's id: nothing from
    # which the protected person's position could be worked out.
    if message != "clear":
        if spoofing(m):
            return  # his positions are not to be trusted: the operator has the alerts
        m.instructed = True
        m.instructed_at = now
        m.clear_pending = False
        r = m.respondent
        if message == "leave_now" and r.known:
            m.leave_from = (r.lat, r.lon)
    out.append(
        Decision(
            kind=DecisionKind.INSTRUCT,
            at=now,
            order_id=m.order_id,
            message=message,
            subject=subject,
            recipient=m.terms.respondent.person_id,
        )
    )


def instruct_clear(m: OrderMonitor, out: list[Decision], now: float, *, hold: bool = True) -> None:
    """Tell an instructed respondent he is clear, unless a breach stands; within
    the hold the clear waits for the next fix after it (`hold=False` for reasons
    that say nothing of her position: order ended, zone removed)."""
    if not m.instructed:
        return
    for key, ep in m.episodes.items():
        if ep.open and (key.rule is Rule.PROXIMITY_BREACH or key.rule in ZONE_RULES):
            m.clear_pending = False
            return
    if hold and not _may_clear(m, now):
        m.clear_pending = True
        return
    m.instructed = False
    m.clear_pending = False
    m.leave_from = None
    instruct(m, out, "clear", "", now)


def _may_clear(m: OrderMonitor, now: float) -> bool:
    """After a leave_now, clear only once he is twice the minimum distance (and
    the margin) from where he was told to leave, or after the release time: then
    it follows from his own path and the clock, not from where she is (she was
    within the distance of that place)."""
    if now - m.instructed_at < m.params.instruct_hold_s:
        return False
    if m.leave_from is None or now - m.instructed_at >= INSTRUCT_RELEASE_S:
        return True
    r = m.respondent
    far = 2.0 * m.terms.min_distance_m + m.params.clear_margin_m
    return r.known and distance_m(r.lat, r.lon, *m.leave_from) >= far


def idle(episodes: dict[EpisodeKey, Episode], keys: Iterable[EpisodeKey]) -> bool:
    """No episode of `keys` open or pending: nothing a far-away fix must see."""
    for key in keys:
        ep = episodes.get(key)
        if ep is not None and (ep.open or ep.pending is not None):
            return False
    return True
