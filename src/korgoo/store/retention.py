"""Retention: remove what is past its period, keep what an open case or an
exported evidence bundle needs, and leave a tombstone and an audit entry.

An order *holds* its records of a kind while it is in force, for that kind's
period after it ended (`ends_at` of its latest version: ending an order sets
it), while one of its alerts is unresolved, and for `export_hold` after an
evidence bundle of it was exported (the `evidence.export` audit entries).

Kinds, and what makes a record go:
- events: a prefix of the log, every seq below both the first event of the
  oldest held order (its first version) and the first event received within the
  period. A prefix keeps replay sound: a held order still has every event from
  its first version on, which is all its engine state depends on.
- decisions: older than the period, of an order not held, and caused by an
  event no longer in the log (so a restart's replay cannot make them again).
- alerts: resolved before the period, of an order not held, with every action
  (alert_transitions) older than it; the alert and its actions go together.
- notifications: sent, delivered or failed, created before the period, of an
  order not held.
- check-in photos: the file is deleted and `photo_path` cleared; the check-in
  itself (planned, sent, answered) stays for the statistics.
- probation records, each table its own kind: reporting appointments (from
  the outcome, else the appointment), officers' reviews of alerts (from the
  review) and requests to vary a curfew (from the decision, else the request),
  older than the probation period, of an order not held.
- audit_log: the prefix older than the period, never the newest entry; the
  chain's checkpoint at the cut goes into the tombstone and into the keyed
  `retention.removed` entry that `audit_verify` starts from.

Each kind (each chunk of events) is one transaction: the deletion, its
tombstone and its audit entry commit together. The append-only guards let a
transaction delete rows of a table only while it holds a `retention_lease` on
it, and only rows older than the lease's cutoff (migration 0013); the lease is
removed before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from korgoo.settings import Settings
from korgoo.store.audit import RETENTION, AuditKeys, audit_append, cut_checkpoint
from korgoo.store.orders import is_latest, latest_numbers
from korgoo.store.schema import (
    alert_transitions,
    alerts,
    audit_log,
    checkins,
    decisions,
    events,
    notifications,
    order_versions,
    probation_appointments,
    probation_reviews,
    retention_lease,
    retention_tombstones,
    variation_requests,
)

DAY_S = 86_400.0
# The probation tables: kind (the table's name), its id, and when a row was last written.
PROBATION: tuple[tuple[sa.Table, sa.ColumnElement[Any], sa.ColumnElement[Any]], ...] = (
    (
        probation_appointments,
        probation_appointments.c.id,
        sa.func.coalesce(probation_appointments.c.outcome_at, probation_appointments.c.at),
    ),
    (probation_reviews, probation_reviews.c.id, probation_reviews.c.reviewed_at),
    (
        variation_requests,
        variation_requests.c.id,
        sa.func.coalesce(variation_requests.c.decided_at, variation_requests.c.requested_at),
    ),
)
KINDS = (
    "events",
    "decisions",
    "alerts",
    "notifications",
    "checkin_photos",
    *(table.name for table, _, _ in PROBATION),
    "audit_log",
)
EVENTS_CHUNK = 50_000  # events per transaction: the pipeline's writes wait no longer
IDS_IN_DETAILS = 1_000  # string ids listed in a tombstone beyond its range
REASON = "past its retention period"
_DONE_NOTIFICATIONS = ("sent", "delivered", "failed")

Advance = Callable[[str, int], None]


class LeftLeaseError(RuntimeError):
    """A retention lease was committed: the guards are open; nothing is removed."""


@dataclass(frozen=True)
class Periods:
    """Seconds each kind is kept (see `Settings.retention_*`)."""

    events: float
    decisions: float
    alerts: float
    notifications: float
    checkin_photos: float
    audit_log: float
    export_hold: float
    probation: float

    @classmethod
    def of(cls, s: Settings) -> Periods:
        return cls(
            events=s.retention_positions_days * DAY_S,
            decisions=s.retention_decisions_days * DAY_S,
            alerts=s.retention_alerts_days * DAY_S,
            notifications=s.retention_notifications_days * DAY_S,
            checkin_photos=s.retention_checkin_photos_days * DAY_S,
            audit_log=s.retention_audit_days * DAY_S,
            export_hold=s.retention_export_hold_days * DAY_S,
            probation=s.retention_probation_days * DAY_S,
        )


@dataclass(frozen=True)
class Removal:
    """What went (or, in a dry run, would go) of one kind."""

    kind: str
    count: int
    cutoff: float
    first_id: str | None = None
    last_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Ctx:
    now: float
    periods: Periods
    exported: frozenset[str]  # orders of bundles exported within the hold
    open_cases: frozenset[str]  # orders with an unresolved alert
    ends: dict[str, float]  # each order's end (its latest version's ends_at)

    def held(self, period: float) -> list[str]:
        """Orders whose records of a kind kept `period` after the order ended must stay."""
        since = self.now - period
        out = {o for o, end in self.ends.items() if end > since} | self.exported | self.open_cases
        return sorted(out)


def _context(conn: sa.Connection, periods: Periods, now: float) -> _Ctx:
    latest = latest_numbers()
    ends = conn.execute(
        sa.select(order_versions.c.order_id, order_versions.c.ends_at).join(
            latest, is_latest(latest)
        )
    )
    open_cases = conn.scalars(sa.select(alerts.c.order_id).where(alerts.c.resolved.is_(False)))
    exports = conn.scalars(
        sa.select(audit_log.c.details).where(
            audit_log.c.action == "evidence.export", audit_log.c.at >= now - periods.export_hold
        )
    )
    exported = {orjson.loads(d).get("order_id") for d in exports}
    return _Ctx(
        now,
        periods,
        frozenset(o for o in exported if o),
        frozenset(open_cases),
        {o: float(end) for o, end in ends},
    )


# -- what goes, per kind ------------------------------------------------------------


def _events_cut(conn: sa.Connection, ctx: _Ctx) -> int:
    """Events with seq below this go."""
    cutoff = ctx.now - ctx.periods.events
    bounds = [conn.scalar(sa.select(sa.func.min(events.c.seq)).where(events.c.at >= cutoff))]
    held = ctx.held(ctx.periods.events)
    if held:
        bounds.append(
            conn.scalar(
                sa.select(sa.func.min(events.c.seq)).where(
                    events.c.kind == "order", events.c.order_id.in_(held)
                )
            )
        )
    found = [b for b in bounds if b is not None]
    if found:
        return int(min(found))
    newest = conn.scalar(sa.select(sa.func.max(events.c.seq)))
    return 1 if newest is None else int(newest) + 1


def _decisions_where(ctx: _Ctx, kept_seq: int) -> sa.ColumnElement[bool]:
    """Decisions that go once the events below `kept_seq` are gone: old, of an order
    not held, and which a replay of the remaining log cannot make again (their
    event is gone, or no version of their order is left in the log)."""
    order_left = sa.exists().where(
        events.c.kind == "order",
        events.c.order_id == decisions.c.order_id,
        events.c.seq >= kept_seq,
    )
    return sa.and_(
        decisions.c.at < ctx.now - ctx.periods.decisions,
        decisions.c.order_id.not_in(ctx.held(ctx.periods.decisions)),
        sa.or_(decisions.c.seq < kept_seq, sa.and_(decisions.c.order_id != "", ~order_left)),
    )


def _no_seq(conn: sa.Connection) -> int:
    """The seq the next event will get: every event below it is gone."""
    return int(conn.scalar(sa.select(sa.func.max(decisions.c.seq))) or 0) + 1


def _alert_keys(conn: sa.Connection, ctx: _Ctx) -> list[str]:
    cutoff = ctx.now - ctx.periods.alerts
    late_action = sa.exists().where(
        alert_transitions.c.alert_key == alerts.c.alert_key, alert_transitions.c.at >= cutoff
    )
    query = (
        sa.select(alerts.c.alert_key)
        .where(alerts.c.resolved.is_(True), alerts.c.resolved_at < cutoff)
        .where(alerts.c.order_id.not_in(ctx.held(ctx.periods.alerts)), ~late_action)
        .order_by(alerts.c.alert_key)
    )
    return list(conn.scalars(query))


def _notification_ids(conn: sa.Connection, ctx: _Ctx) -> list[str]:
    query = (
        sa.select(notifications.c.id)
        .where(notifications.c.status.in_(_DONE_NOTIFICATIONS))
        .where(notifications.c.created_at < ctx.now - ctx.periods.notifications)
        .where(notifications.c.order_id.not_in(ctx.held(ctx.periods.notifications)))
        .order_by(notifications.c.id)
    )
    return list(conn.scalars(query))


def _photos(conn: sa.Connection, ctx: _Ctx) -> list[tuple[str, str]]:
    """(check-in id, photo path) of the photos that go."""
    taken = sa.func.coalesce(checkins.c.photo_at, checkins.c.send_at)
    query = (
        sa.select(checkins.c.id, checkins.c.photo_path)
        .where(checkins.c.photo_path.is_not(None))
        .where(taken < ctx.now - ctx.periods.checkin_photos)
        .where(checkins.c.order_id.not_in(ctx.held(ctx.periods.checkin_photos)))
        .order_by(checkins.c.id)
    )
    return [(i, p) for i, p in conn.execute(query)]


def _probation_ids(
    conn: sa.Connection,
    ctx: _Ctx,
    table: sa.Table,
    id_: sa.ColumnElement[Any],
    written: sa.ColumnElement[Any],
) -> list[Any]:
    """The ids of the table's rows that go (strings, or numbers for the reviews)."""
    query = (
        sa.select(id_)
        .where(written < ctx.now - ctx.periods.probation)
        .where(table.c.order_id.not_in(ctx.held(ctx.periods.probation)))
        .order_by(id_)
    )
    return list(conn.scalars(query))


