"""Retention: tombstones of what was removed, the transient lease that lets the
retention job (and nothing else) delete old rows from the append-only tables.

The DELETE guards of events, decisions, alert_transitions and audit_log are
replaced: a row may be deleted only while a `retention_lease` row names its
table and the row is older than the lease's `before_at`. The retention job
inserts the lease and removes it again in its own transaction, so no other
connection ever sees one; an ordinary DELETE (any other session, or this one
outside the job) is still refused, and UPDATE and TRUNCATE are refused as before.
On PostgreSQL a deferred constraint trigger also refuses to commit a lease.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RETAINED = ("events", "decisions", "alert_transitions", "audit_log")


def upgrade() -> None:
    op.create_table(
        "retention_tombstones",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.String(200)),
        sa.Column("last_id", sa.String(200)),
        sa.Column("cutoff", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", Json, nullable=False),
    )
    op.create_index("ix_retention_tombstones_kind_at", "retention_tombstones", ["kind", "at"])
    op.create_table(
        "retention_lease",
        sa.Column("tbl", sa.String(32), primary_key=True),
        sa.Column("before_at", sa.Double(), nullable=False),
    )
    # The log's order versions by order: retention finds each held order's first one.
    op.create_index(
        "ix_events_order_versions",
        "events",
        ["order_id", "seq"],
        sqlite_where=sa.text("kind = 'order'"),
        postgresql_where=sa.text("kind = 'order'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _sqlite() -> None:
    for table in RETAINED:
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "WHEN NOT EXISTS (SELECT 1 FROM retention_lease "
            f"WHERE tbl = '{table}' AND OLD.at < before_at) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def _postgresql() -> None:
    op.execute(
        "CREATE FUNCTION korgoo_retention_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF EXISTS (SELECT 1 FROM retention_lease "
        "WHERE tbl = TG_TABLE_NAME AND OLD.at < before_at) THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    )
    op.execute(
        "CREATE FUNCTION korgoo_lease_transient() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF EXISTS (SELECT 1 FROM retention_lease WHERE tbl = NEW.tbl) THEN "
        "RAISE EXCEPTION 'a retention lease may not outlive its transaction'; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER retention_lease_transient AFTER INSERT ON retention_lease "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION korgoo_lease_transient()"
    )
    for table in RETAINED:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION korgoo_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_retention_only BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION korgoo_retention_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in RETAINED:
            op.execute(f"DROP TRIGGER {table}_retention_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION korgoo_append_only()"
            )
        op.execute("DROP TABLE retention_lease")
        op.execute("DROP FUNCTION korgoo_retention_only()")
        op.execute("DROP FUNCTION korgoo_lease_transient()")
    else:
        for table in RETAINED:
            op.execute(f"DROP TRIGGER {table}_no_delete")
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        op.drop_table("retention_lease")
    op.drop_table("retention_tombstones")
    op.drop_index("ix_events_order_versions", "events")
