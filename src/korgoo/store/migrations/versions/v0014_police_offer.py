"""The police offer on an alert: the unit and district it went to, when, who
accepted it, and whether it passed to the supervisor unaccepted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

Time: sa.Double[float] = sa.Double()


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("police_unit", sa.String(32)))
        batch.add_column(sa.Column("police_district", sa.String(32)))
        batch.add_column(sa.Column("police_offered_at", Time))
        batch.add_column(sa.Column("police_accepted_by", sa.String(64)))
        batch.add_column(
            sa.Column("police_failed_over", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_alerts_police_district", "alerts", ["police_district"])


def downgrade() -> None:
    op.drop_index("ix_alerts_police_district", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        for name in (
            "police_failed_over",
            "police_accepted_by",
            "police_offered_at",
            "police_district",
            "police_unit",
        ):
            batch.drop_column(name)
