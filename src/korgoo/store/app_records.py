"""The apps' tables: enrolled app devices and their standing, messages with
receipts, Web Push subscriptions, the server's keys. Plain functions over a
connection or an engine; callers run them off the event loop."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.domain.terms import OrderStatus
from korgoo.store.orders import is_latest, latest_numbers
from korgoo.store.schema import (
    app_devices,
    app_keys,
    app_messages,
    device_assignments,
    devices,
    order_versions,
    push_subscriptions,
)

_LIVE = (OrderStatus.DRAFT.value, OrderStatus.ACTIVE.value)


class AppDevice(msgspec.Struct, frozen=True):
    device_id: str
    kind: str
    person_id: str
    order_id: str
    enrolled_at: float
    sharing: bool
    revoked_at: float | None
    revoked_reason: str | None = None  # "order_ended", "unassigned", ...


class AppMessage(msgspec.Struct, frozen=True):
    id: str
    device_id: str
    event: str
    payload: dict[str, Any]
    order_id: str
    person_id: str
    alert_key: str | None
    monitored: bool
    created_at: float
    sent_at: float | None
    channel: str | None
    receipt_at: float | None
    unconfirmed_at: float | None


class Subscription(msgspec.Struct, frozen=True):
    endpoint: str
    p256dh: str
    auth: str

    def info(self) -> dict[str, Any]:
        """As pywebpush takes it (the browser's PushSubscription JSON)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def new_id() -> str:
    return uuid.uuid4().hex


# -- app devices -----------------------------------------------------------------


def app_device(engine: sa.Engine, device_id: str) -> AppDevice | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(app_devices).where(app_devices.c.device_id == device_id))
        found = row.first()
    return None if found is None else msgspec.convert(found, AppDevice, from_attributes=True)


def devices_of(engine: sa.Engine, person_id: str, kind: str) -> list[AppDevice]:
    """A person's app devices of one kind whose credential stands."""
    query = sa.select(app_devices).where(
        app_devices.c.person_id == person_id,
        app_devices.c.kind == kind,
        app_devices.c.revoked_at.is_(None),
    )
    with engine.connect() as conn:
        return [msgspec.convert(r, AppDevice, from_attributes=True) for r in conn.execute(query)]


def fallen_devices(engine: sa.Engine, now: float, device_id: str | None = None) -> dict[str, str]:
    """device id -> why its enrolment no longer holds, for app devices not yet
    revoked: the device is no longer assigned to the person ("unassigned"), or
    the order is no longer live or in force ("order_ended")."""
    d, a, v = app_devices, device_assignments, order_versions
    standing = sa.select(d.c.device_id, d.c.person_id, d.c.order_id).where(d.c.revoked_at.is_(None))
    if device_id is not None:
        standing = standing.where(d.c.device_id == device_id)
    with engine.connect() as conn:
        rows = conn.execute(standing).all()
        if not rows:
            return {}
        ids = [r.device_id for r in rows]
        wearer = dict(
            conn.execute(
                sa.select(a.c.device_id, a.c.person_id).where(
                    a.c.device_id.in_(ids), a.c.to_at.is_(None)
                )
            ).all()
        )
        latest = latest_numbers()
        live = {
            r.order_id: r.status in _LIVE and r.ends_at > now
            for r in conn.execute(
                sa.select(v.c.order_id, v.c.status, v.c.ends_at)
                .join(latest, is_latest(latest))
                .where(v.c.order_id.in_({r.order_id for r in rows}))
            )
        }
    out: dict[str, str] = {}
    for r in rows:
        if wearer.get(r.device_id) != r.person_id:
            out[r.device_id] = "unassigned"
        elif not live.get(r.order_id, False):
            out[r.device_id] = "order_ended"
    return out


def revoke(conn: sa.Connection, device_id: str, reason: str, at: float) -> bool:
    """Revoke the credential: marked revoked, and its secret hash dropped so that no
    gateway (native API, MQTT) accepts it any more. False if it already was."""
    result = conn.execute(
        sa.update(app_devices)
        .where(app_devices.c.device_id == device_id, app_devices.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )
    conn.execute(sa.update(devices).where(devices.c.id == device_id).values(secret_hash=None))
    return result.rowcount > 0


def set_sharing(engine: sa.Engine, device_id: str, sharing: bool) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(app_devices)
            .where(app_devices.c.device_id == device_id)
            .values(sharing=sharing)
        )


# -- messages ----------------------------------------------------------------------


