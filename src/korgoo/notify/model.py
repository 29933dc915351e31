"""What a notification is, as the outbox holds it. Pure: no I/O, no clock."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import msgspec


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"  # Web Push to a console user's browsers; the address is his user name


class Status(StrEnum):
    PENDING = "pending"  # in the outbox, to be sent at `next_at`
    SENT = "sent"  # a channel took it; waiting for the delivery receipt
    DELIVERED = "delivered"  # the gateway reported it delivered (e-mail: the server accepted it)
    FAILED = "failed"  # every channel of the route failed, or the gateway reported it lost


# The warnings a protected person gets outside the app: only what has happened,
# never where the respondent is or how far. Engine code -> message template.
TEMPLATE_OF_CODE: Final = {
    "prealert": "prealert",
    "approach": "prealert",
    "alert": "alert",
    "all_clear": "all_clear",
}
TEMPLATES: Final = frozenset(TEMPLATE_OF_CODE.values())

# The units an alert is offered to, and the supervisor it fails over to: the
# role of the users who are told (docs/escalation.md). A message to them names
# the rule, priority and district and links to their view, never a position.
UNIT_ROLES: Final = {
    "police_duty": "police_duty_officer",
    "district_inspector": "police_district_inspector",
    "probation": "probation_officer",
    "supervisor": "supervisor",
}


class Recipient(msgspec.Struct, frozen=True):
    """A person as the policy needs her: how to reach her and in what language."""

    person_id: str
    language: str
    phone: str | None = None
    email: str | None = None
    has_app: bool = False  # a victim app enrolled and not revoked
    has_push: bool = False  # a console user with a browser subscribed to Web Push


class Notification(msgspec.Struct, frozen=True):
    """One message to one person, with its channels in failover order."""

    id: str  # the idempotency key: the same decision and person give the same id
    at: float
    order_id: str
    alert_key: str | None
    person_id: str
    recipient: str  # the person's part: "protected", or a unit of UNIT_ROLES
    template: str
    language: str
    route: tuple[tuple[Channel, str], ...]  # (channel, address), first to last
    params: dict[str, str] | None = None  # a unit's message: rule, priority, district, link
