"""Delivery of safety warnings: a warning to a protected person's app that no
receipt confirmed by its due time raises `delivery.unconfirmed` ("call the
protected person"); a receipt that comes later clears it.

The notifier puts both the warning (`DeliveryDue`) and the receipt
(`DeliveryReceipt`) into the event log, so a replay decides the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from korgoo.domain.decisions import Confidence, Decision, DecisionKind
from korgoo.domain.events import DeliveryDue, DeliveryReceipt
from korgoo.domain.rules import CATALOGUE, AlertKey, Rule

if TYPE_CHECKING:
    from korgoo.engine.monitor import OrderMonitor

RULE = Rule.DELIVERY_UNCONFIRMED
_VERSION = CATALOGUE[RULE].version


def due(m: OrderMonitor, ev: DeliveryDue) -> None:
    """A warning awaits its receipt; the engine's timer fires at `ev.due`."""
    if m.deliveries is None:
        m.deliveries = {}
    m.deliveries[ev.message_id] = (ev, False)


def _decision(kind: DecisionKind, ev: DeliveryDue, at: float, **fields: object) -> Decision:
    """A decision about the warning `ev`: its alert key carries the message, not a number."""
    return Decision(
        kind=kind,
        at=at,
        order_id=ev.order_id,
        rule=RULE,
        rule_version=_VERSION,
        alert_key=str(AlertKey(ev.order_id, RULE, ev.message_id)),
        subject=ev.person_id,
        **fields,  # type: ignore[arg-type]
    )


def deadline(m: OrderMonitor, message_id: str, at: float, out: list[Decision]) -> None:
    """The due time of a warning passed: without a receipt, raise the alert."""
    deliveries = m.deliveries
    pending = None if deliveries is None else deliveries.get(message_id)
    if deliveries is None or pending is None or pending[1] or pending[0].due != at:
        return
    ev = pending[0]
    deliveries[message_id] = (ev, True)
    out.append(
        _decision(
            DecisionKind.OPENED,
            ev,
            at,
            priority=CATALOGUE[RULE].priority,
            confidence=Confidence.CERTAIN,
            pages=True,
            occurred_at=ev.created_at,
            evidence={
                "message_id": ev.message_id,
                "device_id": ev.device_id,
                "level": ev.level,
                "code": ev.code,
                "created_at": ev.created_at,
                "sent_at": ev.sent_at,
                "channel": ev.channel,
                "cause": ev.cause,
                "action": "call the protected person",
            },
        )
    )


def receipt(m: OrderMonitor, ev: DeliveryReceipt, now: float, out: list[Decision]) -> None:
    """The app confirmed the warning: in time, nothing is left to decide; late,
    the alert's condition is over (an operator still closes it)."""
    pending = None if m.deliveries is None else m.deliveries.pop(ev.message_id, None)
    if pending is None or not pending[1]:
        return
    out.append(
        _decision(DecisionKind.CLEARED, pending[0], now, occurred_at=now, message="receipt_late")
    )