def _audit_kept_from(conn: sa.Connection, ctx: _Ctx) -> tuple[int, int] | None:
    """(first id now, first id kept) if the cut removes anything, else None. The
    newest entry always stays: the chain goes on from it."""
    first, newest = conn.execute(
        sa.select(sa.func.min(audit_log.c.id), sa.func.max(audit_log.c.id))
    ).one()
    if newest is None:
        return None
    recent = conn.scalar(
        sa.select(sa.func.min(audit_log.c.id)).where(
            audit_log.c.at >= ctx.now - ctx.periods.audit_log
        )
    )
    kept_from = min(int(newest), int(recent) if recent is not None else int(newest))
    return (int(first), kept_from) if kept_from > first else None


# -- the run ------------------------------------------------------------------------


def _ids(ids: Sequence[str]) -> dict[str, Any]:
    if len(ids) <= IDS_IN_DETAILS:
        return {"ids": list(ids)}
    return {"ids": list(ids[:IDS_IN_DETAILS]), "ids_left_out": len(ids) - IDS_IN_DETAILS}


def plan(engine: sa.Engine, periods: Periods, now: float) -> list[Removal]:
    """What a run at `now` would remove, kind by kind (nothing is changed)."""
    out: list[Removal] = []
    with engine.connect() as conn:
        ctx = _context(conn, periods, now)
        cut = _events_cut(conn, ctx)
        first, count = conn.execute(
            sa.select(sa.func.min(events.c.seq), sa.func.count()).where(events.c.seq < cut)
        ).one()
        out.append(_removal("events", count, now - periods.events, first, cut - 1))
        # Decisions are judged against the log as it will be after the events go.
        kept_seq = conn.scalar(sa.select(sa.func.min(events.c.seq)).where(events.c.seq >= cut))
        where = _decisions_where(ctx, kept_seq or _no_seq(conn))
        low, high, count = conn.execute(
            sa.select(
                sa.func.min(decisions.c.id), sa.func.max(decisions.c.id), sa.func.count()
            ).where(where)
        ).one()
        out.append(_removal("decisions", count, now - periods.decisions, low, high))
        keys = _alert_keys(conn, ctx)
        out.append(_listed("alerts", keys, now - periods.alerts))
        ids = _notification_ids(conn, ctx)
        out.append(_listed("notifications", ids, now - periods.notifications))
        photos = [i for i, _ in _photos(conn, ctx)]
        out.append(_listed("checkin_photos", photos, now - periods.checkin_photos))
        for table, id_, written in PROBATION:
            ids = [str(i) for i in _probation_ids(conn, ctx, table, id_, written)]
            out.append(_listed(table.name, ids, now - periods.probation))
        cut_audit = _audit_kept_from(conn, ctx)
        n = 0 if cut_audit is None else cut_audit[1] - cut_audit[0]
        low_a, high_a = (None, None) if cut_audit is None else (cut_audit[0], cut_audit[1] - 1)
        out.append(_removal("audit_log", n, now - periods.audit_log, low_a, high_a))
    return out


