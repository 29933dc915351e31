"""What the protected person's app may say about her alarm: each status only in
the alert state that allows it."""

from __future__ import annotations

import msgspec
import pytest

from korgoo.alerts import machine
from korgoo.alerts.model import Alert
from korgoo.apps.victim_view import AlarmStatus, alarm_status, is_alarm, status_frame
from korgoo.store.app_records import AppMessage

from .test_alert_machine import (
    STATES,
    T0,
    active_acked,
    active_unacked,
    rtn_unacked,
)


def delivered(alert: Alert) -> Alert:
    return machine.record_police_delivery(alert, T0 + 40, "agencies", "102")[0]


def test_a_stored_alert_is_received_and_nothing_more() -> None:
    assert alarm_status(active_unacked()) is AlarmStatus.RECEIVED
    assert alarm_status(rtn_unacked()) is AlarmStatus.RECEIVED


def test_an_acknowledged_alert_is_being_handled() -> None:
    assert alarm_status(active_acked()) is AlarmStatus.HANDLING


@pytest.mark.parametrize("state", sorted(STATES))
def test_police_only_after_a_recorded_delivery(state: str) -> None:
    alert = STATES[state]()
    assert alarm_status(alert) is not AlarmStatus.POLICE_NOTIFIED
    if not alert.resolved:
        staged = machine.record_stage(alert, "police_notified", T0 + 35, "op1")[0]
        assert alarm_status(staged) is not AlarmStatus.POLICE_NOTIFIED
    assert alarm_status(delivered(alert)) is AlarmStatus.POLICE_NOTIFIED


def test_a_delivery_is_recorded_once_with_its_agency() -> None:
    alert, (t,) = machine.record_police_delivery(active_unacked(), T0 + 5, "agencies", "102")
    assert t.details == {"stage": machine.POLICE_DELIVERED, "agency": "102"}
    again, more = machine.record_police_delivery(alert, T0 + 9, "agencies", "102")
    assert more == [] and again.stages[machine.POLICE_DELIVERED] == T0 + 5
    with pytest.raises(machine.AlertError):
        machine.record_police_delivery(active_unacked(), T0 + 5, "agencies", " ")


def test_the_frame_names_her_message_and_the_status() -> None:
    assert status_frame("m1", active_acked()) == {"about": "m1", "status": "handling"}


def message(event: str, payload: dict[str, object], alert_key: str | None = "k") -> AppMessage:
    return msgspec.convert(
        {
            "id": "m1",
            "device_id": "d1",
            "event": event,
            "payload": payload,
            "order_id": "o1",
            "person_id": "p1",
            "alert_key": alert_key,
            "monitored": False,
            "created_at": T0,
            "sent_at": None,
            "channel": None,
            "receipt_at": None,
            "unconfirmed_at": None,
        },
        AppMessage,
    )


def test_only_a_panic_answer_or_a_breach_warning_stands_for_an_alarm() -> None:
    assert is_alarm(message("panic_received", {}))
    assert is_alarm(message("warning", {"level": "alert"}))
    assert not is_alarm(message("warning", {"level": "prealert"}))
    assert not is_alarm(message("warning", {"level": "alert"}, alert_key=None))
    assert not is_alarm(message("checkin", {}))
