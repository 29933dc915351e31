"""The engine's decisions, append-only, each tied to the event that caused it.

A decision's identity is a digest of (causing seq, decision body): applying the
decisions of an event again after a restart or a replay stores nothing new,
while two identical decisions caused by two different events are both kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec
import sqlalchemy as sa

from korgoo.domain.decisions import Decision
from korgoo.store.dialect import insert
from korgoo.store.schema import decisions

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Decision).decode


def append_decisions(conn: sa.Connection, items: Sequence[tuple[int, Decision]]) -> int:
    """Store (causing seq, decision) pairs; seq 0 for a clock tick. Returns rows inserted."""
    if not items:
        return 0
    rows = []
    for seq, d in items:
        body = _encode(d)
        digest = hashlib.sha256(b"%d:" % seq + body).hexdigest()
        rows.append(
            {
                "seq": seq,
                "at": d.at,
                "order_id": d.order_id,
                "rule": d.rule,
                "alert_key": d.alert_key,
                "kind": d.kind.value,
                "digest": digest,
                "body": body,
            }
        )
    # Counted from RETURNING: executemany's rowcount is not reliable across drivers.
    stmt = insert(conn, decisions).on_conflict_do_nothing().returning(decisions.c.id)
    return len(conn.execute(stmt, rows).all())


def decisions_for(engine: sa.Engine, alert_key: str) -> list[tuple[int, Decision]]:
    """The decisions about one episode, in the order they were stored."""
    query = (
        sa.select(decisions.c.seq, decisions.c.body)
        .where(decisions.c.alert_key == alert_key)
        .order_by(decisions.c.id)
    )
    with engine.connect() as conn:
        return [(seq, _decode(body)) for seq, body in conn.execute(query)]


def stored_at(engine: sa.Engine, seq: int) -> set[bytes]:
    """The bodies of the decisions stored under one causing seq."""
    with engine.connect() as conn:
        return set(
            conn.execute(sa.select(decisions.c.body).where(decisions.c.seq == seq)).scalars()
        )


def body_of(decision: Decision) -> bytes:
    """A decision as `stored_at` returns it."""
    return _encode(decision)


def last_decided_seq(engine: sa.Engine) -> int:
    """The highest event-log sequence number whose decisions are stored (0: none)."""
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.coalesce(sa.func.max(decisions.c.seq), 0))) or 0)
