"""Notes one shift leaves for the next (the shift handover view).

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shift_notes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("district", sa.String(32)),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_shift_notes_at", "shift_notes", ["at"])


def downgrade() -> None:
    op.drop_index("ix_shift_notes_at", "shift_notes")
    op.drop_table("shift_notes")
