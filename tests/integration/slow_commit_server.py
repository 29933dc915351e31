"""`korgoo serve` for the crash-recovery tests, run as its own process.

If KORGOO_TEST_COMMIT_DELAY_S is set, every event-log append sleeps that long
after inserting its rows and before the pipeline commits them, so a test can
kill the process while a batch is written but not committed.

If KORGOO_TEST_HANG_DECISIONS is set (a file path), the first time the pipeline
stores decisions (its events committed and acknowledged) it writes that file and
hangs before the decisions' transaction, so a test can kill the process between
"events committed" and "decisions committed". Only this runner reads the
variables: production code has no test hook.

If KORGOO_TEST_HANG_SEND is set (a file path), the SMS channel writes that file
(the notification's id) and hangs instead of sending: the outbox row is
committed, nothing has reached the gateway. If KORGOO_TEST_HANG_MARK is set,
the outbox writes that file and hangs after the gateway took the message and
before the row is marked sent.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from korgoo.domain.decisions import Decision
from korgoo.domain.events import Event
from korgoo.entry.server import serve
from korgoo.notify.channels import Outgoing, Sent, SmsGateway
from korgoo.service import pipeline
from korgoo.settings import Settings
from korgoo.store import notifications
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


def _mark(marker: Path, text: str) -> None:
    """Write the marker whole or not at all: a test polls for it to exist and
    reads it at once, so it must never see an empty file half-written."""
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(text)
    partial.replace(marker)


def _hang_decisions(marker: Path) -> None:
    def hang(conn: sa.Connection, items: Sequence[tuple[int, Decision]]) -> int:
        if items:
            _mark(marker, ",".join(str(seq) for seq, _ in items))
            while True:  # until SIGKILL
                time.sleep(1)
        return 0

    pipeline.append_decisions = hang  # type: ignore[assignment]


def _hang_send(marker: Path) -> None:
    async def hang(self: SmsGateway, message: Outgoing) -> Sent:
        _mark(marker, message.id)
        while True:  # until SIGKILL
            await asyncio.sleep(1)

    SmsGateway.send = hang  # type: ignore[method-assign]


def _hang_mark(marker: Path) -> None:
    def hang(*args: object, **kwargs: object) -> None:
        _mark(marker, str(kwargs.get("provider_ref", "")))
        while True:  # until SIGKILL
            time.sleep(1)

    notifications.mark_sent = hang


def main() -> None:
    delay_s = float(os.environ.get("KORGOO_TEST_COMMIT_DELAY_S", "0"))
    if delay_s > 0:
        _slow_appends(delay_s)
    hang_marker = os.environ.get("KORGOO_TEST_HANG_DECISIONS")
    if hang_marker:
        _hang_decisions(Path(hang_marker))
    if send_marker := os.environ.get("KORGOO_TEST_HANG_SEND"):
        _hang_send(Path(send_marker))
    if mark_marker := os.environ.get("KORGOO_TEST_HANG_MARK"):
        _hang_mark(Path(mark_marker))
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    main()
