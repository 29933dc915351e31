"""The apps: enrolment codes, app devices, messages with receipts, check-ins,
Web Push subscriptions and the server's own keys (VAPID).

Revision ID: 0003
Revises: 0002
Create Date: 2025-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Time: sa.Double[float] = sa.Double()


def _fk(table: str, column: str, referred: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{referred}.id", name=f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    op.create_table(
        "enrolment_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column(
            "order_id", sa.String(64), _fk("enrolment_codes", "order_id", "orders"), nullable=False
        ),
        sa.Column(
            "person_id",
            sa.String(64),
            _fk("enrolment_codes", "person_id", "persons"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("used_at", Time),
        sa.Column("device_id", sa.String(64)),
    )
    op.create_index("ix_enrolment_codes_code_hash", "enrolment_codes", ["code_hash"])
    op.create_table(
        "app_devices",
        sa.Column(
            "device_id",
            sa.String(64),
            _fk("app_devices", "device_id", "devices"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "person_id", sa.String(64), _fk("app_devices", "person_id", "persons"), nullable=False
        ),
        sa.Column(
            "order_id", sa.String(64), _fk("app_devices", "order_id", "orders"), nullable=False
        ),
        sa.Column("install_id", sa.String(128)),
        sa.Column("enrolled_at", Time, nullable=False),
        sa.Column("sharing", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", Time),
        sa.Column("revoked_reason", sa.String(64)),
    )
    op.create_index("ix_app_devices_person_id", "app_devices", ["person_id"])
    op.create_table(
        "app_messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "device_id", sa.String(64), _fk("app_messages", "device_id", "devices"), nullable=False
        ),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("alert_key", sa.String(200)),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("sent_at", Time),
        sa.Column("channel", sa.String(16)),
        sa.Column("receipt_at", Time),
        sa.Column("unconfirmed_at", Time),
    )
    op.create_index(
        "ix_app_messages_device_id_created_at", "app_messages", ["device_id", "created_at"]
    )
    op.create_index(
        "ix_app_messages_monitored_receipt_at_unconfirmed_at",
        "app_messages",
        ["monitored", "receipt_at", "unconfirmed_at"],
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_id", sa.String(64), _fk("checkins", "order_id", "orders"), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("send_at", Time, nullable=False),
        sa.Column("due_at", Time),
        sa.Column("sent_at", Time),
        sa.Column("photo_path", sa.String(500)),
        sa.Column("photo_at", Time),
        sa.Column("device_id", sa.String(64)),
    )
    op.create_index("ix_checkins_order_id_day", "checkins", ["order_id", "day"])
    op.create_index("ix_checkins_sent_at_send_at", "checkins", ["sent_at", "send_at"])
    op.create_table(
        "push_subscriptions",
        sa.Column(
            "device_id",
            sa.String(64),
            _fk("push_subscriptions", "device_id", "devices"),
            primary_key=True,
        ),
        sa.Column("endpoint", sa.String(1000), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "app_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "app_keys",
        "push_subscriptions",
        "checkins",
        "app_messages",
        "app_devices",
        "enrolment_codes",
    ):
        op.drop_table(table)
