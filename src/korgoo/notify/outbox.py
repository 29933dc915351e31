"""The transactional outbox's write side, called by the pipeline inside the
transaction that stores the decisions: the notifications they cause are stored
with them or not at all."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence

import sqlalchemy as sa

from korgoo.domain.decisions import Decision
from korgoo.notify.messages import pick_language
from korgoo.notify.model import Channel, Notification, Recipient
from korgoo.notify.policy import plan, recipients_of, route_for
from korgoo.store import notifications as store


def enqueue(
    conn: sa.Connection,
    items: Sequence[tuple[int, Decision]],
    live: Mapping[str, str],
    enabled: Collection[Channel],
) -> list[Notification]:
    """Store, on `conn`, the notifications these decisions cause; returns them."""
    if not enabled:
        return []
    wanted = recipients_of(items)
    if not wanted:
        return []
    recipients = {
        c.person_id: Recipient(
            person_id=c.person_id,
            language=pick_language(c.language),
            phone=c.phone,
            email=c.email,
            has_app=c.has_app,
        )
        for c in store.contacts(conn, wanted)
    }
    made = plan(items, recipients, live, enabled)
    store.add(
        conn,
        (
            {
                "id": n.id,
                "created_at": n.at,
                "order_id": n.order_id,
                "alert_key": n.alert_key,
                "person_id": n.person_id,
                "recipient": n.recipient,
                "template": n.template,
                "language": n.language,
                "route": [[c.value, a] for c, a in n.route],
            }
            for n in made
        ),
    )
    return made


def enqueue_notice(
    conn: sa.Connection,
    *,
    key: str,
    template: str,
    order_id: str,
    person_ids: Collection[str],
    at: float,
    enabled: Collection[Channel],
) -> list[str]:
    """Store, on `conn`, a notice that is not an engine decision (the order ended,
    monitoring interrupted or restored) to each protected person without the
    victim app; `key` names the cause, so the same cause notifies her once
    however often it is enqueued. Returns the ids of the rows stored."""
    rows: list[dict[str, object]] = []
    ids: list[str] = []
    for c in store.contacts(conn, person_ids):
        recipient = Recipient(c.person_id, pick_language(c.language), c.phone, c.email, c.has_app)
        route = route_for(recipient, enabled)
        if not route:
            continue
        digest = hashlib.sha256(f"{key}\x00{template}\x00{c.person_id}".encode()).hexdigest()
        ids.append(digest)
        rows.append(
            {
                "id": digest,
                "created_at": at,
                "order_id": order_id,
                "alert_key": None,
                "person_id": c.person_id,
                "recipient": "protected",
                "template": template,
                "language": recipient.language,
                "route": [[ch.value, a] for ch, a in route],
            }
        )
    store.add(conn, rows)
    return ids
