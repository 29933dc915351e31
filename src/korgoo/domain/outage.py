"""When the centre itself cannot monitor: the pure detection of an outage.

Given what the health of the process says at `now` (the caller's clock), the
causes that make monitoring impossible: the store refusing writes, the
pipeline stalled (a batch in hand for too long), a gateway down for too long,
the MQTT broker the apps publish to unreachable for too long.
`assess` turns those into the start or the end of one outage, so those
concerned are told once per outage and once when it is over.
"""

from __future__ import annotations

import hashlib
from typing import Final, Literal

import msgspec

# Gateway states that are not an outage: working, or switched off on purpose.
UP: Final = frozenset({"running", "disabled"})
# The state of a gateway that cannot reach its broker (the MQTT gateway): the
# cause "broker", with its own limit, not a gateway down.
BROKER_DOWN: Final = "broker_down"


class GatewayState(msgspec.Struct, frozen=True):
    name: str
    state: str  # running | disabled | connecting | broker_down | ...
    since: float  # when it entered this state


class HealthSample(msgspec.Struct, frozen=True):
    store_ok: bool  # the store commits
    busy_since: float | None  # when the batch in hand was taken; None: idle
    gateways: tuple[GatewayState, ...] = ()


class Limits(msgspec.Struct, frozen=True):
    stall_s: float  # a batch in hand this long: the pipeline is stalled
    gateway_down_s: float  # a gateway not running this long: it is down
    broker_down_s: float  # the MQTT broker unreachable this long: the apps are not heard


class Outage(msgspec.Struct, frozen=True):
    id: str
    started_at: float
    causes: tuple[str, ...]


Change = Literal["started", "ended"]


def causes(sample: HealthSample, now: float, limits: Limits) -> tuple[str, ...]:
    """What stops monitoring at `now`: "store", "pipeline", "broker", "gateway:<name>"."""
    found = []
    if not sample.store_ok:
        found.append("store")
    if sample.busy_since is not None and now - sample.busy_since >= limits.stall_s:
        found.append("pipeline")
    gateways = sorted(sample.gateways, key=lambda g: g.name)
    if any(g.state == BROKER_DOWN and now - g.since >= limits.broker_down_s for g in gateways):
        found.append("broker")
    found.extend(
        f"gateway:{g.name}"
        for g in gateways
        if g.state not in UP | {BROKER_DOWN} and now - g.since >= limits.gateway_down_s
    )
    return tuple(found)


def assess(
    current: Outage | None, sample: HealthSample, now: float, limits: Limits
) -> tuple[Outage | None, Change | None]:
    """The outage after this sample, and whether one started or ended now. An
    outage lasts while any cause does; a change of causes within it is the same
    outage (no second notice)."""
    found = causes(sample, now, limits)
    if current is None and found:
        key = hashlib.sha256(f"outage\x00{now!r}".encode()).hexdigest()[:32]
        return Outage(id=key, started_at=now, causes=found), "started"
    if current is not None and not found:
        return None, "ended"
    return current, None
