"""An in-test Ingest for the gateway tests: records what was stored, and can be told
to fail (StoreUnavailable) or to hold a submit until the test releases it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from korgoo.domain.ingest import DeviceInfo, Message, Outcome, StoreUnavailable, Verdict
from korgoo.domain.terms import DeviceKind


class RecordingIngest:
    """`secrets`: app devices (respondent apps) by id with their secret; `devices`:
    other enrolled devices by protocol identity (IMEI, watch id)."""

    def __init__(
        self, secrets: dict[str, str] | None = None, devices: dict[str, DeviceInfo] | None = None
    ) -> None:
        self.secrets = secrets or {}
        self.devices = devices or {}
        self.stored: dict[str, Message] = {}  # msg_key -> message, in commit order
        self.submits: list[list[Message]] = []  # every call, failed ones included
        self.unknown: list[tuple[str, str, str, bytes]] = []
        self.unavailable = False
        self.gate: asyncio.Event | None = None  # when set, submit waits for it
        self.returned = 0  # submit calls that returned normally

    async def submit(self, messages: Sequence[Message]) -> list[Outcome]:
        self.submits.append(list(messages))
        if self.gate is not None:
            await self.gate.wait()
        if self.unavailable:
            raise StoreUnavailable("test store is down")
        outcomes = []
        for message in messages:
            if message.msg_key in self.stored:
                outcomes.append(Outcome(Verdict.DUPLICATE))
            else:
                self.stored[message.msg_key] = message
                outcomes.append(Outcome(Verdict.ACCEPTED, seq=len(self.stored)))
        self.returned += 1
        return outcomes

    def lookup_device(self, device_id: str) -> DeviceInfo | None:
        if device_id in self.devices:
            return self.devices[device_id]
        return (
            DeviceInfo(device_id, DeviceKind.RESPONDENT_APP) if device_id in self.secrets else None
        )

    def authenticate(self, device_id: str, secret: str) -> bool:
        return device_id in self.secrets and self.secrets[device_id] == secret

    async def unknown_device(self, protocol: str, ident: str, remote: str, raw: bytes) -> None:
        self.unknown.append((protocol, ident, remote, raw))

    @property
    def ready(self) -> bool:
        return not self.unavailable

    def events(self) -> list[object]:
        return [message.event for message in self.stored.values()]
