"""The store's contract tests (tests/unit/test_store_*.py) against the real PostgreSQL.

The session migrates one uniquely named template database; each test gets its
own copy (CREATE DATABASE ... TEMPLATE, a file copy) because the append-only
tables cannot be emptied between tests. Every database is dropped afterwards.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
import sqlalchemy as sa

from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.store.db import migrate, open_engine

pytestmark = pytest.mark.services

RUN = uuid.uuid4().hex[:12]


def _unit(name: str) -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "unit" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"korgoo_contract_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _url(admin_url: str, database: str) -> str:
    return str(sa.make_url(admin_url).set(database=database).render_as_string(False))


def _admin(admin_url: str, sql: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    name = f"korgoo_test_{RUN}_tpl"
    _admin(pg_admin_url, f"CREATE DATABASE {name}")
    try:
        migrate(_url(pg_admin_url, name))
        yield name
    finally:
        _admin(pg_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def empty_url(pg_admin_url: str) -> Iterator[str]:
    name = f"korgoo_test_{RUN}_{uuid.uuid4().hex[:8]}"
    _admin(pg_admin_url, f"CREATE DATABASE {name}")
    try:
        yield _url(pg_admin_url, name)
    finally:
        _admin(pg_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def engine(pg_admin_url: str, template_db: str) -> Iterator[sa.Engine]:
    name = f"korgoo_test_{RUN}_{uuid.uuid4().hex[:8]}"
    _admin(pg_admin_url, f"CREATE DATABASE {name} TEMPLATE {template_db}")
    eng = open_engine(_url(pg_admin_url, name))
    try:
        yield eng
    finally:
        eng.dispose()
        _admin(pg_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class TestMigrationPostgres(_unit("test_store_db").MigrationContract):  # type: ignore[misc]
    pass


class TestEventLogPostgres(_unit("test_store_events").EventLogContract):  # type: ignore[misc]
    pass


class TestAlertStorePostgres(_unit("test_store_alerts").AlertStoreContract):  # type: ignore[misc]
    pass


class TestRegistryPostgres(_unit("test_store_registry").RegistryContract):  # type: ignore[misc]
    pass


class TestAuditPostgres(_unit("test_store_audit").AuditContract):  # type: ignore[misc]
    pass


def test_postgres_url_without_driver_uses_psycopg3(engine: sa.Engine) -> None:
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM jurisdictions")) == len(JURISDICTIONS)


class TestRetentionPostgres(_unit("test_store_retention").RetentionContract):  # type: ignore[misc]
    def test_a_lease_cannot_be_committed(self, engine: sa.Engine) -> None:
        with (
            pytest.raises(sa.exc.DBAPIError, match="outlive its transaction"),
            engine.begin() as conn,
        ):
            conn.exec_driver_sql(
                "INSERT INTO retention_lease (tbl, before_at) VALUES ('events', 1e12)"
            )
