"""What an evidence bundle reads from the store: one order's events from its first
version on, and the decisions stored about it.

An order's engine state depends only on its own versions, check-in and warning
events, and the fixes and signals of the devices named in its versions; so these
events, from the order's first version up to a time, replay its decisions
exactly (see `korgoo.evidence`).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import sqlalchemy as sa

from korgoo.domain.events import Event, OrderChange
from korgoo.store.schema import decisions, events

_ORDER_KINDS = ("order", "checkin_due", "delivery_due", "delivery_receipt")
_DEVICE_KINDS = ("fix", "signal")


def order_events(engine: sa.Engine, order_id: str, until: float) -> list[tuple[int, Event]]:
    """(seq, event) of the order's events received up to `until`, in log order: its
    versions and order-bound events, and every fix and signal of a device named in
    one of its versions, from its first version on. Empty if it has no version."""
    decode = msgspec.msgpack.Decoder(Event).decode
    own = (
        sa.select(events.c.seq, events.c.body)
        .where(events.c.order_id == order_id, events.c.kind.in_(_ORDER_KINDS))
        .where(events.c.at <= until)
        .order_by(events.c.seq)
    )
    with engine.connect() as conn:
        found = [(seq, decode(body)) for seq, body in conn.execute(own)]
        changes = [e for _, e in found if isinstance(e, OrderChange)]
        if not changes:
            return []
        start = min(seq for seq, e in found if isinstance(e, OrderChange))
        devices = _devices(changes)
        if devices:
            query = (
                sa.select(events.c.seq, events.c.body)
                .where(events.c.device_id.in_(sorted(devices)))
                .where(events.c.kind.in_(_DEVICE_KINDS))
                .where(events.c.seq >= start, events.c.at <= until)
            )
            found += [(seq, decode(body)) for seq, body in conn.execute(query)]
    return sorted((item for item in found if item[0] >= start), key=lambda item: item[0])


def _devices(changes: Iterable[OrderChange]) -> set[str]:
    out: set[str] = set()
    for change in changes:
        for party in (change.terms.respondent, *change.terms.protected):
            out.update(device_id for device_id, _ in party.devices)
    return out


def order_decisions(engine: sa.Engine, order_id: str, until: float) -> list[bytes]:
    """The stored decisions about the order made up to `until` (engine time), in
    the order they were stored, each exactly as stored (msgspec JSON)."""
    query = (
        sa.select(decisions.c.body)
        .where(decisions.c.order_id == order_id, decisions.c.at <= until)
        .order_by(decisions.c.id)
    )
    with engine.connect() as conn:
        return [bytes(body) for body in conn.scalars(query)]
