"""The rows the statistics are computed from (`figures.statistics.compute`):
orders entered before the period's end with all their versions, the device
assignments overlapping the period, and the alerts opened in it."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from korgoo.figures.statistics import AlertRow, AssignmentRow, Inputs, OrderRow, VersionRow
from korgoo.store.schema import alerts, device_assignments, devices, order_versions, orders


def statistics_inputs(
    engine: sa.Engine, *, from_at: float, to_at: float, districts: Collection[str] | None
) -> Inputs:
    """`districts` limits the orders and their alerts to those jurisdictions (None: all)."""
    o, v, a = orders, order_versions, alerts
    in_period = sa.select(o.c.id).where(o.c.created_at < to_at)
    if districts is not None:
        in_period = in_period.where(o.c.district.in_(list(districts)))
    ids = in_period.scalar_subquery()
    with engine.connect() as conn:
        versions: dict[str, list[VersionRow]] = {}
        query = sa.select(v).where(v.c.order_id.in_(ids)).order_by(v.c.order_id, v.c.version)
        for r in conn.execute(query):
            versions.setdefault(r.order_id, []).append(
                VersionRow(
                    valid_from=r.valid_from,
                    status=r.status,
                    starts_at=r.starts_at,
                    ends_at=r.ends_at,
                    respondent_id=r.respondent_id,
                    protected_ids=tuple(r.protected_ids or ()),
                )
            )
        query = sa.select(o.c.id, o.c.kind, o.c.district, o.c.created_at).where(o.c.id.in_(ids))
        order_rows = tuple(
            OrderRow(r.id, r.kind, r.district, r.created_at, tuple(versions.get(r.id, ())))
            for r in conn.execute(query.order_by(o.c.id))
        )
        d = device_assignments
        query = (
            sa.select(d.c.device_id, devices.c.kind, d.c.person_id, d.c.from_at, d.c.to_at)
            .join(devices, devices.c.id == d.c.device_id)
            .where(d.c.from_at < to_at, d.c.to_at.is_(None) | (d.c.to_at > from_at))
            .order_by(d.c.id)
        )
        assignment_rows = tuple(
            AssignmentRow(r.device_id, r.kind, r.person_id, r.from_at, r.to_at)
            for r in conn.execute(query)
        )
        query = (
            sa.select(a.c.order_id, a.c.rule, a.c.priority, a.c.opened_at, a.c.acked_at)
            .add_columns(a.c.outcome, a.c.stages)
            .where(a.c.order_id.in_(ids), a.c.opened_at >= from_at, a.c.opened_at < to_at)
            .order_by(a.c.opened_at, a.c.alert_key)
        )
        alert_rows = tuple(
            AlertRow(
                order_id=r.order_id,
                rule=r.rule,
                priority=r.priority,
                opened_at=r.opened_at,
                acked_at=r.acked_at,
                outcome=r.outcome,
                stages={str(k): float(t) for k, t in (r.stages or {}).items()},
            )
            for r in conn.execute(query)
        )
    return Inputs(order_rows, assignment_rows, alert_rows)
