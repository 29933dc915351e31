"""delivery.unconfirmed: a safety warning without a receipt by its due time is an
alert, a late receipt clears it, and the event log replays to the same decisions."""

from __future__ import annotations

from pathlib import Path

import msgspec

from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.events import DeliveryDue, DeliveryReceipt, Event, OrderChange, Tick
from korgoo.domain.rules import Rule
from korgoo.engine import Engine
from korgoo.store.db import migrate, open_engine
from korgoo.store.events import EventLog

from .conftest import T0, make_terms

KEY = "order-1:delivery.unconfirmed:msg-1"


def due(message_id: str = "msg-1", at: float = T0 + 100) -> DeliveryDue:
    return DeliveryDue(
        order_id="order-1",
        at=at,
        due=at + 60,
        message_id=message_id,
        person_id="prot",
        device_id="victim-app-1",
        level="alert",
        code="alert",
        created_at=at - 0.5,
        sent_at=at - 0.4,
        channel="stream",
        cause="order-1:proximity.breach:prot:1",
    )


def unconfirmed(decisions: list[Decision]) -> list[Decision]:
    return [d for d in decisions if d.rule == Rule.DELIVERY_UNCONFIRMED]


def test_no_receipt_by_the_due_time_raises_the_alert_once() -> None:
    e = Engine()
    e.apply(OrderChange(at=T0, terms=make_terms()))
    assert e.apply(due()) == []
    assert unconfirmed(e.tick(T0 + 159)) == []
    (opened,) = unconfirmed(e.tick(T0 + 175))
    assert opened == Decision(
        kind=DecisionKind.OPENED,
        at=T0 + 160,  # at the due time, not at the tick that found it
        order_id="order-1",
        rule="delivery.unconfirmed",
        rule_version=1,
        alert_key=KEY,
        subject="prot",
        priority=Priority.P2,
        confidence=Confidence.CERTAIN,
        pages=True,
        occurred_at=T0 + 99.5,
        evidence={
            "message_id": "msg-1",
            "device_id": "victim-app-1",
            "level": "alert",
            "code": "alert",
            "created_at": T0 + 99.5,
            "sent_at": T0 + 99.6,
            "channel": "stream",
            "cause": "order-1:proximity.breach:prot:1",
            "action": "call the protected person",
        },
    )
    assert unconfirmed(e.tick(T0 + 400)) == []
    (cleared,) = unconfirmed(e.apply(DeliveryReceipt("order-1", "msg-1", T0 + 500)))
    assert (cleared.kind, cleared.alert_key, cleared.message) == (
        DecisionKind.CLEARED,
        KEY,
        "receipt_late",
    )
    assert (cleared.at, cleared.subject) == (T0 + 500, "prot")
    assert e.apply(DeliveryReceipt("order-1", "msg-1", T0 + 501)) == []


def test_a_receipt_in_time_leaves_nothing_to_raise() -> None:
    e = Engine()
    e.apply(OrderChange(at=T0, terms=make_terms()))
    e.apply(due())
    e.apply(due("msg-2"))
    assert e.apply(DeliveryReceipt("order-1", "msg-1", T0 + 130)) == []
    (opened,) = unconfirmed(e.tick(T0 + 1000))
    assert opened.alert_key == "order-1:delivery.unconfirmed:msg-2"


def test_replaying_the_log_reproduces_the_decision(tmp_path: Path) -> None:
    """The live run is ticked every few seconds; the stored log holds no ticks, so
    in the replay the deadline is found by the next event, and decides the same."""
    live_events: list[Event] = [
        OrderChange(at=T0, terms=make_terms()),
        due(),
        due("msg-2", at=T0 + 110),
        DeliveryReceipt("order-1", "msg-2", T0 + 120),
        *(Tick(at=T0 + 100 + 7 * i) for i in range(20)),
        DeliveryReceipt("order-1", "msg-1", T0 + 300),
    ]
    live_events.sort(key=lambda ev: ev.at)  # stable: the order they came in
    live = Engine()
    live_decisions = unconfirmed(live.apply_all(live_events))
    assert [d.kind for d in live_decisions] == [DecisionKind.OPENED, DecisionKind.CLEARED]

    url = f"sqlite:///{tmp_path}/korgoo.db"
    migrate(url)
    db = open_engine(url)
    stored = [ev for ev in live_events if not isinstance(ev, Tick)]
    with db.begin() as conn:
        EventLog().append(conn, [(ev, f"k{i}") for i, ev in enumerate(stored)])
    replay = Engine()
    replayed = unconfirmed(replay.apply_all(ev for _, ev in EventLog().iter_events(db)))
    assert msgspec.json.encode(replayed) == msgspec.json.encode(live_decisions)
