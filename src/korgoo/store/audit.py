"""The audit log: append-only and chained with a key kept outside the database,
anchored by signed checkpoints, so that rewriting it quietly is found.

Row n stores hash_n = HMAC-SHA256(K, canonical JSON of [id, at, actor, action,
subject, details, prev_hash]) with prev_hash = hash_{n-1} (64 zeros for row 1),
and ids run 1, 2, 3, ... without gaps. K lives in a file (`KORGOO_AUDIT_KEY_FILE`,
made with mode 0600 on first use), never in the database, so someone who can
write the database but not read that file cannot re-hash the rows after one he
edited or deleted: the first re-hashed row fails its HMAC.

What a valid chain cannot show is its own end: deleting the newest rows leaves
a shorter valid chain. So the head is anchored outside the database too: a
checkpoint `{seq, head, at, keyed_from, prev}` signed with Ed25519
(`KORGOO_AUDIT_SIGNING_KEY_FILE`, 0600) is appended as one JSON line to
`KORGOO_AUDIT_CHECKPOINTS_FILE` by `korgoo audit checkpoint` and daily by
`korgoo serve`; `prev` is the previous line's signature, so lines cannot be
dropped from the middle or reordered either. `audit_verify` walks the chain with
K and then checks every checkpoint's signature and link, and that the chain
still holds the last checkpoint's row with the same hash: newest rows deleted,
a row deleted and the rest re-hashed, an edited checkpoints file are each found
and named.

Chains begun before the key: their rows carry plain sha256 links (the same
canonical JSON). The first append that finds such a chain (its last row is not
HMAC-linked) first appends an `audit.keyed` entry, HMAC-linked to the last plain
row; from that entry on every link is keyed. A new chain is keyed from row 1.
Checkpoints record where the keyed links start (`keyed_from`), so turning keyed
rows back into plain ones is found too once a checkpoint was written; a
checkpoint is only signed over a chain that verifies.

Retention (`korgoo.store.retention`) removes the oldest entries, always a
prefix 1..k-1. It appends a `retention.removed` entry, keyed like every other,
whose details hold the cut's checkpoint `{"audit_log": {"kept_from": k,
"prev_hash": hash of entry k-1, "keyed_from": ...}}`; verification starts at
the first entry left and accepts the gap only if such an entry in the kept,
keyed chain names exactly that start and link. Deleting old rows by hand is
still found: no keyed entry vouches for the cut.

Appends are serialised so two writers cannot both link to the same row: SQLite's
single write lock does it (a concurrent writer fails with "database is locked"
or a duplicate id, never a fork), PostgreSQL takes a table lock that blocks other
appenders but not readers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import orjson
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from korgoo.settings import Settings, get_settings
from korgoo.store.schema import audit_log

GENESIS = "0" * 64
KEYED = "audit.keyed"  # the entry from which every link is keyed
RETENTION = "retention.removed"  # holds the checkpoint of a cut of the oldest entries


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


class Checkpoint(msgspec.Struct, frozen=True):
    seq: int  # the id of the newest row when it was written
    head: str  # that row's hash
    at: float
    keyed_from: int | None  # id of the `audit.keyed` entry
    prev: str  # the previous checkpoint's signature ("" for the first)
    signature: str = ""  # Ed25519 over the canonical JSON of the fields above, hex


class AuditKeys(msgspec.Struct, frozen=True):
    chain: bytes  # the HMAC key
    signing: bytes  # the Ed25519 private key (raw 32 bytes)
    checkpoints: Path


def _secret_file(path: Path, size: int) -> bytes:
    """The secret in `path`; made (random, mode 0600) if there is none yet."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(size)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secret.hex() + "\n")
    return secret


@lru_cache(maxsize=8)
def _keys_at(key_file: str, signing_file: str, checkpoints_file: str) -> AuditKeys:
    return AuditKeys(
        _secret_file(Path(key_file), 32),
        _secret_file(Path(signing_file), 32),
        Path(checkpoints_file),
    )


def audit_keys(settings: Settings | None = None) -> AuditKeys:
    """The chain key, the checkpoint signing key and the checkpoints file of `settings`."""
    s = settings or get_settings()
    return _keys_at(s.audit_key_file, s.audit_signing_key_file, s.audit_checkpoints_file)


def _canonical(
    id_: int, at: float, actor: str, action: str, subject: str, details: str, prev_hash: str
) -> bytes:
    return orjson.dumps([id_, at, actor, action, subject, details, prev_hash])


def _plain_hash(row: Any) -> str:
    fields = (row.id, row.at, row.actor, row.action, row.subject, row.details, row.prev_hash)
    return hashlib.sha256(_canonical(*fields)).hexdigest()


def _keyed_hash(key: bytes, row: Any) -> str:
    fields = (row.id, row.at, row.actor, row.action, row.subject, row.details, row.prev_hash)
    return hmac.new(key, _canonical(*fields), hashlib.sha256).hexdigest()


