"""The apps' back end as one object on `app.state.apps`: live streams, the
notifier, the check-in scheduler and the Web Push key; started and stopped with
the HTTP application."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import sqlalchemy as sa

from korgoo.apps.checkins import Scheduler
from korgoo.apps.enrolment import Attempts
from korgoo.apps.notifier import Hub, Notifier
from korgoo.apps.push import Pusher, load_pusher
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
        )
        self.scheduler = Scheduler(service, db, self.notifier, rng=rng, every_s=checkin_every_s)
        self.checkins_dir = Path(settings.checkins_dir)
        self.attempts = Attempts()  # failed enrolment codes, against guessing
        self._lock = asyncio.Lock()

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

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.notifier.stop()
