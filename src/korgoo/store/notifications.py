"""The notifications outbox and the persons' notification preferences.

Rows are added in the pipeline's decisions transaction (`add`); the dispatcher
reads the due ones (`due`) and marks each attempt. A mark and its line on the
alert's timeline (`alert_transitions`, kind `notification`) are one
transaction, so the timeline says exactly what the outbox holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.alerts.model import Transition, TransitionKind
from korgoo.domain.decisions import Priority
from korgoo.domain.jurisdictions import within
from korgoo.domain.terms import DeviceKind
from korgoo.store.alerts import append_transitions
from korgoo.store.db import begin_write
from korgoo.store.dialect import insert
from korgoo.store.schema import (
    alerts,
    app_devices,
    notifications,
    notify_preferences,
    persons,
    users,
)
from korgoo.store.user_push import with_push

ACTOR = "notify"


class OutboxRow(msgspec.Struct, frozen=True):
    id: str
    created_at: float
    order_id: str
    alert_key: str | None
    person_id: str
    recipient: str
    template: str
    language: str
    route: list[list[str]]
    step: int
    attempts: int
    next_at: float | None
    status: str
    channel: str | None = None
    provider_ref: str | None = None
    sent_at: float | None = None
    delivered_at: float | None = None
    failed_at: float | None = None
    last_error: str | None = None
    params: dict[str, str] | None = None


class Contact(msgspec.Struct, frozen=True):
    person_id: str
    language: str | None
    phone: str | None
    email: str | None
    has_app: bool
    has_push: bool = False  # a user with a browser subscribed to Web Push


def _row(r: sa.Row[Any]) -> OutboxRow:
    return msgspec.convert(r._mapping, OutboxRow, from_attributes=True)


def contacts(conn: sa.Connection, person_ids: Collection[str]) -> list[Contact]:
    """Phone, e-mail, language and whether a victim app is enrolled (its
    credential standing: the apps' notifier warns her there), per person. Her
    SMS goes to the first of her phones (the one to call first); the language
    set for notifications wins over the one on her record."""
    if not person_ids:
        return []
    query = (
        sa.select(
            persons.c.id,
            persons.c.phones,
            persons.c.language,
            notify_preferences.c.language,
            notify_preferences.c.email,
        )
        .select_from(persons.outerjoin(notify_preferences))
        .where(persons.c.id.in_(list(person_ids)))
    )
    found = conn.execute(query).all()
    with_app = set(
        conn.execute(
            sa.select(app_devices.c.person_id).where(
                app_devices.c.person_id.in_(list(person_ids)),
                app_devices.c.kind == DeviceKind.VICTIM_APP.value,
                app_devices.c.revoked_at.is_(None),
            )
        ).scalars()
    )
    return [
        Contact(
            pid, chosen or spoken, phones[0]["number"] if phones else None, email, pid in with_app
        )
        for pid, phones, spoken, chosen, email in found
    ]


def unit_members(conn: sa.Connection, role: str, district: str) -> list[Contact]:
    """The users of `role` who serve `district` (a user with no district serves
    all), not disabled, with their language, phone and e-mail, and whether a
    browser of theirs takes Web Push."""
    query = sa.select(
        users.c.username, users.c.districts, users.c.language, users.c.phone, users.c.email
    ).where(users.c.role == role, users.c.disabled.is_(False))
    rows = conn.execute(query.order_by(users.c.username))
    found = [
        (name, language, phone, email)
        for name, districts, language, phone, email in rows
        if not districts or any(within(district, d) for d in districts)
    ]
    pushed = with_push(conn, [name for name, *_ in found])
    return [
        Contact(name, language, phone or None, email or None, False, name in pushed)
        for name, language, phone, email in found
    ]


def set_preferences(
    conn: sa.Connection, person_id: str, *, language: str, email: str | None = None
) -> None:
    """The language she is written to in, and an e-mail address (or none)."""
    values = {"person_id": person_id, "language": language, "email": email}
    stmt = insert(conn, notify_preferences).values(values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[notify_preferences.c.person_id],
            set_={"language": language, "email": email},
        )
    )


def preferences(engine: sa.Engine, person_id: str) -> tuple[str, str | None] | None:
    """(language, e-mail) set for the person, or None if none were set."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(notify_preferences.c.language, notify_preferences.c.email).where(
                notify_preferences.c.person_id == person_id
            )
        ).first()
    return None if found is None else (found[0], found[1])


