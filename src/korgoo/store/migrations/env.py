"""Alembic environment: runs on the connection `korgoo.store.db.migrate` hands over.

Offline (SQL script) mode is not supported: migrations always run against a live
database. SQLite uses batch mode so later migrations can alter tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from korgoo.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, sa.Connection):
    raise RuntimeError("run migrations through korgoo.store.db.migrate(url)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
