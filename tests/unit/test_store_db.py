"""Opening, migrating and guarding the database (SQLite here; PostgreSQL reuses
the contract classes in tests/integration/test_store_postgres.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from korgoo.alerts.model import Transition, TransitionKind
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import Signal, SignalKind, Tick
from korgoo.domain.jurisdictions import BISHKEK, JURISDICTIONS, OSH_CITY, next_district, within
from korgoo.domain.terms import OrderKind
from korgoo.store.alerts import append_transitions
from korgoo.store.audit import audit_append
from korgoo.store.db import alembic_config, begin_write, migrate, normalise_url, open_engine
from korgoo.store.decisions import append_decisions
from korgoo.store.events import EventLog
from korgoo.store.orders import create_order
from korgoo.store.registry import (
    PersonRole,
    create_person,
    list_jurisdictions,
    monitored_districts,
)
from korgoo.store.schema import APPEND_ONLY_TABLES, metadata


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/nested/dir/korgoo.db"


@pytest.fixture
def engine(empty_url: str) -> sa.Engine:
    migrate(empty_url)
    return open_engine(empty_url)


class MigrationContract:
    def test_migrate_from_empty_creates_the_schema_of_the_metadata(self, empty_url: str) -> None:
        migrate(empty_url)
        eng = open_engine(empty_url)
        with eng.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            revision = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        eng.dispose()
        assert set(metadata.tables) <= tables
        assert diff == []
        assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()

    def test_migrate_twice_is_harmless_and_seeds_once(self, empty_url: str) -> None:
        migrate(empty_url)
        migrate(empty_url)
        eng = open_engine(empty_url)
        seeded = list_jurisdictions(eng)
        eng.dispose()
        assert sorted(seeded, key=lambda j: j.code) == sorted(JURISDICTIONS, key=lambda j: j.code)

    @pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
    def test_append_only_tables_refuse_update_and_delete(
        self, engine: sa.Engine, table: str
    ) -> None:
        _insert_one_row(engine, table)
        column = "valid_from" if table == "order_versions" else "at"
        for sql in (f"UPDATE {table} SET {column} = {column} + 1", f"DELETE FROM {table}"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.exec_driver_sql(sql)
        with engine.connect() as conn:
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 1


def _insert_one_row(engine: sa.Engine, table: str) -> None:
    """One valid row in any append-only table, through the repository functions."""
    with engine.begin() as conn:
        if table == "events":
            EventLog().append(conn, [(Tick(at=1.0), None)])
        elif table == "decisions":
            append_decisions(conn, [(1, Decision(kind=DecisionKind.OPENED, at=1.0))])
        elif table == "alert_transitions":
            t = Transition("k", TransitionKind.RAISED, 1.0, "engine", True, False, False)
            append_transitions(conn, [t])
        elif table == "audit_log":
            audit_append(conn, "admin", "login", "admin", {}, at=1.0)
        else:
            person = create_person(
                conn, role=PersonRole.RESPONDENT, display_name="respondent", district=BISHKEK
            )
            create_order(
                conn,
                number="T-1",
                kind=OrderKind.TEMPORARY,
                issuing_authority="police",
                legal_basis="Law No. 214",
                district=BISHKEK,
                respondent_id=person.id,
                protected_ids=[],
                starts_at=0.0,
                actor="operator",
                at=1.0,
            )


class TestMigrationSqlite(MigrationContract):
    pass


def test_sqlite_is_opened_in_wal_with_full_sync_and_foreign_keys(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 20_000


def test_sqlite_parent_directory_is_created(empty_url: str) -> None:
    path = Path(empty_url.removeprefix("sqlite:///"))
    assert not path.parent.exists()
    migrate(empty_url)
    assert path.exists()
    assert path.with_name(path.name + "-wal").exists() or path.stat().st_size > 0


def test_reads_inside_a_transaction_see_one_snapshot(engine: sa.Engine, empty_url: str) -> None:
    """SQLAlchemy emits BEGIN, so a read transaction is not disturbed by a commit elsewhere."""
    other = open_engine(empty_url)
    with engine.connect() as reader:
        before = reader.scalar(sa.text("SELECT count(*) FROM unknown_devices"))
        with other.begin() as writer:
            writer.exec_driver_sql(
                "INSERT INTO unknown_devices VALUES ('gt06', '1', 0, 0, 1, 'r', '')"
            )
        assert reader.scalar(sa.text("SELECT count(*) FROM unknown_devices")) == before
    other.dispose()


def test_postgresql_urls_are_sent_to_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


def test_bishkek_districts_are_within_bishkek() -> None:
    districts = [j for j in JURISDICTIONS if j.parent == BISHKEK]
    assert {j.name_en for j in districts} == {
        "Leninsky District",
        "Oktyabrsky District",
        "Pervomaisky District",
        "Sverdlovsky District",
    }
    assert all(within(j.code, BISHKEK) for j in districts)
    assert not within("KG-GO", BISHKEK)
    assert len([j for j in JURISDICTIONS if j.level == "region"]) == 7


def test_osh_city_has_its_nine_territorial_administrations(empty_url: str) -> None:
    osh = [j for j in JURISDICTIONS if j.parent == OSH_CITY]
    assert [j.code for j in osh] == [f"KG-GO-{n}" for n in range(1, 10)]
    assert osh[0].name_ru == "Муниципальное территориальное управление «Алымбек Датка» города Ош"
    assert osh[0].name_ky == "Ош шаарынын «Алымбек Датка» муниципалдык аймактык башкармалыгы"
    assert osh[0].name_en == "Alymbek Datka Municipal Territorial Administration, Osh"
    assert osh[-1].name_en == "Toloykon Rural Territorial Administration, Osh"
    assert all(j.level == "district" and within(j.code, OSH_CITY) for j in osh)
    assert not any(within(j.code, BISHKEK) for j in osh)
    # One police department serves them all: an offer is not passed between them,
    # while Bishkek's districts pass it on.
    assert next_district("KG-GO-3") is None
    assert next_district("KG-GB-OKT") == "KG-GB-PER"
    # Seeded in the store with monitoring not rolled out there.
    migrate(empty_url)
    eng = open_engine(empty_url)
    seeded = {j.code for j in list_jurisdictions(eng)}
    rolled_out = monitored_districts(eng)
    eng.dispose()
    assert {j.code for j in osh} <= seeded
    assert not {j.code for j in osh} & rolled_out


def test_migration_0004_gives_existing_bracelets_the_protocol_they_spoke(empty_url: str) -> None:
    eng = open_engine(empty_url)
    with eng.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        for device_id, kind in (
            ("w", "bracelet"),
            ("g", "bracelet"),
            ("q", "bracelet"),
            ("a", "respondent_app"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO devices (id, kind, model, tz_offset_min, enrolled_at)"
                    " VALUES (:id, :kind, '', 0, 0)"
                ),
                {"id": device_id, "kind": kind},
            )
        log = EventLog()
        log.append(
            conn,
            [
                (Signal("g", 1.0, 1.0, SignalKind.HEARTBEAT, source="watch"), "k1"),
                (Signal("w", 2.0, 2.0, SignalKind.HEARTBEAT, source="watch"), "k2"),
                (Signal("g", 3.0, 3.0, SignalKind.HEARTBEAT, source="gt06"), "k3"),
                (Signal("a", 3.0, 3.0, SignalKind.HEARTBEAT, source="native"), "k4"),
            ],
        )
        command.upgrade(alembic_config(conn), "head")
        rows = {r.id: r.protocol for r in conn.execute(sa.text("SELECT id, protocol FROM devices"))}
    # The newest event decides; never heard from (q) and apps (a): none.
    assert rows == {"w": "watch", "g": "gt06", "q": None, "a": None}


def test_a_read_then_write_transaction_waits_its_turn_instead_of_failing(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")

    def other_writer() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")

    # A plain transaction that read before another writer committed cannot write.
    with engine.connect() as a:
        a.begin()
        a.exec_driver_sql("SELECT count(*) FROM t").scalar()
        other_writer()
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            a.exec_driver_sql("INSERT INTO t VALUES (1)")
        a.rollback()
    # begin_write holds the write lock from the start: the other writer waits.
    done = threading.Event()
    with begin_write(engine) as a:
        seen = a.exec_driver_sql("SELECT count(*) FROM t").scalar()
        worker = threading.Thread(target=lambda: (other_writer(), done.set()))
        worker.start()
        assert not done.wait(0.5)  # blocked behind this transaction
        a.exec_driver_sql("INSERT INTO t VALUES (1)")
    worker.join(10)
    assert done.is_set()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == seen + 2
    engine.dispose()