class _Row(msgspec.Struct, frozen=True):
    id: int
    at: float
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str


def _insert(conn: sa.Connection, key: bytes, row: _Row) -> str:
    digest = _keyed_hash(key, row)
    conn.execute(sa.insert(audit_log).values(**msgspec.structs.asdict(row), hash=digest))
    return digest


def audit_append(
    conn: sa.Connection,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, object] | None = None,
    at: float | None = None,
    *,
    key: bytes | None = None,
) -> str:
    """Append one entry in `conn`'s transaction; returns its hash. `key`: the
    chain key (default: the configured key file's)."""
    key = audit_keys().chain if key is None else key
    at = time.time() if at is None else at
    text = orjson.dumps(dict(details or {}), option=orjson.OPT_SORT_KEYS).decode()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
    last = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).first()
    if last is None:
        id_, prev = 1, GENESIS  # a new chain is keyed from its first row
    else:
        id_, prev = last.id + 1, last.hash
        if _keyed_hash(key, last) != last.hash:
            # A chain begun before the key (or with another key: verify names that).
            marker = _Row(id_, at, "korgoo", KEYED, "audit_log", "{}", prev)
            prev = _insert(conn, key, marker)
            id_ += 1
    return _insert(conn, key, _Row(id_, at, actor, action, subject, text, prev))


def audit_head(engine: sa.Engine) -> tuple[int, str]:
    """(id, hash) of the newest entry, (0, GENESIS) for an empty log."""
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
        ).first()
    return (0, GENESIS) if last is None else (last.id, last.hash)


def _signed_part(c: Checkpoint) -> bytes:
    return orjson.dumps([c.seq, c.head, c.at, c.keyed_from, c.prev])


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first (none if there is no file)."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    decoder = msgspec.json.Decoder(Checkpoint)
    return [decoder.decode(line) for line in lines if line.strip()]


