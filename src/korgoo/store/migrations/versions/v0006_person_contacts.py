"""Persons carry what an operator needs to reach them: date of birth, language,
several labelled phone numbers ("mobile", "sister"), addresses and a note for the
operator ("call the sister first"). The single `phone` column becomes the first
entry of `phones`. Device assignments keep why they were made and ended, and by
whom they were ended.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

Time: sa.Double[float] = sa.Double()
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("birth_date", sa.String(10)))
        batch.add_column(sa.Column("language", sa.String(8)))
        batch.add_column(sa.Column("note", sa.String(1000), nullable=False, server_default=""))
        batch.add_column(sa.Column("phones", Json))
        batch.add_column(sa.Column("addresses", Json))
        batch.add_column(sa.Column("updated_at", Time))
    conn = op.get_bind()
    persons = sa.table(
        "persons",
        sa.column("id"),
        sa.column("phone"),
        sa.column("phones", Json),
        sa.column("addresses", Json),
    )
    for person_id, phone in conn.execute(sa.select(persons.c.id, persons.c.phone)).all():
        phones = [{"number": phone, "label": ""}] if phone else []
        conn.execute(
            sa.update(persons).where(persons.c.id == person_id).values(phones=phones, addresses=[])
        )
    with op.batch_alter_table("persons") as batch:
        batch.alter_column("phones", existing_type=Json, nullable=False)
        batch.alter_column("addresses", existing_type=Json, nullable=False)
        batch.drop_column("phone")
    with op.batch_alter_table("device_assignments") as batch:
        batch.add_column(sa.Column("reason", sa.String(500)))
        batch.add_column(sa.Column("ended_by", sa.String(64)))
        batch.add_column(sa.Column("end_reason", sa.String(500)))


def downgrade() -> None:
    with op.batch_alter_table("device_assignments") as batch:
        batch.drop_column("end_reason")
        batch.drop_column("ended_by")
        batch.drop_column("reason")
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("phone", sa.String(32)))
    conn = op.get_bind()
    persons = sa.table("persons", sa.column("id"), sa.column("phone"), sa.column("phones", Json))
    for person_id, phones in conn.execute(sa.select(persons.c.id, persons.c.phones)).all():
        if phones:
            conn.execute(
                sa.update(persons)
                .where(persons.c.id == person_id)
                .values(phone=phones[0]["number"][:32])
            )
    with op.batch_alter_table("persons") as batch:
        for name in ("updated_at", "addresses", "phones", "note", "language", "birth_date"):
            batch.drop_column(name)
