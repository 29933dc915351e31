"""`korgoo serve` applies the retention periods: once an hour after it starts
(not at once: a restart loop must not turn into a deletion loop), then every
`retention_every_s` (a day by default; 0 turns it off)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import sqlalchemy as sa
import structlog

from korgoo.settings import Settings
from korgoo.store.audit import AuditBrokenError, audit_keys
from korgoo.store.retention import LeftLeaseError, Periods, run_retention

log = structlog.get_logger("korgoo.retention")
FIRST_AFTER_S = 3600.0


async def retain_periodically(
    db: sa.Engine, settings: Settings, stop: asyncio.Event, first_after_s: float = FIRST_AFTER_S
) -> None:
    if settings.retention_every_s <= 0:
        return
    keys, periods = audit_keys(settings), Periods.of(settings)
    wait = first_after_s
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return
        try:
            removed = await asyncio.to_thread(run_retention, db, periods, time.time(), keys)
            log.info("retention", removed={r.kind: r.count for r in removed})
        except AuditBrokenError as broken:
            # Nothing of the audit log is cut while it does not verify; an operations alarm.
            log.error("retention_refused", error=str(broken))
        except LeftLeaseError as left:
            log.error("retention_refused", error=str(left))
        except sa.exc.SQLAlchemyError as error:
            log.error("retention_failed", error=str(error))
        wait = settings.retention_every_s
