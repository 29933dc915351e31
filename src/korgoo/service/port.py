"""The service's narrow interface: what the API and the apps' back end may ask of it.

They never reach the engine or the alert book: reads come from immutable
snapshots, changes go through the writer (`submit`, `order_changed`, `act`),
in order with the engine's own decisions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from korgoo.alerts.book import AlertBook
from korgoo.alerts.escalation import PolicyTable
from korgoo.alerts.model import Alert, Transition
from korgoo.domain.ingest import DeviceInfo, Ingest, Message, Outcome
from korgoo.domain.terms import OrderTerms
from korgoo.engine.params import RuleParams
from korgoo.service.snapshot import OrderLive

Clock = Callable[[], float]
Action = Callable[[AlertBook], list[Transition]]


class Monitoring(Ingest, Protocol):
    clock: Clock
    params: RuleParams  # the rules' thresholds the engine runs with (evidence records them)

    async def submit(self, messages: Sequence[Message]) -> list[Outcome]: ...

    async def order_changed(self, terms: OrderTerms) -> None:
        """A new order version enters the log and the engine; returns once evaluated."""
        ...

    def escalation_policy(self) -> PolicyTable:
        """The escalation policy table in force for alerts opening now."""
        ...

    async def policy_changed(self, table: PolicyTable, author: str, reason: str) -> bool:
        """A new policy version enters the log and the alert book; False if its
        number was taken by a concurrent edit. Returns once evaluated."""
        ...

    async def settle(self) -> None:
        """Wait until everything submitted so far has been evaluated."""
        ...

    async def act(self, action: Action) -> Any:
        """Run an operator action on the alert book (on the writer) and store it."""
        ...

    def live_orders(self) -> Mapping[str, OrderLive]: ...

    def order_state(self, order_id: str) -> str: ...

    def order_terms(self, order_id: str) -> OrderTerms | None: ...

    def open_alerts(self) -> tuple[Alert, ...]: ...

    def alert(self, alert_key: str) -> Alert | None: ...

    def subscribe(self) -> asyncio.Queue[Any]: ...

    def announce(self, alert_keys: Sequence[str]) -> None:
        """Tell subscribers that these live alerts' timelines grew outside the
        book (a notification sent or delivered), so consoles reload them."""
        ...

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None: ...

    def device_enrolled(self, info: DeviceInfo) -> None: ...

    def forget_secret(self, device_id: str) -> None: ...
