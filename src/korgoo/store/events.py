"""The event log: one append-only table `events`, the source every replay reads.

Each row keeps the event exactly as the engine saw it (`body`: the `Event` union
in MessagePack, smaller and quicker than JSON) plus the columns queries need
(kind, device, order, times, position). `seq` is the log position, assigned by
the database inside the writer's transaction; replay order is seq order.

Appends are batched: one transaction per batch, one statement round for the
whole batch, duplicates (a resent message with a known `msg_key`) skipped by
`INSERT ... ON CONFLICT (msg_key) DO NOTHING` rather than looked up row by row.
Which rows went in is found without a per-row query:

- SQLite: the batch runs under the database write lock, and SQLite gives each new
  row max(rowid)+1, so the inserted rows are exactly the `changes()` rows ending at
  `last_insert_rowid()`; only if some were skipped is that range read back to see
  which keys are in it.
- PostgreSQL: one `INSERT ... SELECT FROM unnest(arrays) ... RETURNING seq, msg_key`.

A device message's key is stored behind its device time (`stored_key`): a resend
has the same device time, so it still meets its first copy, while the unique
index now grows at its right edge like the log itself instead of at random
places (random keys cost a page write per row: about 4x the append rate).
  Appenders take a transaction-scoped advisory lock first, so seq order is commit
  order and a reader following `after_seq` never skips a row committed late.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.domain.events import (
    CheckinDue,
    DeliveryDue,
    DeliveryReceipt,
    Event,
    Fix,
    OrderChange,
    PolicyChange,
    Signal,
    Tick,
)
from korgoo.store.schema import events

_COLUMNS = ("kind", "device_id", "order_id", "t", "at", "lat", "lon", "acc", "msg_key", "body")
_SQLITE_INSERT = (
    f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (msg_key) DO NOTHING"
)
_PG_TYPES = ("text",) * 3 + ("float8",) * 5 + ("text", "bytea")
_PG_INSERT = (
    f"INSERT INTO events ({', '.join(_COLUMNS)}) "
    f"SELECT {', '.join(_COLUMNS)} FROM unnest("
    + ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
    + f") WITH ORDINALITY AS u({', '.join(_COLUMNS)}, n) ORDER BY n "
    "ON CONFLICT (msg_key) DO NOTHING RETURNING seq, msg_key"
)
# Any constant serves; it names "the events appender" among advisory locks.
_PG_APPEND_LOCK = 0x6B6F72676F6F01

Row = tuple[str, str | None, str | None, float, float, float | None, float | None, float | None]


def _columns(event: Event) -> Row:
    if isinstance(event, Fix):
        return ("fix", event.device_id, None, event.t, event.at, event.lat, event.lon, event.acc)
    if isinstance(event, Signal):
        return ("signal", event.device_id, None, event.t, event.at, None, None, None)
    if isinstance(event, OrderChange):
        return ("order", None, event.terms.order_id, event.at, event.at, None, None, None)
    if isinstance(event, CheckinDue):
        return ("checkin_due", None, event.order_id, event.at, event.at, None, None, None)
    if isinstance(event, DeliveryDue):
        return (
            "delivery_due",
            event.device_id,
            event.order_id,
            event.at,
            event.at,
            None,
            None,
            None,
        )
    if isinstance(event, DeliveryReceipt):
        return ("delivery_receipt", None, event.order_id, event.at, event.at, None, None, None)
    if isinstance(event, Tick):
        return ("tick", None, None, event.at, event.at, None, None, None)
    if isinstance(event, PolicyChange):
        return ("esc_policy", None, None, event.at, event.at, None, None, None)
    raise TypeError(f"not an event: {type(event).__name__}")


def stored_key(event: Event, key: str | None) -> str | None:
    """The dedupe key as stored: a device message's key behind its device time."""
    if key is None or not isinstance(event, Fix | Signal):
        return key
    return f"{event.t:014.3f}|{key}"


class EventLog:
    """Appends to and reads the event log. Holds only its codecs; safe to share."""

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(Event)
        self._fix_decoder = msgspec.msgpack.Decoder(Fix)

    def append(
        self, conn: sa.Connection, items: Sequence[tuple[Event, str | None]]
    ) -> list[int | None]:
        """Store a batch of (event, msg_key); return each item's seq, None for a duplicate.

        Runs in `conn`'s transaction (begun here if none is open); the caller
        commits, and acknowledges nothing before the commit returns.
        """
        if not items:
            return []
        if not conn.in_transaction():
            conn.begin()
        seen: set[str] = set()
        fresh: list[int] = []  # indexes of items that are not duplicates within the batch
        rows: list[tuple[Any, ...]] = []
        encode = self._encoder.encode
        for i, (event, key) in enumerate(items):
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            fresh.append(i)
            rows.append((*_columns(event), stored_key(event, key), encode(event)))
        raw = conn.connection.dbapi_connection
        if conn.dialect.name == "postgresql":
            inserted = _insert_postgresql(raw, rows)
        else:
            inserted = _insert_sqlite(raw, rows)
        out: list[int | None] = [None] * len(items)
        inserted_keys = {key for _, key in inserted}
        seqs = iter(sorted(seq for seq, _ in inserted))
        for i, row in zip(fresh, rows, strict=True):
            key = row[8]
            if key is None or key in inserted_keys:
                out[i] = next(seqs)
        return out

    def iter_events(
        self, engine: sa.Engine, after_seq: int = 0, chunk: int = 20_000
    ) -> Iterator[tuple[int, Event]]:
        """Every event after `after_seq`, in seq order, read `chunk` rows at a time."""
        decode = self._decoder.decode
        query = (
            sa.select(events.c.seq, events.c.body)
            .where(events.c.seq > sa.bindparam("after"))
            .order_by(events.c.seq)
            .limit(chunk)
        )
        while True:
            with engine.connect() as conn:
                rows = conn.execute(query, {"after": after_seq}).all()
            for seq, body in rows:
                yield seq, decode(body)
            if len(rows) < chunk:
                return
            after_seq = rows[-1][0]

    def max_seq(self, engine: sa.Engine) -> int:
        """The newest log position, 0 for an empty log."""
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))) or 0)

    def track(self, engine: sa.Engine, device_id: str, t0: float, t1: float) -> list[Fix]:
        """The fixes of one device with device time in [t0, t1], in device-time order."""
        query = (
            sa.select(events.c.body)
            .where(events.c.device_id == device_id, events.c.kind == "fix")
            .where(events.c.t >= t0, events.c.t <= t1)
            .order_by(events.c.t, events.c.seq)
        )
        with engine.connect() as conn:
            return [self._fix_decoder.decode(body) for body in conn.scalars(query)]


def _insert_sqlite(raw: Any, rows: list[tuple[Any, ...]]) -> list[tuple[int, str | None]]:
    before = raw.total_changes
    cur = raw.cursor()
    try:
        cur.executemany(_SQLITE_INSERT, rows)
        n = raw.total_changes - before
        if n == 0:
            return []
        last = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
        first = last - n + 1
        if n == len(rows):
            return [(first + i, row[8]) for i, row in enumerate(rows)]
        cur.execute("SELECT seq, msg_key FROM events WHERE seq BETWEEN ? AND ?", (first, last))
        return [(seq, key) for seq, key in cur.fetchall()]
    finally:
        cur.close()


def _insert_postgresql(raw: Any, rows: list[tuple[Any, ...]]) -> list[tuple[int, str | None]]:
    with raw.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_APPEND_LOCK,))
        cur.execute(_PG_INSERT, [list(col) for col in zip(*rows, strict=True)])
        return [(seq, key) for seq, key in cur.fetchall()]
