"""The audit log: append-only and hash-chained, so tampering shows.

Row n stores hash_n = sha256(canonical JSON of [id, at, actor, action, subject,
details, prev_hash]) with prev_hash = hash_{n-1} (64 zeros for row 1), and ids
run 1, 2, 3, ... without gaps. `audit_verify` walks the chain: an edited row no
longer matches its hash, a deleted row leaves a gap, a reordered row breaks the
link to its predecessor. Deleting the newest rows leaves a valid shorter chain;
publishing `audit_head` elsewhere from time to time (a report, a signed e-mail)
is what catches that.

Appends are serialised so two writers cannot both link to the same row: SQLite's
single write lock does it (a concurrent writer fails with "database is locked"
or a duplicate id, never a fork), PostgreSQL takes a table lock that blocks other
appenders but not readers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

import msgspec
import orjson
import sqlalchemy as sa

from korgoo.store.schema import audit_log

GENESIS = "0" * 64


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: float
    actor: str
    action: str
    subject: str
    details: dict[str, object]


class VerifyResult(msgspec.Struct, frozen=True):
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def _hash(
    id_: int, at: float, actor: str, action: str, subject: str, details: str, prev_hash: str
) -> str:
    canonical = orjson.dumps([id_, at, actor, action, subject, details, prev_hash])
    return hashlib.sha256(canonical).hexdigest()


def audit_append(
    conn: sa.Connection,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, object] | None = None,
    at: float | None = None,
) -> str:
    """Append one entry in `conn`'s transaction; returns its hash."""
    at = time.time() if at is None else at
    text = orjson.dumps(dict(details or {}), option=orjson.OPT_SORT_KEYS).decode()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
    last = conn.execute(
        sa.select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
    ).first()
    id_, prev = (1, GENESIS) if last is None else (last.id + 1, last.hash)
    digest = _hash(id_, at, actor, action, subject, text, prev)
    conn.execute(
        sa.insert(audit_log).values(
            id=id_,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=text,
            prev_hash=prev,
            hash=digest,
        )
    )
    return digest


def audit_head(engine: sa.Engine) -> tuple[int, str]:
    """(id, hash) of the newest entry, (0, GENESIS) for an empty log: the value to publish."""
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
        ).first()
    return (0, GENESIS) if last is None else (last.id, last.hash)


def audit_verify(engine: sa.Engine, chunk: int = 10_000) -> VerifyResult:
    """Walk the whole chain and report the first row that does not fit."""
    expected_id, prev, checked = 1, GENESIS, 0
    query = (
        sa.select(audit_log)
        .where(audit_log.c.id >= sa.bindparam("start"))
        .order_by(audit_log.c.id)
        .limit(chunk)
    )
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query, {"start": expected_id}).all()
        for r in rows:
            if r.id != expected_id:
                return VerifyResult(
                    False, checked, r.id, f"expected id {expected_id}, found {r.id}: row missing"
                )
            if r.prev_hash != prev:
                return VerifyResult(False, checked, r.id, "does not link to the previous row")
            if _hash(r.id, r.at, r.actor, r.action, r.subject, r.details, r.prev_hash) != r.hash:
                return VerifyResult(False, checked, r.id, "content does not match its hash")
            expected_id, prev, checked = r.id + 1, r.hash, checked + 1
        if len(rows) < chunk:
            return VerifyResult(True, checked)


def audit_entries(
    engine: sa.Engine,
    *,
    since: float | None = None,
    until: float | None = None,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first; `until` is exclusive."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    with engine.connect() as conn:
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.subject, orjson.loads(r.details))
            for r in conn.execute(query)
        ]
