"""What the protected person's app may say about an alarm: only what has happened.

Her words follow the alert's recorded state, never a promise: the centre has
received it (the alert is stored: it exists), an operator is handling it (it
was acknowledged), the police have been notified (a delivery to the police was
recorded; an operator's own "police notified" stage is not such a record).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from korgoo.alerts.machine import POLICE_DELIVERED
from korgoo.alerts.model import Alert
from korgoo.store.app_records import AppMessage


class AlarmStatus(StrEnum):
    RECEIVED = "received"
    HANDLING = "handling"
    POLICE_NOTIFIED = "police_notified"


def is_alarm(m: AppMessage) -> bool:
    """Her messages that stand for an alarm: a panic's answer, a breach warning."""
    if m.alert_key is None:
        return False
    return m.event == "panic_received" or (
        m.event == "warning" and m.payload.get("level") == "alert"
    )


def alarm_status(alert: Alert) -> AlarmStatus:
    """The furthest step that the alert's record shows has happened."""
    if POLICE_DELIVERED in alert.stages:
        return AlarmStatus.POLICE_NOTIFIED
    if alert.acked:
        return AlarmStatus.HANDLING
    return AlarmStatus.RECEIVED


def status_frame(message_id: str, alert: Alert) -> dict[str, Any]:
    """The `status` event: the state of the alarm her message `message_id` stood for."""
    return {"about": message_id, "status": alarm_status(alert).value}
