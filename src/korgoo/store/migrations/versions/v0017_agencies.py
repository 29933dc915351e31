"""Agencies and the rollout switch: the `agencies` table (seeded after the
migration from domain/agencies.py), each user's agency (`users.agency_id`,
filled for existing users by the seeding), and `jurisdictions.monitoring_enabled`,
switched on here for every district that already has orders (monitoring runs
there in fact).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("name_ru", sa.String(200), nullable=False),
        sa.Column("name_ky", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("districts", Json, nullable=False),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("agency_id", sa.String(64)))
        batch.create_foreign_key("fk_users_agency_id", "agencies", ["agency_id"], ["id"])
    with op.batch_alter_table("jurisdictions") as batch:
        batch.add_column(
            sa.Column("monitoring_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE jurisdictions SET monitoring_enabled = TRUE"
        " WHERE code IN (SELECT DISTINCT district FROM orders)"
    )


def downgrade() -> None:
    with op.batch_alter_table("jurisdictions") as batch:
        batch.drop_column("monitoring_enabled")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_agency_id", type_="foreignkey")
        batch.drop_column("agency_id")
    op.drop_table("agencies")
