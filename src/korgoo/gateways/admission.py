"""Who may speak on a gateway, and how much of an unknown sender is recorded.

`refusal` says whether an enrolled device may send over a protocol. Phone apps
(respondent and victim) prove who they are with their secret, so they are
accepted only where a secret travels (native HTTP, MQTT, the apps' API) and
refused on OsmAnd, Watch and GT06, which carry an identity anyone can type.
A bracelet is enrolled with the one protocol it speaks and is refused on any
other: a Watch id sent over GT06 or OsmAnd is someone else. Refused devices are
known, so they are not recorded as unknown senders.

`UnknownGate` bounds what unknown senders cost: each gateway records an
identity at most once per window and at most `max_idents` distinct identities
per window, so a flood of made-up identities (700 requests a second measured)
does not turn into as many database writes on the writer the real devices wait for.
The rest are still refused and counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind

APP_KINDS = frozenset({DeviceKind.RESPONDENT_APP, DeviceKind.VICTIM_APP})
SECRET_PROTOCOLS = frozenset({"native", "mqtt"})  # a device secret travels with each message
IDENTITY_PROTOCOLS = ("watch", "gt06", "osmand")  # a bracelet's protocol is one of these

APP_NEEDS_SECRET = "app_needs_secret"
WRONG_PROTOCOL = "wrong_protocol"
PROTOCOL_NOT_SET = "protocol_not_set"


def refusal(device: DeviceInfo, protocol: str) -> str:
    """Why `device` may not send over `protocol` ("" if it may). The secret itself
    is checked by the gateways that carry one."""
    if device.kind in APP_KINDS:
        return "" if protocol in SECRET_PROTOCOLS else APP_NEEDS_SECRET
    if device.protocol is None:
        return PROTOCOL_NOT_SET
    return "" if device.protocol == protocol else WRONG_PROTOCOL


class UnknownGate:
    """Which unknown senders of one gateway are recorded (in memory, per process)."""

    def __init__(
        self,
        *,
        window_s: float = 60.0,
        max_idents: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_idents = max_idents
        self.clock = clock
        self.window_start = clock()
        self.recorded: set[str] = set()

    def admit(self, ident: str) -> bool:
        """Whether to record a message from `ident` now."""
        now = self.clock()
        if now - self.window_start >= self.window_s:
            self.window_start = now
            self.recorded.clear()
        if ident in self.recorded or len(self.recorded) >= self.max_idents:
            return False
        self.recorded.add(ident)
        return True
