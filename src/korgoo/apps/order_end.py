"""Telling the device holders that an order has ended or been revoked.

An order ends when someone ends or revokes it (`POST /api/v1/orders/{id}/end`)
or when its end time passes: then `end_expired` records the end as the order's
next version (actor `system`), so that every ending is a stored decision with
its actor and time. In the same transaction as that version, the protected
person without the victim app gets an SMS (or e-mail) in her language through
the outbox, saying when it ended or was revoked (`enqueue_end_notice`). The
apps enrolled on the order get the message `order_ended` (`end_payload`) from
the notifier, before the revocation sweep takes their credentials back.

What either of them is told is the order's own end: its status and date,
never anything of the other person.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

import sqlalchemy as sa

from korgoo.apps.respondent_view import iso
from korgoo.domain.terms import OrderStatus
from korgoo.notify.model import Channel
from korgoo.notify.outbox import enqueue_notice
from korgoo.store import app_records
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.orders import OrderVersion, end_order, latest_on

SYSTEM: Final = "system"  # the actor of an end no person decided: the term ran out
EXPIRED_REASON: Final = "the order's term ran out"


def end_template(ended: OrderVersion) -> str:
    return "order_revoked" if ended.status is OrderStatus.REVOKED else "order_ended"


def end_payload(ended: OrderVersion) -> dict[str, Any]:
    """The apps' `order_ended` message: ended or revoked, and when."""
    return {
        "id": app_records.new_id(),
        "code": "order_ended",
        "status": ended.status.value,
        "at": iso(ended.ends_at),
    }


def enqueue_end_notice(
    conn: sa.Connection, ended: OrderVersion, at: float, enabled: Collection[Channel]
) -> list[str]:
    """In `conn`'s transaction, the SMS (or e-mail) to each protected person of
    the order without the victim app: ended or revoked, and the date."""
    return enqueue_notice(
        conn,
        key=f"order_ended:{ended.order_id}:{ended.version}",
        template=end_template(ended),
        order_id=ended.order_id,
        person_ids=ended.protected_ids,
        at=at,
        enabled=enabled,
        params={"date": iso(ended.ends_at)},
    )


def end_expired(
    engine: sa.Engine, order_id: str, now: float, enabled: Collection[Channel]
) -> OrderVersion | None:
    """Record that an order's term ran out, with its notices, in one
    transaction; None if it was ended, varied or extended meanwhile."""
    try:
        with begin_write(engine) as conn:
            current = latest_on(conn, order_id)
            if current.status is not OrderStatus.ACTIVE or current.ends_at > now:
                return None  # ended or extended since it was found
            ended = end_order(conn, order_id, reason=EXPIRED_REASON, actor=SYSTEM, at=now)
            told = enqueue_end_notice(conn, ended, now, enabled)
            details = {"version": ended.version, "status": "ended", "notifications": len(told)}
            audit_append(conn, SYSTEM, "order.expired", order_id, details, at=now)
    except sa.exc.IntegrityError:  # a version stored at the same time: the next sweep sees it
        return None
    return ended
