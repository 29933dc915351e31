"""The transactional outbox's write side, called by the pipeline inside the
transaction that stores the decisions: the notifications they cause are stored
with them or not at all. So are the messages to the units an alert is offered
to (`enqueue_units`), with their `queued` lines on the alert's timeline."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from urllib.parse import quote

import sqlalchemy as sa

from korgoo.alerts.model import Alert, Transition, TransitionKind
from korgoo.domain.decisions import Decision
from korgoo.notify.messages import pick_language
from korgoo.notify.model import UNIT_ROLES, Channel, Notification, Recipient
from korgoo.notify.policy import (
    UnitOffer,
    agency_route,
    plan,
    recipients_of,
    route_for,
    unit_notification_id,
    unit_offers,
)
from korgoo.store import notifications as store
from korgoo.store.alerts import append_transitions


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
    params: Mapping[str, str] | None = None,
) -> list[str]:
    """Store, on `conn`, a notice that is not an engine decision (the order ended,
    monitoring interrupted or restored) to each protected person without the
    victim app; `key` names the cause, so the same cause notifies her once
    however often it is enqueued; `params` are the facts the text is rendered
    from at send time (the date the order ended). Returns the ids of the rows stored."""
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
                "params": None if params is None else dict(params),
            }
        )
    store.add(conn, rows)
    return ids


def unit_link(public_url: str, unit: str, alert_key: str | None = None) -> str:
    """Where a unit's message points: the police view, the probation caseload,
    or, for the supervisor, the alert's page in the console."""
    base = public_url.rstrip("/")
    if unit == "supervisor":
        return f"{base}/alerts/{quote(alert_key, safe='')}" if alert_key else f"{base}/"
    page = "/caseload" if unit == "probation" else "/police"
    return f"{base}{page}" + (f"#{quote(alert_key, safe='')}" if alert_key else "")


def _row(n: Notification) -> dict[str, object]:
    return {
        "id": n.id,
        "created_at": n.at,
        "order_id": n.order_id,
        "alert_key": n.alert_key,
        "person_id": n.person_id,
        "recipient": n.recipient,
        "template": n.template,
        "language": n.language,
        "route": [[c.value, a] for c, a in n.route],
        "params": n.params,
    }


def _members(
    conn: sa.Connection,
    unit: str,
    district: str,
    enabled: Collection[Channel],
    order: Sequence[str],
) -> list[tuple[Recipient, tuple[tuple[Channel, str], ...]]]:
    """The unit's users in `district`, each with his route (empty: no address)."""
    out = []
    for c in store.unit_members(conn, UNIT_ROLES[unit], district):
        person = Recipient(
            c.person_id, pick_language(c.language), c.phone, c.email, has_push=c.has_push
        )
        out.append((person, agency_route(person, order, enabled)))
    return out


def _line(offer: UnitOffer, actor: str, details: Mapping[str, object]) -> Transition:
    t = offer.transition
    return Transition(
        alert_key=t.alert_key,
        kind=TransitionKind.NOTIFICATION,
        at=t.at,
        actor=actor,
        active=t.active,
        acked=t.acked,
        resolved=t.resolved,
        priority=t.priority,
        details={"recipient": offer.unit, "district": offer.district, **details},
    )


def enqueue_units(
    conn: sa.Connection,
    transitions: Sequence[Transition],
    alerts: Mapping[str, Alert],
    enabled: Collection[Channel],
    fallback: Sequence[str],
    public_url: str,
) -> list[Notification]:
    """Store, on `conn`, a message to each user of every unit these transitions
    offer an alert to (or pass it on to), over the channels the alert's frozen
    policy names for that unit (`fallback` for a policy that names none), and a
    `queued` line per message on the alert's timeline; a unit none of whose users
    can be written to gets a line saying so (`unreachable`: the police view still
    shows the alert)."""
    made: list[Notification] = []
    lines: list[Transition] = []
    for offer in unit_offers(transitions):
        alert = alerts.get(offer.transition.alert_key)
        if alert is None:
            continue
        params = {
            "rule": alert.rule,
            "priority": alert.priority.value,
            "district": offer.district,
            "link": unit_link(public_url, offer.unit, alert.alert_key),
        }
        queued = []
        order = alert.policy.channels.get(offer.unit, fallback)
        for person, route in _members(conn, offer.unit, offer.district, enabled, order):
            if not route:
                continue
            n = Notification(
                id=unit_notification_id(offer, person.person_id),
                at=offer.transition.at,
                order_id=alert.order_id,
                alert_key=alert.alert_key,
                person_id=person.person_id,
                recipient=offer.unit,
                template=f"unit_{offer.cause}",
                language=person.language,
                route=route,
                params=params,
            )
            queued.append(n)
            details = {
                "notification": n.id,
                "template": n.template,
                "language": n.language,
                "channel": route[0][0].value,
                "to": store.mask(route[0][1], route[0][0]),
                "status": "queued",
            }
            lines.append(_line(offer, f"{store.ACTOR}:queued:{n.id[:8]}", details))
        if not queued:
            actor = f"{store.ACTOR}:none:{offer.unit}"
            details = {"template": f"unit_{offer.cause}", "status": "unreachable"}
            lines.append(_line(offer, actor, details))
        made.extend(queued)
    store.add(conn, (_row(n) for n in made))
    append_transitions(conn, lines)
    return made


def enqueue_unit_notice(
    conn: sa.Connection,
    *,
    key: str,
    template: str,
    unit: str,
    districts: Collection[str],
    at: float,
    enabled: Collection[Channel],
    order: Sequence[str],
    public_url: str,
) -> list[str]:
    """Store, on `conn`, a notice that is not about one alert (monitoring
    interrupted or restored) to each user of `unit` in `districts`; `key` names
    the cause, so a user is told once per cause however often it is enqueued
    and however many of the districts he serves. Returns the ids stored."""
    rows: dict[str, dict[str, object]] = {}
    for district in sorted(districts):
        for person, route in _members(conn, unit, district, enabled, order):
            digest = hashlib.sha256(f"{key}\x00{template}\x00user:{person.person_id}".encode())
            nid = digest.hexdigest()
            if not route or nid in rows:
                continue
            rows[nid] = _row(
                Notification(
                    id=nid,
                    at=at,
                    order_id="",
                    alert_key=None,
                    person_id=person.person_id,
                    recipient=unit,
                    template=template,
                    language=person.language,
                    route=route,
                    params={"district": district, "link": unit_link(public_url, unit)},
                )
            )
    store.add(conn, rows.values())
    return list(rows)
