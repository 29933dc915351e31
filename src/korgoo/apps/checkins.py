"""Identity check-ins: `checkins_per_day` requests per active order with a
respondent app, at random times between 08:00 and 22:00 in the order's time
zone, each due 10 minutes after it is sent.

Times are drawn with `secrets.SystemRandom` (never predictable from earlier
ones) and stored as the day's plan. At a planned time the scheduler submits a
`CheckinDue` event to the pipeline (the engine raises `checkin.missed` if no
`check_in` arrives by the due time) and pushes a `checkin` message to the app.
The photo the app sends is kept under `checkins_dir` for the operator, and
counts as the `check_in` signal if it came before the due time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
import structlog

from korgoo.apps import respondent_view as rv
from korgoo.apps.notifier import Notifier
from korgoo.domain.events import CheckinDue, Signal, SignalKind
from korgoo.domain.ingest import Message
from korgoo.domain.terms import DeviceKind, OrderTerms
from korgoo.domain.text import N_, Text
from korgoo.service.port import Monitoring
from korgoo.store import app_records as records
from korgoo.store import checkins as checkin_store
from korgoo.store.checkins import Checkin
from korgoo.store.db import begin_write
from korgoo.store.orders import current_terms

log = structlog.get_logger("korgoo.apps")

DAY_START = time(8, 0)
DAY_END = time(22, 0)
ANSWER_WITHIN_S = 600.0
MAX_PHOTO_BYTES = 2 * 1024 * 1024
JPEG_MAGIC = b"\xff\xd8\xff"


def plan_times(
    day: date, count: int, tz: str, rng: random.Random, not_before: float | None = None
) -> list[float]:
    """`count` random send times on `day` between 08:00 and 22:00 local time (not
    before `not_before`, for a plan made during the day), sorted."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, DAY_START, zone).timestamp()
    end = datetime.combine(day, DAY_END, zone).timestamp()
    if not_before is not None:
        start = max(start, not_before)
    if count <= 0 or end <= start:
        return []
    return sorted(rng.uniform(start, end) for _ in range(count))


def local_day(t: float, tz: str) -> date:
    return datetime.fromtimestamp(t, ZoneInfo(tz)).date()


class Scheduler:
    def __init__(
        self,
        service: Monitoring,
        db: sa.Engine,
        notifier: Notifier,
        *,
        rng: random.Random | None = None,
        every_s: float = 15.0,
    ) -> None:
        self.service = service
        self.db = db
        self.notifier = notifier
        self.rng = rng or secrets.SystemRandom()
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self._round = asyncio.Lock()  # one round at a time: each check-in is sent once

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="korgoo-apps-checkins")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # a bad round must not end check-ins for good
                log.error("checkins_failed", error=repr(exc))
            await asyncio.sleep(self.every_s)

    async def run_once(self) -> list[Checkin]:
        """Plan today's check-ins where missing; send those whose time has come.
        Returns the ones sent."""
        async with self._round:
            return await self._run_once()

    async def _run_once(self) -> list[Checkin]:
        now = self.service.clock()
        terms = await asyncio.to_thread(self._orders_with_app)
        await asyncio.to_thread(self._plan, terms, now)
        sent = []
        for c in await asyncio.to_thread(checkin_store.due, self.db, now):
            sent.append(await self._send(c, now))
        return sent

    def _orders_with_app(self) -> list[OrderTerms]:
        return [
            t
            for t in current_terms(self.db)
            if t.checkins_per_day > 0
            and any(kind is DeviceKind.RESPONDENT_APP for _, kind in t.respondent.devices)
        ]

    def _plan(self, terms: Sequence[OrderTerms], now: float) -> None:
        with begin_write(self.db) as conn:
            for t in terms:
                if not t.active_at(now):
                    continue
                day = local_day(now, t.timezone)
                if checkin_store.day_planned(conn, t.order_id, day.isoformat()):
                    continue
                times = plan_times(day, t.checkins_per_day, t.timezone, self.rng, now)
                checkin_store.plan_day(conn, t.order_id, day.isoformat(), times)

    async def _send(self, c: Checkin, now: float) -> Checkin:
        due = now + ANSWER_WITHIN_S
        # Mark first: a check-in is sent once even if the process stops half-way.
        db = self.db
        await asyncio.to_thread(checkin_store.mark_sent, db, c.id, now, due)
        if now - c.send_at > ANSWER_WITHIN_S:
            # The centre was down past this one's whole window: asking now would
            # not be the random time planned; it is recorded as sent late, not asked.
            log.warning("checkin_skipped", checkin_id=c.id, planned=c.send_at)
            return msgspec.structs.replace(c, sent_at=now, due_at=due)
        event = CheckinDue(order_id=c.order_id, at=now, due=due)
        await self.service.submit([Message(event=event, msg_key=f"checkin:{c.id}")])
        devices = await asyncio.to_thread(checkin_store.respondent_apps, db, c.order_id)
        for device in devices:
            await self.notifier.send(device, "checkin", rv.checkin(c.id, due), order_id=c.order_id)
        return msgspec.structs.replace(c, sent_at=now, due_at=due)


class PhotoRefused(Exception):  # noqa: N818
    def __init__(self, status: int, message: Text) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def submit_photo(
    service: Monitoring,
    db: sa.Engine,
    folder: Path,
    device: records.AppDevice,
    checkin_id: str,
    photo: bytes,
) -> Checkin:
    """Keep the photo; before the due time it is the order's `check_in` signal."""
    if device.kind != DeviceKind.RESPONDENT_APP.value:
        raise PhotoRefused(403, N_("Only the respondent's app sends identity check-ins."))
    found = await asyncio.to_thread(checkin_store.load, db, checkin_id=checkin_id)
    if not found or found[0].order_id != device.order_id or found[0].sent_at is None:
        raise PhotoRefused(404, N_("There is no such check-in request for this phone."))
    c = found[0]
    if c.photo_at is not None:
        raise PhotoRefused(409, N_("A photo was already sent for this check-in."))
    if len(photo) > MAX_PHOTO_BYTES:
        raise PhotoRefused(413, N_("The photo is larger than 2 MB; take it again."))
    if not photo.startswith(JPEG_MAGIC):
        raise PhotoRefused(422, N_("'photo': a JPEG image is expected."))
    at = service.clock()
    path = folder / c.order_id / f"{c.id}.jpg"

    def store() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(photo)
        checkin_store.record_photo(db, c.id, str(path), at, device.device_id)

    await asyncio.to_thread(store)
    if c.due_at is not None and at <= c.due_at:
        signal = Signal(device.device_id, at, at, SignalKind.CHECK_IN, source="app")
        await service.submit([Message(event=signal, msg_key=f"{device.device_id}/checkin:{c.id}")])
    return msgspec.structs.replace(c, photo_path=str(path), photo_at=at, device_id=device.device_id)


def checkin_json(c: Checkin, photo_url: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": c.id,
        "order_id": c.order_id,
        "day": c.day,
        "send_at": rv.iso(c.send_at),
        "sent_at": None if c.sent_at is None else rv.iso(c.sent_at),
        "due_at": None if c.due_at is None else rv.iso(c.due_at),
        "photo_at": None if c.photo_at is None else rv.iso(c.photo_at),
        "on_time": c.on_time,
        "photo_url": None if c.photo_path is None else photo_url(c.id),
        "review": c.review,
        "reviewed_by": c.reviewed_by,
        "reviewed_at": None if c.reviewed_at is None else rv.iso(c.reviewed_at),
        "review_note": c.review_note,
    }
