"""What readers see of the service's state: immutable snapshots.

The engine and the alert book are changed only on the service's writer thread.
After each change the writer publishes new snapshots (copy on write: a new
mapping replaces the old one in a single reference assignment), so a request
thread never iterates a dictionary the writer is changing, and a reader gets a
consistent view without a lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import msgspec

from korgoo.alerts.book import queue_order
from korgoo.alerts.model import Alert
from korgoo.domain.terms import OrderTerms


class OrderLive(msgspec.Struct, frozen=True):
    """One order as the engine sees it now: its terms, compliance state and the
    respondent's last live position (None before the first fix)."""

    terms: OrderTerms
    state: str
    t: float | None = None
    lat: float | None = None
    lon: float | None = None
    acc: float | None = None


EMPTY_ORDERS: Mapping[str, OrderLive] = MappingProxyType({})


class AlertsView:
    """The live alerts at one moment, by key and in queue order."""

    __slots__ = ("by_key", "queue")

    def __init__(self, alerts: Mapping[str, Alert]) -> None:
        self.by_key: Mapping[str, Alert] = MappingProxyType(dict(alerts))
        self.queue: tuple[Alert, ...] = tuple(sorted(self.by_key.values(), key=queue_order))


EMPTY_ALERTS = AlertsView({})
