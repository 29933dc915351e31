"""Initial schema: event log, decisions, alerts, registry, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-11-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
APPEND_ONLY = ("events", "decisions", "alert_transitions", "order_versions", "audit_log")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", BigId, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64)),
        sa.Column("order_id", sa.String(64)),
        sa.Column("t", sa.Double(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double()),
        sa.Column("lon", sa.Double()),
        sa.Column("acc", sa.Double()),
        sa.Column("msg_key", sa.String(128)),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("msg_key", name="uq_events_msg_key"),
    )
    op.create_index("ix_events_device_id_t", "events", ["device_id", "t"])

    op.create_table(
        "decisions",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("alert_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("digest", name="uq_decisions_digest"),
    )
    op.create_index("ix_decisions_alert_key", "decisions", ["alert_key"])
    op.create_index("ix_decisions_order_id_at", "decisions", ["order_id", "at"])

    op.create_table(
        "alerts",
        sa.Column("alert_key", sa.String(200), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("district", sa.String(32)),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("confidence", sa.String(16)),
        sa.Column("pages", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.Double(), nullable=False),
        sa.Column("occurred_at", sa.Double(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("acked", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("acked_at", sa.Double()),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("returned_at", sa.Double()),
        sa.Column("resolved_at", sa.Double()),
        sa.Column("resolved_by", sa.String(64)),
        sa.Column("outcome", sa.String(32)),
        sa.Column("note", sa.Text()),
        sa.Column("escalations_done", sa.Integer(), nullable=False),
        sa.Column("policy", Json, nullable=False),
        sa.Column("stages", Json, nullable=False),
        sa.Column("evidence", Json, nullable=False),
    )
    op.create_index("ix_alerts_resolved_priority", "alerts", ["resolved", "priority"])
    op.create_index("ix_alerts_order_id", "alerts", ["order_id"])
    op.create_index("ix_alerts_opened_at", "alerts", ["opened_at"])

    op.create_table(
        "alert_transitions",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column("alert_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("acked", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.String(2)),
        sa.Column("details", Json, nullable=False),
        sa.UniqueConstraint(
            "alert_key", "kind", "at", "actor", name="uq_alert_transitions_alert_key_kind_at_actor"
        ),
    )

    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name_ru", sa.String(100), nullable=False),
        sa.Column("name_ky", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column(
            "parent",
            sa.String(32),
            sa.ForeignKey("jurisdictions.code", name="fk_jurisdictions_parent_jurisdictions"),
        ),
    )

    op.create_table(
        "persons",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column(
            "district",
            sa.String(32),
            sa.ForeignKey("jurisdictions.code", name="fk_persons_district_jurisdictions"),
            nullable=False,
        ),
        sa.Column("photo_path", sa.String(500)),
        sa.Column("created_at", sa.Double(), nullable=False),
    )

    op.create_table(
        "orders",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("issuing_authority", sa.String(200), nullable=False),
        sa.Column("legal_basis", sa.String(200), nullable=False),
        sa.Column(
            "district",
            sa.String(32),
            sa.ForeignKey("jurisdictions.code", name="fk_orders_district_jurisdictions"),
            nullable=False,
        ),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("number", name="uq_orders_number"),
    )

    op.create_table(
        "order_versions",
        sa.Column(
            "order_id",
            sa.String(64),
            sa.ForeignKey("orders.id", name="fk_order_versions_order_id_orders"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("valid_from", sa.Double(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.Double(), nullable=False),
        sa.Column("ends_at", sa.Double(), nullable=False),
        sa.Column("min_distance_m", sa.Double(), nullable=False),
        sa.Column("warning_distance_m", sa.Double(), nullable=False),
        sa.Column("checkins_per_day", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("zones", Json, nullable=False),
        sa.Column(
            "respondent_id",
            sa.String(64),
            sa.ForeignKey("persons.id", name="fk_order_versions_respondent_id_persons"),
            nullable=False,
        ),
        sa.Column("protected_ids", Json, nullable=False),
    )
    op.create_index("ix_order_versions_respondent_id", "order_versions", ["respondent_id"])

    op.create_table(
        "devices",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("tz_offset_min", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(200)),
        sa.Column("enrolled_at", sa.Double(), nullable=False),
    )

    op.create_table(
        "device_assignments",
        sa.Column("id", BigId, sa.Identity(), primary_key=True),
        sa.Column(
            "device_id",
            sa.String(64),
            sa.ForeignKey("devices.id", name="fk_device_assignments_device_id_devices"),
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.String(64),
            sa.ForeignKey("persons.id", name="fk_device_assignments_person_id_persons"),
            nullable=False,
        ),
        sa.Column("from_at", sa.Double(), nullable=False),
        sa.Column("to_at", sa.Double()),
        sa.Column("assigned_by", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_device_assignments_device_id_from_at", "device_assignments", ["device_id", "from_at"]
    )
    op.create_index(
        "ix_device_assignments_person_id_from_at", "device_assignments", ["person_id", "from_at"]
    )
    op.create_index(
        "uq_device_assignments_open",
        "device_assignments",
        ["device_id"],
        unique=True,
        sqlite_where=sa.text("to_at IS NULL"),
        postgresql_where=sa.text("to_at IS NULL"),
    )

    op.create_table(
        "unknown_devices",
        sa.Column("protocol", sa.String(16), primary_key=True),
        sa.Column("ident", sa.String(64), primary_key=True),
        sa.Column("first_seen", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("remote", sa.String(100), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])

    _install_append_only_guards()


def _install_append_only_guards() -> None:
    """Refuse UPDATE and DELETE on the append-only tables in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION korgoo_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION korgoo_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION korgoo_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def downgrade() -> None:
    for table in (
        "audit_log",
        "unknown_devices",
        "device_assignments",
        "devices",
        "order_versions",
        "orders",
        "persons",
        "jurisdictions",
        "alert_transitions",
        "alerts",
        "decisions",
        "events",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION korgoo_append_only()")