class AuditBrokenError(Exception):
    """The chain does not verify: no checkpoint is signed over it."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__(f"audit log broken at entry {result.first_bad_id}: {result.reason}")
        self.result = result


def audit_checkpoint(engine: sa.Engine, keys: AuditKeys, *, at: float | None = None) -> Checkpoint:
    """Verify the chain, sign its head and append that to the checkpoints file;
    AuditBrokenError (and nothing written) if the chain or the checkpoints do not verify."""
    walked, hashes, keyed_from, end = _walk(engine, keys.chain, 10_000)
    if walked.ok:
        walked = _check_checkpoints(keys, walked.checked, hashes, keyed_from, end)
    if not walked.ok:
        raise AuditBrokenError(walked)
    previous = read_checkpoints(keys.checkpoints)
    unsigned = Checkpoint(
        end,
        hashes.get(end, GENESIS),
        time.time() if at is None else at,
        keyed_from,
        previous[-1].signature if previous else "",
    )
    signature = Ed25519PrivateKey.from_private_bytes(keys.signing).sign(_signed_part(unsigned))
    checkpoint = msgspec.structs.replace(unsigned, signature=signature.hex())
    keys.checkpoints.parent.mkdir(parents=True, exist_ok=True)
    with keys.checkpoints.open("ab") as f:
        f.write(msgspec.json.encode(checkpoint) + b"\n")
        f.flush()
        os.fsync(f.fileno())
    return checkpoint


def retention_cut(conn: sa.Connection, key: bytes, first: int) -> tuple[str, int | None] | None:
    """(prev_hash, keyed_from) of the cut that left `first` as the oldest entry, from
    the keyed `retention.removed` entry recording it; None if no such entry."""
    rows = conn.execute(
        sa.select(audit_log).where(audit_log.c.action == RETENTION, audit_log.c.id >= first)
    )
    for row in rows:
        cut = orjson.loads(row.details).get("audit_log")
        if cut and cut.get("kept_from") == first and _keyed_hash(key, row) == row.hash:
            return str(cut["prev_hash"]), cut.get("keyed_from")
    return None


def _walk(
    engine: sa.Engine, key: bytes, chunk: int
) -> tuple[VerifyResult, dict[int, str], int | None, int]:
    """Walk the whole chain from its oldest entry: the first row that does not fit,
    the rows' hashes (for the checkpoints), the id of the first keyed link (None:
    a plain chain) and the id of the newest row (0: none)."""
    expected_id, prev, checked = 1, GENESIS, 0
    keyed_from: int | None = None
    hashes: dict[int, str] = {}
    with engine.connect() as conn:
        first = conn.scalar(sa.select(sa.func.min(audit_log.c.id)))
        cut = retention_cut(conn, key, first) if first is not None and first > 1 else None
    if first is not None and first > 1:
        if cut is None:
            reason = f"entries 1 to {first - 1} missing; no retention entry records their removal"
            return VerifyResult(False, 0, first, reason), hashes, None, 0
        expected_id, (prev, keyed_from) = first, cut
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
                reason = f"expected id {expected_id}, found {r.id}: row missing"
                return VerifyResult(False, checked, r.id, reason), hashes, keyed_from, 0
            if r.prev_hash != prev:
                reason = "does not link to the previous row"
                return VerifyResult(False, checked, r.id, reason), hashes, keyed_from, 0
            if keyed_from is None and (
                r.action == KEYED or (r.id == 1 and _keyed_hash(key, r) == r.hash)
            ):
                keyed_from = r.id
            if keyed_from is not None and _keyed_hash(key, r) != r.hash:
                reason = (
                    "content does not match its keyed hash: edited, or re-hashed without the key"
                )
                return VerifyResult(False, checked, r.id, reason), hashes, keyed_from, 0
            if keyed_from is None and _plain_hash(r) != r.hash:
                reason = "content does not match its hash"
                return VerifyResult(False, checked, r.id, reason), hashes, keyed_from, 0
            hashes[r.id] = r.hash
            expected_id, prev, checked = r.id + 1, r.hash, checked + 1
        if len(rows) < chunk:
            return VerifyResult(True, checked), hashes, keyed_from, expected_id - 1


def _check_checkpoints(
    keys: AuditKeys, checked: int, hashes: dict[int, str], keyed_from: int | None, end: int
) -> VerifyResult:
    try:
        checkpoints = read_checkpoints(keys.checkpoints)
    except msgspec.DecodeError as error:
        return VerifyResult(False, checked, None, f"checkpoints file unreadable: {error}")
    public = Ed25519PrivateKey.from_private_bytes(keys.signing).public_key()
    prev = ""
    for n, c in enumerate(checkpoints, 1):
        try:
            public.verify(bytes.fromhex(c.signature), _signed_part(c))
        except (InvalidSignature, ValueError):
            reason = f"checkpoint {n} (seq {c.seq}): signature does not match: file edited"
            return VerifyResult(False, checked, None, reason)
        if c.prev != prev:
            reason = f"checkpoint {n} (seq {c.seq}) does not follow checkpoint {n - 1}: removed"
            return VerifyResult(False, checked, None, reason)
        prev = c.signature
    if not checkpoints:
        return VerifyResult(True, checked)
    last = checkpoints[-1]
    if last.seq > end:
        reason = (
            f"the newest rows were deleted: the checkpoint of {_when(last.at)} saw "
            f"entry {last.seq}, the log ends at {end}"
        )
        return VerifyResult(False, checked, end + 1, reason)
    # An entry removed by retention (older than the chain's start) has no hash to compare.
    if last.seq and last.seq >= min(hashes, default=1) and hashes.get(last.seq) != last.head:
        reason = f"entry {last.seq} is not the one the checkpoint of {_when(last.at)} signed"
        return VerifyResult(False, checked, last.seq, reason)
    if last.keyed_from is not None and keyed_from != last.keyed_from:
        reason = f"the keyed chain should start at entry {last.keyed_from}, not {keyed_from}"
        return VerifyResult(False, checked, last.keyed_from, reason)
    return VerifyResult(True, checked)


def cut_checkpoint(engine: sa.Engine, keys: AuditKeys, kept_from: int) -> dict[str, object]:
    """The checkpoint a retention cut keeping entries from `kept_from` on records:
    the hash entry `kept_from` links to and where the keyed links start. Only
    over a chain that verifies (AuditBrokenError otherwise): a cut must never
    hide tampering."""
    walked, hashes, keyed_from, end = _walk(engine, keys.chain, 10_000)
    if walked.ok:
        walked = _check_checkpoints(keys, walked.checked, hashes, keyed_from, end)
    if not walked.ok:
        raise AuditBrokenError(walked)
    return {"kept_from": kept_from, "prev_hash": hashes[kept_from - 1], "keyed_from": keyed_from}


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


def audit_verify(
    engine: sa.Engine, keys: AuditKeys | None = None, chunk: int = 10_000
) -> VerifyResult:
    """Walk the whole chain with the key, then hold it against the checkpoints;
    reports the first thing that does not fit."""
    keys = keys or audit_keys()
    walked, hashes, keyed_from, end = _walk(engine, keys.chain, chunk)
    if not walked.ok:
        return walked
    return _check_checkpoints(keys, walked.checked, hashes, keyed_from, end)


def audit_entries(
    engine: sa.Engine,
    *,
    since: float | None = None,
    until: float | None = None,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    subject_contains: str | None = None,
    before_id: int | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first; `until` is exclusive.
    An `action` ending in "." matches every action it begins ("user." finds
    user.created, user.disabled, ...); `subject_contains` matches a part of the
    subject, any case; `before_id` pages back from the entry of that id."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if subject_contains:
        query = query.where(audit_log.c.subject.icontains(subject_contains, autoescape=True))
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if action is not None and action.endswith("."):
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    elif action is not None:
        query = query.where(audit_log.c.action == action)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    with engine.connect() as conn:
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.subject, orjson.loads(r.details))
            for r in conn.execute(query)
        ]
