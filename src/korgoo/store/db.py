"""Opening the database and migrating it.

SQLite (the embedded default) is opened in WAL mode with synchronous=FULL, so a
committed batch survives a power cut before its messages are acknowledged, with
foreign keys on and a busy timeout. SQLAlchemy, not the sqlite3 module, emits
BEGIN: the sqlite3 module would start transactions only at the first write, so
reads before it would not be part of the transaction (and DDL would not be
transactional for the migrations).

PostgreSQL goes through psycopg 3; `postgresql://` URLs are rewritten to
`postgresql+psycopg://`.

Alembic's configuration is built here in code (no alembic.ini): the scripts live
in `korgoo/store/migrations/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from korgoo.store.registry import seed_agencies, seed_jurisdictions
from korgoo.store.users import fill_agencies

BUSY_TIMEOUT_MS = 10_000
CACHE_KIB = 65_536  # page cache per connection
WAL_CHECKPOINT_PAGES = 20_000  # about 80 MiB of WAL between automatic checkpoints
MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> sa.URL:
    u = sa.make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def open_engine(url: str) -> sa.Engine:
    u = normalise_url(url)
    if u.get_backend_name() != "sqlite":
        return sa.create_engine(u, pool_pre_ping=True)
    if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    sa.event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Measured on batches of 1,000 fixes with random message keys: a larger page
    # cache and rarer checkpoints together give 2-2.5x the append rate.
    cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cur.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_IMMEDIATE = "korgoo_begin_immediate"


@contextmanager
def begin_write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that reads before it writes. On SQLite it takes the write
    lock at BEGIN and so waits its turn (busy timeout): a plain BEGIN that has
    read and then writes fails at once ("database is locked") when another
    writer committed in between, since its snapshot is stale."""
    with engine.connect().execution_options(**{_IMMEDIATE: True}) as conn, conn.begin():
        yield conn


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema and seed reference data."""
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.begin() as conn:
            seed_jurisdictions(conn)
            seed_agencies(conn)
            fill_agencies(conn)
    finally:
        engine.dispose()


def reachable(engine: sa.Engine) -> bool:
    """Whether the database answers a trivial query now."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True
    except sa.exc.SQLAlchemyError:
        return False
