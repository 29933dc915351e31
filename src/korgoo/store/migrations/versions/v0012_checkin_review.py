"""An operator's review of an identity check-in photo: confirmed or rejected,
by whom, when and why.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("review", sa.String(16)))
        batch.add_column(sa.Column("reviewed_by", sa.String(64)))
        batch.add_column(sa.Column("reviewed_at", sa.Double()))
        batch.add_column(sa.Column("review_note", sa.String(2000)))


def downgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        for column in ("review_note", "reviewed_at", "reviewed_by", "review"):
            batch.drop_column(column)
