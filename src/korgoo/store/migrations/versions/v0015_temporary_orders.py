"""Temporary orders from the police: the monitoring a police officer asks for
(`monitoring_requests`), the court order that replaces a temporary one
(`orders.replaces_order_id`), and the centre's outages with what was told
(`outages`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None

Time: sa.Double[float] = sa.Double()


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("replaces_order_id", sa.String(64)))
    op.create_table(
        "monitoring_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "order_id",
            sa.String(64),
            sa.ForeignKey("orders.id", name="fk_monitoring_requests_order_id_orders"),
            nullable=False,
        ),
        sa.Column("district", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False, server_default=""),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", Time, nullable=False),
        sa.Column("fitted_by", sa.String(64)),
        sa.Column("fitted_at", Time),
        sa.Column("started_by", sa.String(64)),
        sa.Column("started_at", Time),
        sa.Column("refused_by", sa.String(64)),
        sa.Column("refused_at", Time),
        sa.Column("refusal_reason", sa.String(1000)),
    )
    op.create_index("ix_monitoring_requests_status", "monitoring_requests", ["status"])
    op.create_index("ix_monitoring_requests_order_id", "monitoring_requests", ["order_id"])
    op.create_table(
        "outages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("ended_at", Time),
        sa.Column("causes", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outages")
    op.drop_index("ix_monitoring_requests_order_id", table_name="monitoring_requests")
    op.drop_index("ix_monitoring_requests_status", table_name="monitoring_requests")
    op.drop_table("monitoring_requests")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("replaces_order_id")
