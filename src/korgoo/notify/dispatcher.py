"""The outbox's send side: a worker that sends due notifications with retries,
exponential back-off and failover to the recipient's next channel.

Exactly once across a crash: a notification is marked sent only after its
channel took it, so after a restart every unmarked one is sent again with the
same idempotency key. Between "the channel took it" and "marked" a crash can
resend; a gateway that deduplicates on the client reference (our key) sends it
once (docs/notifications.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping

import sqlalchemy as sa
import structlog

from korgoo.notify.channels import Adapter, ChannelError, Outgoing, Sent
from korgoo.notify.messages import render
from korgoo.notify.model import Channel
from korgoo.notify.policy import after_failure
from korgoo.store import notifications as store
from korgoo.store.notifications import OutboxRow

log = structlog.get_logger("korgoo.notify")


class Dispatcher:
    def __init__(
        self,
        db: sa.Engine,
        adapters: Mapping[Channel, Adapter],
        *,
        clock: Callable[[], float],
        centre_phone: str,
        police_phone: str,
        every_s: float = 1.0,
        per_channel: int = 3,
        backoff_s: float = 5.0,
        backoff_max_s: float = 300.0,
        on_timeline: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.adapters = dict(adapters)
        self.clock = clock
        self.centre_phone = centre_phone
        self.police_phone = police_phone
        self.every_s = every_s
        self.per_channel = per_channel
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.on_timeline = on_timeline  # an alert's timeline got a notification line
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="korgoo-notify-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for adapter in self.adapters.values():
            close = getattr(adapter, "close", None)
            if close is not None:
                await close()

    def wake(self) -> None:
        """Look for due notifications now (new ones were written)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # the store may be down: try again next round
                log.error("notify_round_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every_s)
            self._wake.clear()

    async def run_once(self) -> int:
        """Send every due notification once; returns how many were tried."""
        rows = await asyncio.to_thread(store.due, self.db, self.clock())
        for row in rows:
            await self.attempt(row)
        return len(rows)

    async def attempt(self, row: OutboxRow) -> Sent | None:
        channel_name, address = row.route[row.step]
        channel = Channel(channel_name)
        adapter = self.adapters.get(channel)
        try:
            if adapter is None:
                raise ChannelError(f"the {channel} channel is not configured", permanent=True)
            text = render(
                row.template,
                row.language,
                centre=self.centre_phone,
                police=self.police_phone,
                params=row.params,
                push=channel is Channel.PUSH,
            )
            link = (row.params or {}).get("link", "")
            message = Outgoing(row.id, address, text.subject, text.body, row.language, link)
            sent = await adapter.send(message)
        except ChannelError as exc:
            await self._failed(row, channel, address, exc)
            return None
        except Exception as exc:  # an adapter's bug must not hold up the other rows
            log.error("notification_send_crashed", id=row.id, error=repr(exc))
            await self._failed(row, channel, address, ChannelError(repr(exc)))
            return None
        await asyncio.to_thread(
            store.mark_sent,
            self.db,
            row,
            channel=channel.value,
            address=address,
            provider_ref=sent.ref,
            at=self.clock(),
            delivered=sent.delivered,
        )
        log.info("notification_sent", id=row.id, channel=channel.value, ref=sent.ref)
        self._shown(row)
        return sent

    def _shown(self, row: OutboxRow) -> None:
        if row.alert_key and self.on_timeline is not None:
            self.on_timeline(row.alert_key)

    async def _failed(
        self, row: OutboxRow, channel: Channel, address: str, exc: ChannelError
    ) -> None:
        now = self.clock()
        retry = after_failure(
            row.step,
            row.attempts,
            len(row.route),
            per_channel=self.per_channel,
            backoff_s=self.backoff_s,
            backoff_max_s=self.backoff_max_s,
            permanent=exc.permanent,
        )
        next_at = None if retry.delay_s is None else now + retry.delay_s
        await asyncio.to_thread(
            store.mark_failure,
            self.db,
            row,
            channel=channel.value,
            address=address,
            error=str(exc),
            at=now,
            step=retry.step,
            attempts=retry.attempts,
            next_at=next_at,
        )
        self._shown(row)
        log.warning(
            "notification_attempt_failed",
            id=row.id,
            channel=channel.value,
            error=str(exc),
            next_at=next_at,
        )