def _removal(kind: str, count: int, cutoff: float, low: Any, high: Any) -> Removal:
    if not count:
        return Removal(kind, 0, cutoff)
    return Removal(kind, int(count), cutoff, str(low), str(high))


def _listed(kind: str, ids: Sequence[str], cutoff: float) -> Removal:
    if not ids:
        return Removal(kind, 0, cutoff)
    return Removal(kind, len(ids), cutoff, ids[0], ids[-1], _ids(ids))


def run_retention(
    engine: sa.Engine,
    periods: Periods,
    now: float,
    keys: AuditKeys,
    *,
    actor: str = "korgoo",
    advance: Advance | None = None,
) -> list[Removal]:
    """Remove what is past its period; one tombstone and one audit entry per kind
    (per chunk of events). Returns what was removed, kind by kind."""
    with engine.connect() as conn:
        left = list(conn.scalars(sa.select(retention_lease.c.tbl)))
    if left:
        # Only this job writes leases, and never commits one: this one was written by hand.
        raise LeftLeaseError(f"a committed retention lease on {', '.join(left)}: removed by hand?")
    step = advance or (lambda _kind, _n: None)
    done: list[Removal] = []
    done += _remove_events(engine, periods, now, keys, actor, step)
    done.append(_remove_decisions(engine, periods, now, keys, actor, step))
    done.append(_remove_alerts(engine, periods, now, keys, actor, step))
    done.append(_remove_notifications(engine, periods, now, keys, actor, step))
    done.append(_remove_photos(engine, periods, now, keys, actor, step))
    done += [_remove_probation(engine, periods, now, keys, actor, step, *t) for t in PROBATION]
    done.append(_remove_audit(engine, periods, now, keys, actor, step))
    return [r for r in done if r.count]


