"""A bracelet's protocol, fixed at enrolment: a device id is accepted on one
protocol only (a Watch id sent over GT06 or OsmAnd is someone else).

Existing bracelets get the protocol of the newest event they sent (its
`source`), which is the protocol they really speak. A bracelet that never sent
anything keeps NULL and is refused on every protocol (counted as
`protocol_not_set`) until it is enrolled again with its protocol: guessing
would let the first sender of its id on any protocol speak for it. Apps keep
NULL: they authenticate with their secret instead.

Revision ID: 0004
Revises: 0003
Create Date: 2026-01-10
"""

from __future__ import annotations

import msgspec
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

PROTOCOLS = frozenset({"watch", "gt06", "osmand"})


def upgrade() -> None:
    op.add_column("devices", sa.Column("protocol", sa.String(16)))
    conn = op.get_bind()
    devices = sa.table("devices", sa.column("id"), sa.column("kind"), sa.column("protocol"))
    events = sa.table("events", sa.column("seq"), sa.column("device_id"), sa.column("body"))
    bracelets = conn.scalars(sa.select(devices.c.id).where(devices.c.kind == "bracelet")).all()
    for device_id in bracelets:
        body = conn.scalar(
            sa.select(events.c.body)
            .where(events.c.device_id == device_id)
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        if body is None:
            continue
        source = msgspec.msgpack.decode(body).get("source")
        if source in PROTOCOLS:
            conn.execute(
                sa.update(devices).where(devices.c.id == device_id).values(protocol=source)
            )


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("protocol")
