"""Probation: a client's reporting appointments, an officer's requests to vary
a zone's schedule, and his reviews of his clients' alerts.

A request holds the exceptions to add to one zone; approving it is the
supervisor's variation of the order (a new version, `store.orders.vary_order`),
and the request records which version it became.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from enum import StrEnum
from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.domain.terms import ScheduleException
from korgoo.store.schema import probation_appointments, probation_reviews, variation_requests


class Outcome(StrEnum):
    ATTENDED = "attended"
    MISSED = "missed"


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class Appointment(msgspec.Struct, frozen=True):
    id: str
    order_id: str
    at: float
    place: str
    created_by: str
    created_at: float
    outcome: Outcome | None = None
    outcome_note: str | None = None
    outcome_by: str | None = None
    outcome_at: float | None = None


class VariationRequest(msgspec.Struct, frozen=True):
    id: str
    order_id: str
    requested_by: str
    requested_at: float
    zone_id: str
    exceptions: tuple[ScheduleException, ...]
    reason: str
    status: RequestStatus
    decided_by: str | None = None
    decided_at: float | None = None
    decision_note: str | None = None
    version: int | None = None


class Review(msgspec.Struct, frozen=True):
    id: int
    alert_key: str
    order_id: str
    reviewed_by: str
    reviewed_at: float
    note: str


def _as(row: sa.Row[Any], kind: type[Any]) -> Any:
    return msgspec.convert(row, kind, from_attributes=True)


def add_appointment(
    conn: sa.Connection, *, order_id: str, at: float, place: str, actor: str, now: float
) -> Appointment:
    found = Appointment(uuid.uuid4().hex, order_id, at, place, actor, now)
    conn.execute(sa.insert(probation_appointments).values(msgspec.to_builtins(found)))
    return found


def record_outcome(
    conn: sa.Connection, appointment_id: str, outcome: Outcome, note: str, *, actor: str, at: float
) -> bool:
    """Whether he came (once: a recorded outcome is not rewritten)."""
    a = probation_appointments
    done = conn.execute(
        sa.update(a)
        .where(a.c.id == appointment_id, a.c.outcome.is_(None))
        .values(outcome=outcome.value, outcome_note=note, outcome_by=actor, outcome_at=at)
    )
    return done.rowcount == 1


def get_appointment(engine: sa.Engine, appointment_id: str) -> Appointment | None:
    a = probation_appointments
    with engine.connect() as conn:
        row = conn.execute(sa.select(a).where(a.c.id == appointment_id)).first()
    return None if row is None else _as(row, Appointment)


def appointments_of(engine: sa.Engine, order_ids: Collection[str]) -> list[Appointment]:
    """The appointments of these orders, soonest first."""
    a = probation_appointments
    query = sa.select(a).where(a.c.order_id.in_(list(order_ids))).order_by(a.c.at, a.c.id)
    with engine.connect() as conn:
        return [_as(r, Appointment) for r in conn.execute(query)]


def add_request(
    conn: sa.Connection,
    *,
    order_id: str,
    zone_id: str,
    exceptions: tuple[ScheduleException, ...],
    reason: str,
    actor: str,
    at: float,
) -> VariationRequest:
    found = VariationRequest(
        uuid.uuid4().hex, order_id, actor, at, zone_id, exceptions, reason, RequestStatus.REQUESTED
    )
    conn.execute(sa.insert(variation_requests).values(msgspec.to_builtins(found)))
    return found


def get_request(engine: sa.Engine, request_id: str) -> VariationRequest | None:
    r = variation_requests
    with engine.connect() as conn:
        row = conn.execute(sa.select(r).where(r.c.id == request_id)).first()
    return None if row is None else _as(row, VariationRequest)


def requests_of(engine: sa.Engine, order_ids: Collection[str]) -> list[VariationRequest]:
    """The requests on these orders, newest first."""
    r = variation_requests
    query = (
        sa.select(r)
        .where(r.c.order_id.in_(list(order_ids)))
        .order_by(r.c.requested_at.desc(), r.c.id)
    )
    with engine.connect() as conn:
        return [_as(row, VariationRequest) for row in conn.execute(query)]


def decide_request(
    conn: sa.Connection,
    request_id: str,
    status: RequestStatus,
    *,
    actor: str,
    at: float,
    note: str,
    version: int | None = None,
) -> bool:
    """Approve or refuse a request still open; False if someone decided first."""
    r = variation_requests
    done = conn.execute(
        sa.update(r)
        .where(r.c.id == request_id, r.c.status == RequestStatus.REQUESTED.value)
        .values(
            status=status.value,
            decided_by=actor,
            decided_at=at,
            decision_note=note,
            version=version,
        )
    )
    return done.rowcount == 1


def add_review(
    conn: sa.Connection, *, alert_key: str, order_id: str, actor: str, at: float, note: str
) -> None:
    conn.execute(
        sa.insert(probation_reviews).values(
            alert_key=alert_key, order_id=order_id, reviewed_by=actor, reviewed_at=at, note=note
        )
    )


def reviews_of(engine: sa.Engine, order_ids: Collection[str]) -> dict[str, list[Review]]:
    """The reviews of these orders' alerts, by alert key, oldest first."""
    v = probation_reviews
    query = sa.select(v).where(v.c.order_id.in_(list(order_ids))).order_by(v.c.reviewed_at, v.c.id)
    out: dict[str, list[Review]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            review = _as(row, Review)
            out.setdefault(review.alert_key, []).append(review)
    return out
