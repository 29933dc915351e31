"""Web Push for console users (the police view on a phone): the
`user_push_subscriptions` table, one row per browser subscription of a user,
its endpoint unique (docs/notifications.md).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | None = None
depends_on: str | None = None

Time: sa.Double[float] = sa.Double()


def upgrade() -> None:
    op.create_table(
        "user_push_subscriptions",
        sa.Column("endpoint", sa.String(1000), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("session", sa.String(64)),
        sa.Column("created_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("endpoint", name="pk_user_push_subscriptions"),
        sa.ForeignKeyConstraint(
            ["username"],
            ["users.username"],
            name="fk_user_push_subscriptions_username_users",
        ),
    )
    op.create_index("ix_user_push_subscriptions_username", "user_push_subscriptions", ["username"])
    op.create_index("ix_user_push_subscriptions_session", "user_push_subscriptions", ["session"])


def downgrade() -> None:
    op.drop_index("ix_user_push_subscriptions_session", "user_push_subscriptions")
    op.drop_index("ix_user_push_subscriptions_username", "user_push_subscriptions")
    op.drop_table("user_push_subscriptions")