def _leased(conn: sa.Connection, tables: Iterable[str], before_at: float) -> None:
    conn.execute(sa.insert(retention_lease), [{"tbl": t, "before_at": before_at} for t in tables])


def _release(conn: sa.Connection) -> None:
    conn.execute(sa.delete(retention_lease))


def _record(conn: sa.Connection, removal: Removal, now: float, actor: str, key: bytes) -> None:
    """The tombstone and the audit entry of one removal, in its transaction."""
    conn.execute(
        sa.insert(retention_tombstones).values(
            at=now,
            kind=removal.kind,
            count=removal.count,
            first_id=removal.first_id,
            last_id=removal.last_id,
            cutoff=removal.cutoff,
            reason=REASON,
            details=removal.details,
        )
    )
    details: dict[str, object] = {
        "kind": removal.kind,
        "count": removal.count,
        "first": removal.first_id,
        "last": removal.last_id,
        "cutoff": removal.cutoff,
        "reason": REASON,
    }
    if "audit_log" in removal.details:
        details["audit_log"] = removal.details["audit_log"]
    audit_append(conn, actor, RETENTION, f"retention:{removal.kind}", details, at=now, key=key)


def _remove_events(
    engine: sa.Engine, periods: Periods, now: float, keys: AuditKeys, actor: str, step: Advance
) -> list[Removal]:
    cutoff = now - periods.events
    with engine.connect() as conn:
        cut = _events_cut(conn, _context(conn, periods, now))
    out: list[Removal] = []
    while True:
        with engine.begin() as conn:
            low = conn.scalar(sa.select(sa.func.min(events.c.seq)).where(events.c.seq < cut))
            if low is None:
                return out
            high = min(cut, int(low) + EVENTS_CHUNK)
            _leased(conn, ["events"], cutoff)
            count = conn.execute(sa.delete(events).where(events.c.seq < high)).rowcount
            _release(conn)
            removal = Removal("events", count, cutoff, str(low), str(high - 1))
            _record(conn, removal, now, actor, keys.chain)
        out.append(removal)
        step("events", count)


def _remove_decisions(
    engine: sa.Engine, periods: Periods, now: float, keys: AuditKeys, actor: str, step: Advance
) -> Removal:
    cutoff = now - periods.decisions
    with engine.begin() as conn:
        kept_seq = conn.scalar(sa.select(sa.func.min(events.c.seq)))
        where = _decisions_where(_context(conn, periods, now), kept_seq or _no_seq(conn))
        low, high = conn.execute(
            sa.select(sa.func.min(decisions.c.id), sa.func.max(decisions.c.id)).where(where)
        ).one()
        if low is None:
            return Removal("decisions", 0, cutoff)
        _leased(conn, ["decisions"], cutoff)
        count = conn.execute(sa.delete(decisions).where(where)).rowcount
        _release(conn)
        removal = Removal("decisions", count, cutoff, str(low), str(high))
        _record(conn, removal, now, actor, keys.chain)
    step("decisions", count)
    return removal


