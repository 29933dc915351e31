"""Versions of the escalation policy table, for the supervisor's history and
for a restart whose log no longer holds the event that put a version in force.

The log's `esc_policy` event is what puts a version in force; this table is its
projection, written once per version (a retry or a replay stores it once).
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from korgoo.alerts.escalation import PolicyTable, decode
from korgoo.domain.events import PolicyChange
from korgoo.store.dialect import insert
from korgoo.store.schema import escalation_policies


class PolicyVersion(msgspec.Struct, frozen=True):
    table: PolicyTable
    seq: int
    at: float
    author: str
    reason: str


def save_version(conn: sa.Connection, change: PolicyChange, seq: int) -> None:
    """Record the version `change` put in force as event `seq` (once)."""
    table = decode(change.table)
    row: dict[str, Any] = {
        "number": table.number,
        "version": table.version,
        "seq": seq,
        "at": change.at,
        "author": change.author,
        "reason": change.reason,
        "body": msgspec.to_builtins(table),
    }
    conn.execute(insert(conn, escalation_policies).values(row).on_conflict_do_nothing())


def list_versions(engine: sa.Engine, *, limit: int | None = None) -> list[PolicyVersion]:
    """The saved versions, newest first."""
    t = escalation_policies
    query = sa.select(t).order_by(t.c.number.desc())
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [
            PolicyVersion(
                table=msgspec.convert(r.body, PolicyTable),
                seq=int(r.seq),
                at=float(r.at),
                author=r.author,
                reason=r.reason,
            )
            for r in conn.execute(query)
        ]
