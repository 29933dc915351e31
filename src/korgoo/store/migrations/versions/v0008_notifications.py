"""Notifications outside the apps (SMS, e-mail): the transactional outbox, and
the protected person's language and e-mail for them.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Time: sa.Double[float] = sa.Double()


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("alert_key", sa.String(200)),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(20), nullable=False),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("route", Json, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", Time),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16)),
        sa.Column("provider_ref", sa.String(128)),
        sa.Column("sent_at", Time),
        sa.Column("delivered_at", Time),
        sa.Column("failed_at", Time),
        sa.Column("last_error", sa.Text()),
    )
    op.create_index("ix_notifications_status_next_at", "notifications", ["status", "next_at"])
    op.create_index("ix_notifications_provider_ref", "notifications", ["provider_ref"])
    op.create_index("ix_notifications_alert_key", "notifications", ["alert_key"])
    op.create_table(
        "notify_preferences",
        sa.Column(
            "person_id",
            sa.String(64),
            sa.ForeignKey("persons.id", name="fk_notify_preferences_person_id_persons"),
            primary_key=True,
        ),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("email", sa.String(200)),
    )


def downgrade() -> None:
    op.drop_table("notify_preferences")
    op.drop_table("notifications")
