"""The one door every gateway uses to hand messages to the store and the engine.

A gateway calls `submit` and acknowledges to the device only after the awaitable
returns: by then the batch the messages were in is committed. Nothing is ever
acknowledged that is not durably stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

import msgspec

from korgoo.domain.events import Event
from korgoo.domain.terms import DeviceKind


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Outcome(msgspec.Struct, frozen=True, omit_defaults=True):
    verdict: Verdict
    reason: str = ""
    seq: int = 0  # position in the event log when accepted


class Message(msgspec.Struct, frozen=True, omit_defaults=True):
    """A decoded device message and the key that makes a resend a duplicate.

    `msg_key` is the client message id when the protocol has one, otherwise a
    digest of device, device time and content: either way the same message sent
    twice is stored once.
    """

    event: Event
    msg_key: str


class DeviceInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    device_id: str
    kind: DeviceKind
    tz_offset_min: int = 0  # for devices that send local time (watches)
    # The one protocol a bracelet is accepted on (watch, gt06, osmand), fixed at
    # enrolment; None for apps, which prove themselves with their secret instead.
    protocol: str | None = None


class StoreUnavailable(Exception):  # noqa: N818 (the name says what the gateway must tell)
    """The store cannot commit (disk full, database down): do not acknowledge."""


class Ingest(Protocol):
    async def submit(self, messages: Sequence[Message]) -> list[Outcome]:
        """Validate, store durably (batched with other gateways' messages), then
        feed the engine. Raises StoreUnavailable if the batch could not commit."""
        ...

    def lookup_device(self, device_id: str) -> DeviceInfo | None:
        """Enrolled device by its protocol identity (IMEI, watch id, app id);
        an in-memory lookup, never a database round trip."""
        ...

    def authenticate(self, device_id: str, secret: str) -> bool:
        """Per-device secret check for the native API and MQTT."""
        ...

    async def unknown_device(self, protocol: str, ident: str, remote: str, raw: bytes) -> None:
        """Record a message from a device that is not enrolled, for operators
        to see and enrol; it is not a session and nothing of it is evaluated."""
        ...

    @property
    def ready(self) -> bool:
        """False while the store cannot commit."""
        ...
