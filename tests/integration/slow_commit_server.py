"""`korgoo serve` for the crash-recovery tests, run as its own process.

If KORGOO_TEST_COMMIT_DELAY_S is set, every event-log append sleeps that long
after inserting its rows and before the pipeline commits them, so a test can
kill the process while a batch is written but not committed. Only this runner
reads the variable: production code has no test hook.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence

import sqlalchemy as sa

from korgoo.domain.events import Event
from korgoo.entry.server import serve
from korgoo.settings import Settings
from korgoo.store.events import EventLog


def _slow_appends(delay_s: float) -> None:
    append = EventLog.append

    def slow_append(
        self: EventLog, conn: sa.Connection, items: Sequence[tuple[Event, str | None]]
    ) -> list[int | None]:
        seqs = append(self, conn, items)
        time.sleep(delay_s)  # rows inserted, transaction not yet committed
        return seqs

    EventLog.append = slow_append  # type: ignore[method-assign]


def main() -> None:
    delay_s = float(os.environ.get("KORGOO_TEST_COMMIT_DELAY_S", "0"))
    if delay_s > 0:
        _slow_appends(delay_s)
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    main()
