"""The apps' back end as one object on `app.state.apps`: live streams, the
notifier, the check-in scheduler, the Web Push key and the dispatcher of SMS,
e-mail and console users' Web Push notifications; started and stopped with
the HTTP application."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from korgoo.apps.checkins import Scheduler
from korgoo.apps.enrolment import Attempts
from korgoo.apps.notifier import Hub, Notifier
from korgoo.apps.push import Pusher, load_pusher
from korgoo.apps.unit_push import WebPush
from korgoo.notify.channels import Adapter, SmsGateway, Smtp, enabled_channels
from korgoo.notify.dispatcher import Dispatcher
from korgoo.notify.model import Channel
from korgoo.service.port import Monitoring
from korgoo.settings import Settings


class Apps:
    def __init__(
        self,
        service: Monitoring,
        db: sa.Engine,
        settings: Settings,
        *,
        rng: random.Random | None = None,
        check_every_s: float = 1.0,
        checkin_every_s: float = 15.0,
    ) -> None:
        self.service = service
        self.db = db
        self.settings = settings
        self.hub = Hub()
        self.notifier = Notifier(
            service,
            db,
            self.hub,
            None,
            receipt_timeout_s=settings.receipt_timeout_s,
            check_every_s=check_every_s,
            notice_channels=lambda: enabled_channels(settings),
        )
        self.scheduler = Scheduler(service, db, self.notifier, rng=rng, every_s=checkin_every_s)
        self.checkins_dir = Path(settings.checkins_dir)
        self.attempts = Attempts()  # failed enrolment codes, against guessing
        self.dispatcher = dispatcher(db, settings, service.clock, service.announce, self.pusher)
        self._lock = asyncio.Lock()
        self._waking: asyncio.Task[None] | None = None

    async def pusher(self) -> Pusher:
        """The Web Push signer (its key loaded or made on first use)."""
        async with self._lock:
            if self.notifier.pusher is None:
                self.notifier.pusher = await asyncio.to_thread(
                    load_pusher, self.db, self.settings, self.service.clock()
                )
            return self.notifier.pusher

    async def start(self) -> None:
        await self.pusher()
        self.notifier.start()
        self.scheduler.start()
        if self.dispatcher is not None:
            self.dispatcher.start()
            queue = self.service.subscribe()
            self._waking = asyncio.create_task(self._wake(queue), name="korgoo-notify-wake")

    async def _wake(self, queue: asyncio.Queue[Any]) -> None:
        """New decisions may have put notifications into the outbox: send them now."""
        try:
            while True:
                await queue.get()
                if self.dispatcher is not None:
                    self.dispatcher.wake()
        finally:
            self.service.unsubscribe(queue)

    async def stop(self) -> None:
        if self._waking is not None:
            self._waking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._waking
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        await self.scheduler.stop()
        await self.notifier.stop()


def receipt_url(settings: Settings) -> str:
    """Where the SMS gateway sends its delivery reports ('' if they are off)."""
    if not settings.sms_receipt_token:
        return ""
    base = settings.public_url.rstrip("/")
    return f"{base}/api/v1/notify/sms-receipts?token={quote(settings.sms_receipt_token)}"


def dispatcher(
    db: sa.Engine,
    settings: Settings,
    clock: Callable[[], float],
    announce: Callable[[list[str]], None] | None = None,
    pusher: Callable[[], Awaitable[Pusher]] | None = None,
) -> Dispatcher | None:
    """The dispatcher of SMS, e-mail and (given the apps' `pusher`) console
    users' Web Push, if any channel is configured."""
    enabled = enabled_channels(settings)
    if not enabled:
        return None
    adapters: dict[Channel, Adapter] = {}
    if Channel.SMS in enabled:
        adapters[Channel.SMS] = SmsGateway(settings, callback_url=receipt_url(settings))
    if Channel.EMAIL in enabled:
        adapters[Channel.EMAIL] = Smtp(settings)
    if Channel.PUSH in enabled and pusher is not None:
        adapters[Channel.PUSH] = WebPush(db, pusher)
    return Dispatcher(
        db,
        adapters,
        clock=clock,
        centre_phone=settings.centre_phone,
        police_phone=settings.police_phone,
        every_s=settings.notify_every_s,
        per_channel=settings.notify_attempts_per_channel,
        backoff_s=settings.notify_backoff_s,
        backoff_max_s=settings.notify_backoff_max_s,
        on_timeline=None if announce is None else (lambda key: announce([key])),
    )
