"""Monitoring requests: what a police officer asked for with a temporary order
(a bracelet or the respondent app, and its fitting), and each step of the
centre's answer with its actor and time. A row is updated as it moves on;
every step also goes on the audit log under the order's id."""

from __future__ import annotations

import uuid
from typing import Any, Final

import msgspec
import sqlalchemy as sa

from korgoo.store.schema import app_devices, monitoring_requests

REQUESTED: Final = "requested"
# status -> the statuses it may move to; "fitted" is a bracelet put on, "enrolled"
# the respondent app enrolled on his phone.
NEXT: Final = {
    REQUESTED: frozenset({"fitted", "enrolled", "refused"}),
    "fitted": frozenset({"started", "refused"}),
    "enrolled": frozenset({"started", "refused"}),
    "started": frozenset[str](),
    "refused": frozenset[str](),
}
OPEN: Final = (REQUESTED, "fitted", "enrolled")


class MonitoringRequest(msgspec.Struct, frozen=True):
    id: str
    order_id: str
    district: str
    kind: str
    status: str
    note: str
    requested_by: str
    requested_at: float
    fitted_by: str | None = None
    fitted_at: float | None = None
    started_by: str | None = None
    started_at: float | None = None
    refused_by: str | None = None
    refused_at: float | None = None
    refusal_reason: str | None = None


class StepRefusedError(Exception):
    """A step the request's status does not allow, or a concurrent step won."""


def add_request(
    conn: sa.Connection,
    *,
    order_id: str,
    district: str,
    kind: str,
    note: str,
    actor: str,
    at: float,
) -> MonitoringRequest:
    request = MonitoringRequest(
        id=uuid.uuid4().hex,
        order_id=order_id,
        district=district,
        kind=kind,
        status=REQUESTED,
        note=note,
        requested_by=actor,
        requested_at=at,
    )
    conn.execute(sa.insert(monitoring_requests).values(msgspec.to_builtins(request)))
    return request


def _convert(row: Any) -> MonitoringRequest:
    return msgspec.convert(row, MonitoringRequest, from_attributes=True)


def get_request(engine: sa.Engine, request_id: str) -> MonitoringRequest | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(monitoring_requests).where(monitoring_requests.c.id == request_id)
        ).first()
    return None if row is None else _convert(row)


def list_requests(
    engine: sa.Engine, districts: tuple[str, ...] | None, *, open_only: bool
) -> list[MonitoringRequest]:
    """The queue, oldest first (the longest waiting on top)."""
    query = sa.select(monitoring_requests).order_by(monitoring_requests.c.requested_at)
    if districts is not None:
        query = query.where(monitoring_requests.c.district.in_(districts))
    if open_only:
        query = query.where(monitoring_requests.c.status.in_(OPEN))
    with engine.connect() as conn:
        return [_convert(r) for r in conn.execute(query)]


def advance(
    conn: sa.Connection, request_id: str, status: str, *, actor: str, at: float, reason: str = ""
) -> MonitoringRequest:
    """Move a request on; StepRefusedError for a step its status does not allow. The
    update is conditional on the status read, so two supervisors cannot both move it."""
    row = conn.execute(
        sa.select(monitoring_requests).where(monitoring_requests.c.id == request_id)
    ).first()
    if row is None:
        raise LookupError(request_id)
    current = _convert(row)
    if status not in NEXT[current.status]:
        raise StepRefusedError(f"A request that is {current.status} cannot become {status}.")
    values: dict[str, Any] = {"status": status}
    if status in ("fitted", "enrolled"):
        values |= {"fitted_by": actor, "fitted_at": at}
    elif status == "started":
        values |= {"started_by": actor, "started_at": at}
    else:
        values |= {"refused_by": actor, "refused_at": at, "refusal_reason": reason}
    done = conn.execute(
        sa.update(monitoring_requests)
        .where(
            monitoring_requests.c.id == request_id,
            monitoring_requests.c.status == current.status,
        )
        .values(values)
    )
    if done.rowcount != 1:
        raise StepRefusedError("The request was changed by someone else at the same time.")
    return msgspec.structs.replace(current, **values)


def move_apps(conn: sa.Connection, from_order: str, to_order: str) -> list[str]:
    """Enrolled apps of an order passed to the order that replaces it: their
    credentials keep standing (an app is enrolled on one order). Returns their ids."""
    ids = list(
        conn.execute(
            sa.select(app_devices.c.device_id).where(
                app_devices.c.order_id == from_order, app_devices.c.revoked_at.is_(None)
            )
        ).scalars()
    )
    if ids:
        conn.execute(
            sa.update(app_devices).where(app_devices.c.device_id.in_(ids)).values(order_id=to_order)
        )
    return ids
