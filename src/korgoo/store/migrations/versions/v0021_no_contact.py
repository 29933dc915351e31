"""The no-contact condition of an order (docs/console-contract.md): `order_versions.no_contact`,
false for every version stored before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | None = None
depends_on: str | None = None


# A plain ADD COLUMN, not a batch: on SQLite a batch copies the table and
# would drop the triggers that keep `order_versions` append-only.
def upgrade() -> None:
    op.add_column(
        "order_versions",
        sa.Column("no_contact", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("order_versions", "no_contact")
