"""The one place that picks SQL by database dialect."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with `on_conflict_do_nothing` / `on_conflict_do_update` for `conn`'s database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def greatest(conn: sa.Connection, *args: sa.ColumnElement[float]) -> sa.ColumnElement[float]:
    """The largest argument: GREATEST on PostgreSQL, multi-argument MAX on SQLite."""
    if conn.dialect.name == "postgresql":
        return sa.func.greatest(*args)
    return sa.func.max(*args)
