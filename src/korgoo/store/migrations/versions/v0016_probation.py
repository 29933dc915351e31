"""Probation: reporting appointments, requests to vary a zone's schedule, and
the officer's reviews of his clients' alerts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time: sa.Double[float] = sa.Double()
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "probation_appointments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("outcome_note", sa.Text()),
        sa.Column("outcome_by", sa.String(64)),
        sa.Column("outcome_at", Time),
    )
    op.create_index(
        "ix_probation_appointments_order_id_at", "probation_appointments", ["order_id", "at"]
    )
    op.create_table(
        "variation_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", Time, nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("exceptions", Json, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", Time),
        sa.Column("decision_note", sa.Text()),
        sa.Column("version", sa.Integer()),
    )
    op.create_index(
        "ix_variation_requests_order_id_status", "variation_requests", ["order_id", "status"]
    )
    op.create_table(
        "probation_reviews",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("alert_key", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=False),
        sa.Column("reviewed_at", Time, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_probation_reviews_alert_key", "probation_reviews", ["alert_key"])


def downgrade() -> None:
    op.drop_index("ix_probation_reviews_alert_key", "probation_reviews")
    op.drop_table("probation_reviews")
    op.drop_index("ix_variation_requests_order_id_status", "variation_requests")
    op.drop_table("variation_requests")
    op.drop_index("ix_probation_appointments_order_id_at", "probation_appointments")
    op.drop_table("probation_appointments")
