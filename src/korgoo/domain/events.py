"""The engine's input: an ordered stream of events.

Times on the hot path are float seconds since the Unix epoch; that is UTC by
definition, and it keeps decoding, storage and the engine allocation-light.
`at` is the server's receive time (the engine's clock); `t` is the device time.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from korgoo.domain.terms import OrderTerms


class SignalKind(StrEnum):
    STRAP_OPEN = "strap_open"
    STRAP_CLOSED = "strap_closed"
    TAMPER = "tamper"
    SOS = "sos"
    FALL = "fall"
    LOW_BATTERY = "low_battery"
    POWER_OFF = "power_off"
    POWER_CUT = "power_cut"
    CHARGING = "charging"
    MOCK_LOCATION = "mock_location"
    PERMISSION_REVOKED = "permission_revoked"
    APP_HIDDEN = "app_hidden"
    HEARTBEAT = "heartbeat"
    CHECK_IN = "check_in"
    # An operator found the check-in photo is not the respondent: set by the
    # centre from the review, never accepted from a device.
    CHECK_IN_REJECTED = "check_in_rejected"
    SHARING_PAUSED = "sharing_paused"
    SHARING_RESUMED = "sharing_resumed"


class Fix(msgspec.Struct, frozen=True, tag="fix", omit_defaults=True):
    """One position of one device."""

    device_id: str
    t: float  # device time
    at: float  # receive time
    lat: float
    lon: float
    acc: float  # accuracy radius, metres
    speed: float | None = None  # m/s
    heading: float | None = None  # degrees
    battery: float | None = None  # percent
    charging: bool | None = None
    mock: bool = False
    source: str = ""  # gateway that decoded it: osmand, watch, gt06, mqtt, native, sim


class Signal(msgspec.Struct, frozen=True, tag="signal", omit_defaults=True):
    """A device signal: strap, SOS, battery, power, heartbeat, check-in ..."""

    device_id: str
    t: float
    at: float
    kind: SignalKind
    value: float | None = None  # battery percent for low_battery / heartbeat
    source: str = ""


class Tick(msgspec.Struct, frozen=True, tag="tick"):
    """The passing of time: lets time-based rules (no signal, SLA, order end) fire."""

    at: float


class CheckinDue(msgspec.Struct, frozen=True, tag="checkin_due"):
    """The server asked the respondent for an identity check-in, due by `due`."""

    order_id: str
    at: float
    due: float


class DeliveryDue(msgspec.Struct, frozen=True, tag="delivery_due", omit_defaults=True):
    """A safety warning went to a protected person's app; its receipt is due by `due`.

    What the alert `delivery.unconfirmed` shows if no receipt comes: the stored
    message, its level and code, when and how it was sent, and the alert that
    caused it.
    """

    order_id: str
    at: float
    due: float
    message_id: str
    person_id: str
    device_id: str
    level: str
    code: str
    created_at: float
    sent_at: float | None = None
    channel: str | None = None
    cause: str | None = None  # alert key of the alert that caused the warning


class DeliveryReceipt(msgspec.Struct, frozen=True, tag="delivery_receipt"):
    """The protected person's app confirmed it showed the warning `message_id`."""

    order_id: str
    message_id: str
    at: float


class OrderChange(msgspec.Struct, frozen=True, tag="order"):
    """A new version of an order's monitoring terms (or its end)."""

    at: float
    terms: OrderTerms


class PolicyChange(msgspec.Struct, frozen=True, tag="esc_policy"):
    """A supervisor saved a new version of the escalation policy table.

    In the log so that the alert book takes it in force in sequence with the
    decisions, and a replay opens the same alerts with the same policy. The
    table is the JSON of `alerts.escalation.PolicyTable` (the engine ignores it).
    """

    at: float
    version: str
    table: str
    author: str
    reason: str


Event = (
    Fix | Signal | Tick | CheckinDue | DeliveryDue | DeliveryReceipt | OrderChange | PolicyChange
)
