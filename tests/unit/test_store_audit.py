"""The keyed, checkpointed audit log: verification passes, then catches tampering.

Tampering is done as an intruder with database access would: switch off the
append-only guard, then edit, delete, reorder or re-hash rows with raw SQL. He
cannot read the key files (kept outside the database); he may edit the
checkpoints file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from korgoo.settings import Settings
from korgoo.store.audit import (
    GENESIS,
    KEYED,
    AuditBrokenError,
    AuditKeys,
    audit_append,
    audit_checkpoint,
    audit_head,
    audit_keys,
    audit_verify,
    read_checkpoints,
)
from korgoo.store.db import open_engine
from tests.sqlite_files import copy_database

T0 = 1_760_000_000.0


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> sa.Engine:
    copy_database(migrated_template, tmp_path / "korgoo.db")
    return open_engine(f"sqlite:///{tmp_path}/korgoo.db")


@contextmanager
def tampering(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        yield conn


def five_entries(engine: sa.Engine, keys: AuditKeys) -> list[str]:
    hashes = []
    for i in range(5):
        with engine.begin() as conn:
            details = {"order": f"o{i}", "reason": "variation", "z": [1, 2.5], "a": None}
            hashes.append(
                audit_append(
                    conn, "operator1", "vary_order", f"o{i}", details, T0 + i, key=keys.chain
                )
            )
    return hashes


Hasher = Callable[[bytes], str]


def plain(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def rehash_from(conn: sa.Connection, first: int, hasher: Hasher) -> None:
    """Re-link and re-hash every row from id `first` on, as a forger would."""
    prev = conn.scalar(sa.text("SELECT hash FROM audit_log WHERE id = :i"), {"i": first - 1})
    rows = conn.execute(
        sa.text("SELECT * FROM audit_log WHERE id >= :i ORDER BY id"), {"i": first}
    ).all()
    for r in rows:
        prev_hash = prev or GENESIS
        content = orjson.dumps([r.id, r.at, r.actor, r.action, r.subject, r.details, prev_hash])
        prev = hasher(content)
        conn.execute(
            sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
            {"p": prev_hash, "h": prev, "i": r.id},
        )


def delete_and_renumber(conn: sa.Connection, id_: int) -> None:
    conn.execute(sa.text("DELETE FROM audit_log WHERE id = :i"), {"i": id_})
    conn.execute(sa.text("UPDATE audit_log SET id = id - 1 WHERE id > :i"), {"i": id_})


class AuditContract:
    @pytest.fixture
    def keys(self, tmp_path: Path) -> AuditKeys:
        return audit_keys(
            Settings(
                audit_key_file=str(tmp_path / "keys" / "audit.key"),
                audit_signing_key_file=str(tmp_path / "keys" / "audit-signing.key"),
                audit_checkpoints_file=str(tmp_path / "audit-checkpoints.jsonl"),
            )
        )

    def test_an_untouched_chain_verifies(self, engine: sa.Engine, keys: AuditKeys) -> None:
        assert audit_verify(engine, keys).ok
        assert audit_head(engine) == (0, GENESIS)
        hashes = five_entries(engine, keys)
        assert len(set(hashes)) == 5
        result = audit_verify(engine, keys, chunk=2)
        assert (result.ok, result.checked, result.first_bad_id) == (True, 5, None)
        assert audit_head(engine) == (5, hashes[-1])

    def test_an_edited_row_is_found(self, engine: sa.Engine, keys: AuditKeys) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone else' WHERE id = 3")
        result = audit_verify(engine, keys)
        assert (result.ok, result.checked, result.first_bad_id) == (False, 2, 3)
        assert "hash" in result.reason

    def test_an_edited_row_re_hashed_without_the_key_is_found(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT * FROM audit_log WHERE id = 2")).one()
        forged = hashlib.sha256(
            orjson.dumps([2, row.at, row.actor, row.action, row.subject, "{}", row.prev_hash])
        ).hexdigest()
        with tampering(engine) as conn:
            conn.execute(
                sa.text("UPDATE audit_log SET details = '{}', hash = :h WHERE id = 2"),
                {"h": forged},
            )
        result = audit_verify(engine, keys)
        assert (result.ok, result.checked, result.first_bad_id) == (False, 1, 2)
        assert "keyed hash" in result.reason

    def test_a_row_re_hashed_with_the_key_still_breaks_the_next_link(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT * FROM audit_log WHERE id = 2")).one()
        content = orjson.dumps([2, row.at, row.actor, row.action, row.subject, "{}", row.prev_hash])
        forged = hmac.new(keys.chain, content, hashlib.sha256).hexdigest()
        with tampering(engine) as conn:
            conn.execute(
                sa.text("UPDATE audit_log SET details = '{}', hash = :h WHERE id = 2"),
                {"h": forged},
            )
        result = audit_verify(engine, keys)
        assert (result.ok, result.checked, result.first_bad_id) == (False, 2, 3)
        assert "link" in result.reason

    def test_a_deleted_row_is_found(self, engine: sa.Engine, keys: AuditKeys) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 2")
        result = audit_verify(engine, keys)
        assert (result.ok, result.first_bad_id) == (False, 3)
        assert "missing" in result.reason

    def test_a_deleted_first_row_is_found(self, engine: sa.Engine, keys: AuditKeys) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 1")
        assert audit_verify(engine, keys).first_bad_id == 2

    def test_a_deleted_row_with_ids_renumbered_is_found(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 3")
            conn.exec_driver_sql("UPDATE audit_log SET id = id - 1 WHERE id > 3")
        result = audit_verify(engine, keys)
        assert (result.ok, result.first_bad_id) == (False, 3)

    def test_reordered_rows_are_found(self, engine: sa.Engine, keys: AuditKeys) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:  # swap the ids of rows 2 and 4
            conn.exec_driver_sql("UPDATE audit_log SET id = -2 WHERE id = 2")
            conn.exec_driver_sql("UPDATE audit_log SET id = 2 WHERE id = 4")
            conn.exec_driver_sql("UPDATE audit_log SET id = 4 WHERE id = -2")
        result = audit_verify(engine, keys)
        assert (result.ok, result.first_bad_id) == (False, 2)


class TestAuditSqlite(AuditContract):
    pass

    # -- anchored outside the database -------------------------------------------------

    def test_key_files_are_made_once_readable_by_the_owner_only(
        self, engine: sa.Engine, keys: AuditKeys, tmp_path: Path
    ) -> None:
        for name in ("audit.key", "audit-signing.key"):
            mode = stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode)
            assert mode == 0o600, (name, oct(mode))
        again = audit_keys(
            Settings(
                audit_key_file=str(tmp_path / "keys" / "audit.key"),
                audit_signing_key_file=str(tmp_path / "keys" / "audit-signing.key"),
            )
        )
        assert (again.chain, again.signing) == (keys.chain, keys.signing)

    def test_a_row_deleted_and_the_rest_re_hashed_is_found(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            delete_and_renumber(conn, 3)
            rehash_from(conn, 3, plain)  # a perfect plain chain again
        result = audit_verify(engine, keys)
        assert (result.ok, result.first_bad_id) == (False, 3)
        assert "re-hashed without the key" in result.reason
        # Nor does another key help him.
        other = hmac_with(b"k" * 32)
        with tampering(engine) as conn:
            rehash_from(conn, 3, other)
        assert audit_verify(engine, keys).first_bad_id == 3

    def test_the_newest_rows_deleted_are_found_by_the_checkpoint(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        checkpoint = audit_checkpoint(engine, keys, at=T0 + 10)
        assert (checkpoint.seq, checkpoint.head) == audit_head(engine)
        assert audit_verify(engine, keys).ok
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id >= 4")
        result = audit_verify(engine, keys)
        assert (result.ok, result.checked, result.first_bad_id) == (False, 3, 4)
        assert "newest rows were deleted" in result.reason and "entry 5" in result.reason

    def test_a_whole_chain_re_hashed_plain_is_found_by_the_checkpoint(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        audit_checkpoint(engine, keys, at=T0 + 10)
        with tampering(engine) as conn:
            conn.exec_driver_sql("UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
            rehash_from(conn, 1, plain)  # looks like a chain from before the key
        result = audit_verify(engine, keys)
        assert not result.ok and result.first_bad_id == 5
        assert "not the one the checkpoint" in result.reason

    def test_an_edited_or_cut_checkpoints_file_is_found(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        audit_checkpoint(engine, keys, at=T0 + 10)
        with engine.begin() as conn:
            audit_append(conn, "operator1", "login", "user:operator1", at=T0 + 11, key=keys.chain)
        audit_checkpoint(engine, keys, at=T0 + 20)
        lines = keys.checkpoints.read_text().splitlines()
        assert [json.loads(line)["seq"] for line in lines] == [5, 6]
        # The newest line edited to match a shorter log: its signature fails.
        edited = json.loads(lines[1]) | {"seq": 5}
        keys.checkpoints.write_text(lines[0] + "\n" + json.dumps(edited) + "\n")
        result = audit_verify(engine, keys)
        assert not result.ok and "checkpoint 2 (seq 5): signature" in result.reason
        # The first line removed: the one left no longer follows anything.
        keys.checkpoints.write_text(lines[1] + "\n")
        result = audit_verify(engine, keys)
        assert not result.ok and "does not follow" in result.reason
        keys.checkpoints.write_text("\n".join(lines) + "\n")
        assert audit_verify(engine, keys).ok

    def test_no_checkpoint_is_signed_over_a_broken_chain(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone else' WHERE id = 3")
        with pytest.raises(AuditBrokenError, match="entry 3"):
            audit_checkpoint(engine, keys)
        assert read_checkpoints(keys.checkpoints) == []

    def test_a_chain_from_before_the_key_goes_on_keyed_after_a_marker(
        self, engine: sa.Engine, keys: AuditKeys
    ) -> None:
        five_entries(engine, keys)
        with tampering(engine) as conn:
            rehash_from(conn, 1, plain)  # the chain as the plain sha256 version wrote it
        assert audit_verify(engine, keys).ok
        with engine.begin() as conn:
            audit_append(conn, "operator1", "login", "user:operator1", at=T0 + 9, key=keys.chain)
        with engine.connect() as conn:
            actions = conn.scalars(sa.text("SELECT action FROM audit_log ORDER BY id")).all()
        assert actions == ["vary_order"] * 5 + [KEYED, "login"]
        checkpoint = audit_checkpoint(engine, keys, at=T0 + 10)
        assert (checkpoint.keyed_from, checkpoint.seq) == (6, 7)
        assert audit_verify(engine, keys).ok
        # The keyed part turned back into plain links: found.
        with tampering(engine) as conn:
            conn.exec_driver_sql(f"UPDATE audit_log SET action = 'x' WHERE action = '{KEYED}'")
            rehash_from(conn, 6, plain)
        assert not audit_verify(engine, keys).ok


def hmac_with(key: bytes) -> Hasher:
    return lambda content: hmac.new(key, content, hashlib.sha256).hexdigest()
