"""`korgoo serve` anchors the audit log: a signed checkpoint of its head when it
starts and then every `audit_checkpoint_every_s` (a day by default)."""

from __future__ import annotations

import asyncio
import contextlib

import sqlalchemy as sa
import structlog

from korgoo.settings import Settings
from korgoo.store.audit import AuditBrokenError, audit_checkpoint, audit_keys

log = structlog.get_logger("korgoo.audit")


async def checkpoint_periodically(db: sa.Engine, settings: Settings, stop: asyncio.Event) -> None:
    keys = audit_keys(settings)
    while not stop.is_set():
        try:
            checkpoint = await asyncio.to_thread(audit_checkpoint, db, keys)
            log.info("audit_checkpoint", seq=checkpoint.seq, head=checkpoint.head)
        except AuditBrokenError as broken:
            # Nothing is signed over a tampered log; an operations alarm, not a crash.
            log.error("audit_broken", error=str(broken))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.audit_checkpoint_every_s)