def add_message(
    conn: sa.Connection,
    *,
    message_id: str,
    device_id: str,
    event: str,
    payload: dict[str, Any],
    order_id: str,
    person_id: str,
    at: float,
    alert_key: str | None = None,
    monitored: bool = False,
) -> AppMessage:
    msg = AppMessage(
        id=message_id,
        device_id=device_id,
        event=event,
        payload=payload,
        order_id=order_id,
        person_id=person_id,
        alert_key=alert_key,
        monitored=monitored,
        created_at=at,
        sent_at=None,
        channel=None,
        receipt_at=None,
        unconfirmed_at=None,
    )
    conn.execute(sa.insert(app_messages).values(msgspec.to_builtins(msg)))
    return msg


def message(engine: sa.Engine, message_id: str) -> AppMessage | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(app_messages).where(app_messages.c.id == message_id)).first()
    return None if row is None else msgspec.convert(row, AppMessage, from_attributes=True)


def messages_of(engine: sa.Engine, device_id: str) -> list[AppMessage]:
    """A device's messages, oldest first."""
    query = (
        sa.select(app_messages)
        .where(app_messages.c.device_id == device_id)
        .order_by(app_messages.c.created_at, app_messages.c.id)
    )
    with engine.connect() as conn:
        return [msgspec.convert(r, AppMessage, from_attributes=True) for r in conn.execute(query)]


def messages_of_alert(engine: sa.Engine, alert_key: str) -> list[AppMessage]:
    """The messages sent about one alert, oldest first."""
    query = (
        sa.select(app_messages)
        .where(app_messages.c.alert_key == alert_key)
        .order_by(app_messages.c.created_at, app_messages.c.id)
    )
    with engine.connect() as conn:
        return [msgspec.convert(r, AppMessage, from_attributes=True) for r in conn.execute(query)]


def last_unacknowledged(engine: sa.Engine, device_id: str) -> list[AppMessage]:
    """Of each kind of message the device got, the newest, if it has no receipt:
    what a reconnecting app is sent again."""
    newest: dict[str, AppMessage] = {}
    for m in messages_of(engine, device_id):
        newest[m.event] = m
    return sorted((m for m in newest.values() if m.receipt_at is None), key=lambda m: m.created_at)


def mark_sent(engine: sa.Engine, message_id: str, channel: str, at: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(app_messages)
            .where(app_messages.c.id == message_id, app_messages.c.sent_at.is_(None))
            .values(sent_at=at, channel=channel)
        )


def record_receipt(engine: sa.Engine, message_id: str, at: float) -> bool:
    """The first receipt counts; False for a repeated one."""
    return _stamp_once(engine, message_id, app_messages.c.receipt_at, at)


def mark_unconfirmed(engine: sa.Engine, message_id: str, at: float) -> bool:
    """Record when delivery.unconfirmed was raised for a message; False if it was
    recorded before."""
    return _stamp_once(engine, message_id, app_messages.c.unconfirmed_at, at)


def _stamp_once(
    engine: sa.Engine, message_id: str, column: sa.Column[float | None], at: float
) -> bool:
    """Set a message's time column unless it is set already; True if this call set it."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(app_messages)
            .where(app_messages.c.id == message_id, column.is_(None))
            .values({column.name: at})
        )
    return result.rowcount > 0


def save_subscription(engine: sa.Engine, device_id: str, sub: Subscription, at: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.delete(push_subscriptions).where(push_subscriptions.c.device_id == device_id)
        )
        conn.execute(
            sa.insert(push_subscriptions).values(
                device_id=device_id,
                endpoint=sub.endpoint,
                p256dh=sub.p256dh,
                auth=sub.auth,
                created_at=at,
            )
        )


def subscription(engine: sa.Engine, device_id: str) -> Subscription | None:
    query = sa.select(
        push_subscriptions.c.endpoint, push_subscriptions.c.p256dh, push_subscriptions.c.auth
    ).where(push_subscriptions.c.device_id == device_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else Subscription(row.endpoint, row.p256dh, row.auth)


def drop_subscription(engine: sa.Engine, device_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.delete(push_subscriptions).where(push_subscriptions.c.device_id == device_id)
        )


def stored_key(engine: sa.Engine, name: str) -> str | None:
    with engine.connect() as conn:
        value: str | None = conn.scalar(sa.select(app_keys.c.value).where(app_keys.c.name == name))
    return value


def store_key(engine: sa.Engine, name: str, value: str, at: float) -> str:
    """Store a key unless one exists (another process may have raced us); returns
    the one kept."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(app_keys).values(name=name, value=value, created_at=at))
    except sa.exc.IntegrityError:
        kept = stored_key(engine, name)
        assert kept is not None
        return kept
    return value