def add(conn: sa.Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Put notifications into the outbox, skipping any already there (same id)."""
    values = [
        {
            **row,
            "step": 0,
            "attempts": 0,
            "next_at": row["created_at"],
            "status": "pending",
            "params": row.get("params"),
        }
        for row in rows
    ]
    if not values:
        return 0
    stmt = insert(conn, notifications).on_conflict_do_nothing().returning(notifications.c.id)
    return len(conn.execute(stmt, values).all())


def due(engine: sa.Engine, now: float, limit: int = 100) -> list[OutboxRow]:
    """Pending notifications whose time has come, oldest first."""
    query = (
        sa.select(notifications)
        .where(notifications.c.status == "pending", notifications.c.next_at <= now)
        .order_by(notifications.c.next_at, notifications.c.created_at)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def get(engine: sa.Engine, notification_id: str) -> OutboxRow | None:
    with engine.connect() as conn:
        r = conn.execute(sa.select(notifications).where(notifications.c.id == notification_id))
        found = r.first()
    return None if found is None else _row(found)


def of_alert(engine: sa.Engine, alert_key: str) -> list[OutboxRow]:
    query = (
        sa.select(notifications)
        .where(notifications.c.alert_key == alert_key)
        .order_by(notifications.c.created_at)
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def _on_timeline(
    conn: sa.Connection, row: OutboxRow, at: float, details: Mapping[str, object]
) -> None:
    """A `notification` line on the alert's timeline, with the alert's state as it is."""
    if not row.alert_key:
        return
    state = conn.execute(
        sa.select(alerts.c.active, alerts.c.acked, alerts.c.resolved, alerts.c.priority).where(
            alerts.c.alert_key == row.alert_key
        )
    ).first()
    if state is None:
        return
    active, acked, resolved, priority = state
    transition = Transition(
        alert_key=row.alert_key,
        kind=TransitionKind.NOTIFICATION,
        at=at,
        actor=f"{ACTOR}:{details['channel']}:{row.id[:8]}",
        active=active,
        acked=acked,
        resolved=resolved,
        priority=Priority(priority) if priority else None,
        details={
            "notification": row.id,
            "recipient": row.recipient,
            "template": row.template,
            "language": row.language,
            **details,
        },
    )
    append_transitions(conn, [transition])


def mark_sent(
    engine: sa.Engine,
    row: OutboxRow,
    *,
    channel: str,
    address: str,
    provider_ref: str,
    at: float,
    delivered: bool,
) -> None:
    """A channel took the notification (for e-mail: the server accepted it, which
    counts as delivered)."""
    status = "delivered" if delivered else "sent"
    with engine.begin() as conn:
        conn.execute(
            sa.update(notifications)
            .where(notifications.c.id == row.id)
            .values(
                status=status,
                channel=channel,
                provider_ref=provider_ref,
                sent_at=at,
                delivered_at=at if delivered else None,
                next_at=None,
            )
        )
        shown = {"channel": channel, "to": mask(address, channel)}
        _on_timeline(conn, row, at, {**shown, "status": "sent"})
        if delivered:
            _on_timeline(conn, row, at + 1e-6, {**shown, "status": "delivered"})


def mark_failure(
    engine: sa.Engine,
    row: OutboxRow,
    *,
    channel: str,
    address: str,
    error: str,
    at: float,
    step: int,
    attempts: int,
    next_at: float | None,
) -> None:
    """A failed attempt: try again at `next_at` (maybe on the next channel), or,
    with `next_at` None, the notification failed for good."""
    failed = next_at is None
    values: dict[str, object] = {
        "step": step,
        "attempts": attempts,
        "next_at": next_at,
        "last_error": error[:2000],
    }
    if failed:
        values |= {"status": "failed", "failed_at": at}
    with engine.begin() as conn:
        conn.execute(sa.update(notifications).where(notifications.c.id == row.id).values(values))
        details: dict[str, object] = {
            "channel": channel,
            "to": mask(address, channel),
            "status": "failed" if failed else "retrying",
            "error": error[:200],
        }
        if not failed and step != row.step:
            details["next_channel"] = row.route[step][0]
        _on_timeline(conn, row, at, details)


def record_receipt(
    engine: sa.Engine, provider_ref: str, delivered: bool, at: float, report: str = ""
) -> tuple[OutboxRow, bool] | None:
    """A gateway's delivery report: (the notification, whether this report was
    recorded). The first report of a sent message counts, later ones are
    answered and ignored; None if no message was marked sent with this reference
    (yet: a report may overtake the mark)."""
    with begin_write(engine) as conn:
        found = conn.execute(
            sa.select(notifications).where(notifications.c.provider_ref == provider_ref)
        ).first()
        if found is None:
            return None
        row = _row(found)
        if row.status == "pending":
            return None
        if row.status != "sent":
            return row, False
        values = (
            {"status": "delivered", "delivered_at": at}
            if delivered
            else {"status": "failed", "failed_at": at, "last_error": report[:2000]}
        )
        conn.execute(
            sa.update(notifications)
            .where(notifications.c.id == row.id, notifications.c.status == "sent")
            .values(values)
        )
        address = next((a for c, a in row.route if c == row.channel), "")
        details: dict[str, object] = {
            "channel": row.channel or "",
            "to": mask(address, row.channel or ""),
            "status": "delivered" if delivered else "undelivered",
        }
        if report:
            details["report"] = report[:200]
        _on_timeline(conn, row, at, details)
    return msgspec.structs.replace(row, **values), True


def mask(address: str, channel: str = "") -> str:
    """An address as the timeline shows it: enough to tell which, not to copy it
    (Web Push's is the user's name, which is no contact)."""
    if channel == "push":
        return address
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    digits = [c for c in address if c.isdigit()]
    return "***" + "".join(digits[-4:]) if digits else "***"