def _remove_alerts(
    engine: sa.Engine, periods: Periods, now: float, keys: AuditKeys, actor: str, step: Advance
) -> Removal:
    cutoff = now - periods.alerts
    with engine.begin() as conn:
        keys_ = _alert_keys(conn, _context(conn, periods, now))
        if not keys_:
            return Removal("alerts", 0, cutoff)
        _leased(conn, ["alert_transitions"], cutoff)
        actions = 0
        for part in _chunks(keys_):
            where = alert_transitions.c.alert_key.in_(part)
            actions += conn.execute(sa.delete(alert_transitions).where(where)).rowcount
            conn.execute(sa.delete(alerts).where(alerts.c.alert_key.in_(part)))
        _release(conn)
        removal = _listed("alerts", keys_, cutoff)
        removal.details["actions"] = actions
        _record(conn, removal, now, actor, keys.chain)
    step("alerts", removal.count)
    return removal


def _remove_notifications(
    engine: sa.Engine, periods: Periods, now: float, keys: AuditKeys, actor: str, step: Advance
) -> Removal:
    cutoff = now - periods.notifications
    with engine.begin() as conn:
        ids = _notification_ids(conn, _context(conn, periods, now))
        if not ids:
            return Removal("notifications", 0, cutoff)
        for part in _chunks(ids):
            conn.execute(sa.delete(notifications).where(notifications.c.id.in_(part)))
        removal = _listed("notifications", ids, cutoff)
        _record(conn, removal, now, actor, keys.chain)
    step("notifications", removal.count)
    return removal


def _remove_photos(
    engine: sa.Engine, periods: Periods, now: float, keys: AuditKeys, actor: str, step: Advance
) -> Removal:
    cutoff = now - periods.checkin_photos
    with engine.begin() as conn:
        photos = _photos(conn, _context(conn, periods, now))
        if not photos:
            return Removal("checkin_photos", 0, cutoff)
        ids = [i for i, _ in photos]
        for part in _chunks(ids):
            conn.execute(sa.update(checkins).where(checkins.c.id.in_(part)).values(photo_path=None))
        removal = _listed("checkin_photos", ids, cutoff)
        _record(conn, removal, now, actor, keys.chain)
    # Files after the commit: a failed run leaves a photo, never a record without one.
    for _, path in photos:
        Path(path).unlink(missing_ok=True)
    step("checkin_photos", removal.count)
    return removal


def _remove_probation(
    engine: sa.Engine,
    periods: Periods,
    now: float,
    keys: AuditKeys,
    actor: str,
    step: Advance,
    table: sa.Table,
    id_: sa.ColumnElement[Any],
    written: sa.ColumnElement[Any],
) -> Removal:
    cutoff = now - periods.probation
    with engine.begin() as conn:
        ids = _probation_ids(conn, _context(conn, periods, now), table, id_, written)
        if not ids:
            return Removal(table.name, 0, cutoff)
        for part in _chunks(ids):
            conn.execute(sa.delete(table).where(id_.in_(part)))
        removal = _listed(table.name, [str(i) for i in ids], cutoff)
        _record(conn, removal, now, actor, keys.chain)
    step(table.name, removal.count)
    return removal


def _remove_audit(
    engine: sa.Engine, periods: Periods, now: float, keys: AuditKeys, actor: str, step: Advance
) -> Removal:
    cutoff = now - periods.audit_log
    with engine.connect() as conn:
        cut = _audit_kept_from(conn, _context(conn, periods, now))
    if cut is None:
        return Removal("audit_log", 0, cutoff)
    first, kept_from = cut
    checkpoint = cut_checkpoint(engine, keys, kept_from)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # no append between the check and the cut
            conn.exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
        _leased(conn, ["audit_log"], cutoff)
        count = conn.execute(sa.delete(audit_log).where(audit_log.c.id < kept_from)).rowcount
        _release(conn)
        removal = Removal(
            "audit_log", count, cutoff, str(first), str(kept_from - 1), {"audit_log": checkpoint}
        )
        _record(conn, removal, now, actor, keys.chain)
    step("audit_log", count)
    return removal


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def tombstones(engine: sa.Engine, limit: int = 100) -> list[Removal]:
    """The newest tombstones, newest first."""
    query = sa.select(retention_tombstones).order_by(retention_tombstones.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [
            Removal(r.kind, r._mapping["count"], r.cutoff, r.first_id, r.last_id, dict(r.details))
            for r in conn.execute(query)
        ]
