"""The hash-chained audit log: verification passes, then catches tampering.

Tampering is done as an intruder with database access would: switch off the
append-only guard, then edit, delete or reorder rows with raw SQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from korgoo.store.audit import GENESIS, audit_append, audit_head, audit_verify
from korgoo.store.db import migrate, open_engine

T0 = 1_760_000_000.0


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    url = f"sqlite:///{tmp_path}/korgoo.db"
    migrate(url)
    return open_engine(url)


@contextmanager
def tampering(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        yield conn


def five_entries(engine: sa.Engine) -> list[str]:
    hashes = []
    for i in range(5):
        with engine.begin() as conn:
            details = {"order": f"o{i}", "reason": "variation", "z": [1, 2.5], "a": None}
            hashes.append(audit_append(conn, "operator1", "vary_order", f"o{i}", details, T0 + i))
    return hashes


class AuditContract:
    def test_an_untouched_chain_verifies(self, engine: sa.Engine) -> None:
        assert audit_verify(engine).ok
        assert audit_head(engine) == (0, GENESIS)
        hashes = five_entries(engine)
        assert len(set(hashes)) == 5
        result = audit_verify(engine, chunk=2)
        assert (result.ok, result.checked, result.first_bad_id) == (True, 5, None)
        assert audit_head(engine) == (5, hashes[-1])

    def test_an_edited_row_is_found(self, engine: sa.Engine) -> None:
        five_entries(engine)
        with tampering(engine) as conn:
            conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone else' WHERE id = 3")
        result = audit_verify(engine)
        assert (result.ok, result.checked, result.first_bad_id) == (False, 2, 3)
        assert "hash" in result.reason

    def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(
        self, engine: sa.Engine
    ) -> None:
        five_entries(engine)
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
        result = audit_verify(engine)
        assert (result.ok, result.checked, result.first_bad_id) == (False, 2, 3)
        assert "link" in result.reason

    def test_a_deleted_row_is_found(self, engine: sa.Engine) -> None:
        five_entries(engine)
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 2")
        result = audit_verify(engine)
        assert (result.ok, result.first_bad_id) == (False, 3)
        assert "missing" in result.reason

    def test_a_deleted_first_row_is_found(self, engine: sa.Engine) -> None:
        five_entries(engine)
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 1")
        assert audit_verify(engine).first_bad_id == 2

    def test_a_deleted_row_with_ids_renumbered_is_found(self, engine: sa.Engine) -> None:
        five_entries(engine)
        with tampering(engine) as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 3")
            conn.exec_driver_sql("UPDATE audit_log SET id = id - 1 WHERE id > 3")
        result = audit_verify(engine)
        assert (result.ok, result.first_bad_id) == (False, 3)

    def test_reordered_rows_are_found(self, engine: sa.Engine) -> None:
        five_entries(engine)
        with tampering(engine) as conn:  # swap the ids of rows 2 and 4
            conn.exec_driver_sql("UPDATE audit_log SET id = -2 WHERE id = 2")
            conn.exec_driver_sql("UPDATE audit_log SET id = 2 WHERE id = 4")
            conn.exec_driver_sql("UPDATE audit_log SET id = 4 WHERE id = -2")
        result = audit_verify(engine)
        assert (result.ok, result.first_bad_id) == (False, 2)


class TestAuditSqlite(AuditContract):
    pass
