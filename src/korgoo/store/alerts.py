"""Alerts: current state (one row per alert_key, upserted) and append-only transitions.

`alerts` is a projection for the console: the record of what happened is
`alert_transitions`, where (alert_key, kind, at, actor) is unique so a transition
applied twice (retry, restart, replay) is stored once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.alerts.model import Alert, Transition
from korgoo.domain.decisions import Priority
from korgoo.store.dialect import insert
from korgoo.store.schema import alert_transitions, alerts, orders


class AlertStatus(StrEnum):
    OPEN = "open"  # not resolved
    UNACKNOWLEDGED = "unacknowledged"  # not acknowledged, not resolved
    ACKNOWLEDGED = "acknowledged"  # acknowledged, not resolved
    RESOLVED = "resolved"


def _row(alert: Alert) -> dict[str, Any]:
    row: dict[str, Any] = msgspec.to_builtins(
        {name: getattr(alert, name) for name in alert.__struct_fields__}
    )
    return row


def _alert(row: sa.Row[Any]) -> Alert:
    return msgspec.convert(row, Alert, from_attributes=True)


def save_alert(conn: sa.Connection, alert: Alert) -> None:
    """Insert or overwrite the current state of one alert."""
    row = _row(alert)
    row["district"] = (
        sa.select(orders.c.district).where(orders.c.id == alert.order_id).scalar_subquery()
    )
    stmt = insert(conn, alerts).values(row)
    changed = {k: stmt.excluded[k] for k in row if k != "alert_key"}
    conn.execute(stmt.on_conflict_do_update(index_elements=["alert_key"], set_=changed))


def append_transitions(conn: sa.Connection, transitions: Iterable[Transition]) -> int:
    """Store transitions, skipping any already stored; returns how many were new."""
    rows = [
        {
            "alert_key": t.alert_key,
            "kind": t.kind.value,
            "at": t.at,
            "actor": t.actor,
            "active": t.active,
            "acked": t.acked,
            "resolved": t.resolved,
            "priority": None if t.priority is None else t.priority.value,
            "details": msgspec.to_builtins(t.details),
        }
        for t in transitions
    ]
    if not rows:
        return 0
    # Counted from RETURNING: executemany's rowcount is not reliable across drivers.
    stmt = insert(conn, alert_transitions).on_conflict_do_nothing()
    return len(conn.execute(stmt.returning(alert_transitions.c.id), rows).all())


def get_alert(engine: sa.Engine, alert_key: str) -> Alert | None:
    with engine.connect() as conn:
        found = conn.execute(sa.select(alerts).where(alerts.c.alert_key == alert_key)).first()
    return None if found is None else _alert(found)


def load_open_alerts(engine: sa.Engine) -> list[Alert]:
    """Every alert not yet resolved, oldest first (to rebuild the workflow on start)."""
    query = sa.select(alerts).where(alerts.c.resolved.is_(False)).order_by(alerts.c.opened_at)
    with engine.connect() as conn:
        return [_alert(r) for r in conn.execute(query)]


def list_alerts(
    engine: sa.Engine,
    *,
    status: AlertStatus | None = None,
    priority: Priority | Collection[Priority] | None = None,
    rule: str | None = None,
    order_id: str | None = None,
    order_ids: Collection[str] | None = None,
    districts: Collection[str] | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Alerts matching every filter given, newest opened first.

    `since`/`until` bound the opening time; `districts` scopes to jurisdictions;
    `order_ids` keeps the alerts of those orders.
    """
    query = sa.select(alerts).order_by(alerts.c.opened_at.desc()).limit(limit)
    if status is not None:
        query = query.where(*_status_filter(AlertStatus(status)))
    if priority is not None:
        wanted = [priority] if isinstance(priority, str) else list(priority)
        query = query.where(alerts.c.priority.in_([Priority(p).value for p in wanted]))
    if rule is not None:
        query = query.where(alerts.c.rule == rule)
    if order_id is not None:
        query = query.where(alerts.c.order_id == order_id)
    if order_ids is not None:
        query = query.where(alerts.c.order_id.in_(list(order_ids)))
    if districts is not None:
        query = query.where(alerts.c.district.in_(list(districts)))
    if since is not None:
        query = query.where(alerts.c.opened_at >= since)
    if until is not None:
        query = query.where(alerts.c.opened_at < until)
    with engine.connect() as conn:
        return [_alert(r) for r in conn.execute(query)]


def _status_filter(status: AlertStatus) -> list[sa.ColumnElement[bool]]:
    if status is AlertStatus.RESOLVED:
        return [alerts.c.resolved.is_(True)]
    open_ = alerts.c.resolved.is_(False)
    if status is AlertStatus.UNACKNOWLEDGED:
        return [open_, alerts.c.acked.is_(False)]
    if status is AlertStatus.ACKNOWLEDGED:
        return [open_, alerts.c.acked.is_(True)]
    return [open_]


def transitions(engine: sa.Engine, alert_key: str) -> list[Transition]:
    """The history of one alert, in the order it was stored."""
    query = (
        sa.select(alert_transitions)
        .where(alert_transitions.c.alert_key == alert_key)
        .order_by(alert_transitions.c.id)
    )
    with engine.connect() as conn:
        return [msgspec.convert(r, Transition, from_attributes=True) for r in conn.execute(query)]
