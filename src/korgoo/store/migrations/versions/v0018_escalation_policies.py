"""Versioned escalation policy: the `escalation_policies` table (a projection of
the log's `esc_policy` events), and on alerts the failover of an unaccepted
police offer to the next districts' duty units.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | None = None
depends_on: str | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Time: sa.Double[float] = sa.Double()


def upgrade() -> None:
    op.create_table(
        "escalation_policies",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.String(32), nullable=False, unique=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("body", Json, nullable=False),
    )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("police_failovers", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("police_next_districts", Json, nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("police_passed_at", Time))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for name in ("police_passed_at", "police_next_districts", "police_failovers"):
            batch.drop_column(name)
    op.drop_table("escalation_policies")
