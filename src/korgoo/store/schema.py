"""Tables of the store, as SQLAlchemy Core metadata (the migrations create them).

Times are float seconds since the Unix epoch (UTC by definition) in every table,
not only the hot-path ones: the engine, `OrderTerms` and the alert model all use
epoch floats, SQLite has no timezone-aware type, and one representation means no
conversion mistakes between tables. Conversion to Asia/Bishkek happens at the
edges (API, reports).

Append-only tables (events, decisions, alert_transitions, order_versions,
audit_log) are guarded by database triggers that refuse UPDATE and DELETE; the
migration installs them. `alerts` holds the current state of each alert (one row
per alert_key, upserted); its history is `alert_transitions`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# INTEGER PRIMARY KEY is SQLite's rowid alias (BIGINT would not be); BIGINT on PostgreSQL.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time: sa.Double[float] = sa.Double()
# JSON documents: JSONB on PostgreSQL so operators can query them.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

APPEND_ONLY_TABLES = ("events", "decisions", "alert_transitions", "order_versions", "audit_log")

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", BigId, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # the event's msgspec tag
    sa.Column("device_id", sa.String(64)),
    sa.Column("order_id", sa.String(64)),
    sa.Column("t", Time, nullable=False),  # device time (receive time for non-device events)
    sa.Column("at", Time, nullable=False),  # receive time
    sa.Column("lat", sa.Double()),
    sa.Column("lon", sa.Double()),
    sa.Column("acc", sa.Double()),
    sa.Column("msg_key", sa.String(128), unique=True),
    sa.Column("body", sa.LargeBinary(), nullable=False),  # MessagePack of the event (compact, fast)
    sa.Index(None, "device_id", "t"),
    # The log's order versions by order (retention finds each order's first one).
    sa.Index(
        "ix_events_order_versions",
        "order_id",
        "seq",
        sqlite_where=sa.text("kind = 'order'"),
        postgresql_where=sa.text("kind = 'order'"),
    ),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", BigId, sa.Identity(), primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),  # causing event; 0 for a clock tick
    sa.Column("at", Time, nullable=False),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("alert_key", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    # sha256 over (seq, body): the same decision of the same event is stored once.
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("body", sa.LargeBinary(), nullable=False),  # msgspec JSON of the Decision
    sa.Index(None, "alert_key"),
    sa.Index(None, "order_id", "at"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_key", sa.String(200), primary_key=True),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("district", sa.String(32)),  # the order's district, for jurisdiction scoping
    sa.Column("priority", sa.String(2), nullable=False),
    sa.Column("confidence", sa.String(16)),
    sa.Column("pages", sa.Boolean(), nullable=False),
    sa.Column("opened_at", Time, nullable=False),
    sa.Column("occurred_at", Time, nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("acked", sa.Boolean(), nullable=False),
    sa.Column("resolved", sa.Boolean(), nullable=False),
    sa.Column("late", sa.Boolean(), nullable=False),
    sa.Column("acked_at", Time),
    sa.Column("acked_by", sa.String(64)),
    sa.Column("returned_at", Time),
    sa.Column("resolved_at", Time),
    sa.Column("resolved_by", sa.String(64)),
    sa.Column("outcome", sa.String(32)),
    sa.Column("note", sa.Text()),
    sa.Column("escalations_done", sa.Integer(), nullable=False),
    # The police offer (docs/escalation.md); police_district scopes the police view.
    sa.Column("police_unit", sa.String(32)),
    sa.Column("police_district", sa.String(32), index=True),
    sa.Column("police_offered_at", Time),
    sa.Column("police_accepted_by", sa.String(64)),
    sa.Column("police_failed_over", sa.Boolean(), nullable=False, server_default=sa.false()),
    # Failover to the next districts' duty units (docs/escalation.md).
    sa.Column("police_failovers", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("police_next_districts", Json, nullable=False, server_default="[]"),
    sa.Column("police_passed_at", Time),
    sa.Column("policy", Json, nullable=False),
    sa.Column("stages", Json, nullable=False),
    sa.Column("evidence", Json, nullable=False),
    sa.Index(None, "resolved", "priority"),
    sa.Index(None, "order_id"),
    sa.Index(None, "opened_at"),
)

# Versions of the escalation policy table (docs/escalation.md): a projection of
# the log's `esc_policy` events (`seq`), which put each in force in sequence.
escalation_policies = sa.Table(
    "escalation_policies",
    metadata,
    sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("version", sa.String(32), nullable=False, unique=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("body", Json, nullable=False),  # the table: {"version", "number", "rows"}
)

alert_transitions = sa.Table(
    "alert_transitions",
    metadata,
    sa.Column("id", BigId, sa.Identity(), primary_key=True),
    sa.Column("alert_key", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("acked", sa.Boolean(), nullable=False),
    sa.Column("resolved", sa.Boolean(), nullable=False),
    sa.Column("priority", sa.String(2)),
    sa.Column("details", Json, nullable=False),
    sa.UniqueConstraint("alert_key", "kind", "at", "actor"),
)

jurisdictions = sa.Table(
    "jurisdictions",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("level", sa.String(16), nullable=False),  # region | city | district
    sa.Column("name_ru", sa.String(100), nullable=False),
    sa.Column("name_ky", sa.String(100), nullable=False),
    sa.Column("name_en", sa.String(100), nullable=False),
    sa.Column("parent", sa.String(32), sa.ForeignKey("jurisdictions.code")),
    # Whether electronic monitoring has been rolled out here: orders may be
    # entered only in a district where it is (the administrator switches it).
    sa.Column("monitoring_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
)

# The organisations users work for (seeded from domain/agencies.py).
agencies = sa.Table(
    "agencies",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    # moj_centre | police_unit | probation_office | prosecutor_office | court
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("name_ru", sa.String(200), nullable=False),
    sa.Column("name_ky", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False),
    sa.Column("districts", Json, nullable=False),  # jurisdiction codes served; empty: all
)

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),  # protected | respondent | probation_client
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("district", sa.String(32), sa.ForeignKey("jurisdictions.code"), nullable=False),
    sa.Column("photo_path", sa.String(500)),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("birth_date", sa.String(10)),  # ISO date
    sa.Column("language", sa.String(8)),  # the language to speak to them in
    sa.Column("note", sa.String(1000), nullable=False, server_default=""),  # for the operator
    sa.Column("phones", Json, nullable=False),  # [{"number", "label"}], first to call first
    sa.Column("addresses", Json, nullable=False),  # [{"label", "text"}]
    sa.Column("updated_at", Time),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),  # temporary | court | probation
    sa.Column("issuing_authority", sa.String(200), nullable=False),
    sa.Column("legal_basis", sa.String(200), nullable=False),
    sa.Column("district", sa.String(32), sa.ForeignKey("jurisdictions.code"), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    # A court order that took over from a temporary one (the police's) at its creation.
    sa.Column("replaces_order_id", sa.String(64)),
)

# Monitoring a police officer asked for with a temporary order, and how the
# centre answered: requested -> fitted (bracelet) / enrolled (app) -> started,
# or refused with a reason; each step with its actor and time.
monitoring_requests = sa.Table(
    "monitoring_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("district", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # bracelet | respondent_app
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
    sa.Index(None, "status"),
    sa.Index(None, "order_id"),
)

# Times the centre could not monitor, and that those concerned were told.
outages = sa.Table(
    "outages",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("started_at", Time, nullable=False),
    sa.Column("ended_at", Time),
    sa.Column("causes", sa.JSON(), nullable=False),
)

order_versions = sa.Table(
    "order_versions",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("valid_from", Time, nullable=False),  # when this version took effect
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("starts_at", Time, nullable=False),
    sa.Column("ends_at", Time, nullable=False),
    sa.Column("min_distance_m", sa.Double(), nullable=False),
    sa.Column("warning_distance_m", sa.Double(), nullable=False),
    sa.Column("checkins_per_day", sa.Integer(), nullable=False),
    # No contact with the protected person by any means (a legal condition).
    sa.Column("no_contact", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("zones", Json, nullable=False),  # list of ZoneSpec
    sa.Column("respondent_id", sa.String(64), sa.ForeignKey("persons.id"), nullable=False),
    sa.Column("protected_ids", Json, nullable=False),  # list of person ids
    sa.Index(None, "respondent_id"),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # IMEI / watch id / app install id
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("tz_offset_min", sa.Integer(), nullable=False),
    sa.Column("secret_hash", sa.String(200)),
    sa.Column("enrolled_at", Time, nullable=False),
    sa.Column("protocol", sa.String(16)),  # a bracelet's one protocol; NULL for apps
)

device_assignments = sa.Table(
    "device_assignments",
    metadata,
    sa.Column("id", BigId, sa.Identity(), primary_key=True),
    sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("persons.id"), nullable=False),
    sa.Column("from_at", Time, nullable=False),
    sa.Column("to_at", Time),  # open while NULL
    sa.Column("assigned_by", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(500)),
    sa.Column("ended_by", sa.String(64)),
    sa.Column("end_reason", sa.String(500)),
    sa.Index(None, "device_id", "from_at"),
    sa.Index(None, "person_id", "from_at"),
    # One person at a time: at most one open assignment per device.
    sa.Index(
        "uq_device_assignments_open",
        "device_id",
        unique=True,
        sqlite_where=sa.text("to_at IS NULL"),
        postgresql_where=sa.text("to_at IS NULL"),
    ),
)

unknown_devices = sa.Table(
    "unknown_devices",
    metadata,
    sa.Column("protocol", sa.String(16), primary_key=True),
    sa.Column("ident", sa.String(64), primary_key=True),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("remote", sa.String(100), nullable=False),
    sa.Column("sample", sa.Text(), nullable=False),  # hex of the first bytes of the last message
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=False),  # assigned: chain position
    sa.Column("at", Time, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("details", sa.Text(), nullable=False),  # canonical JSON, exactly as hashed
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(None, "subject"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("districts", Json, nullable=False),  # jurisdiction codes; empty: all
    sa.Column("password_hash", sa.String(200), nullable=False),  # argon2id
    sa.Column("totp_secret", sa.String(64)),  # base32; required for operators and supervisors
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("totp_last_step", sa.BigInteger()),  # the last TOTP time step used to log in
    # The agency the user works for; NULL only between the migration and its seeding.
    sa.Column("agency_id", sa.String(64), sa.ForeignKey("agencies.id")),
    # Where the unit's messages reach the user (docs/notifications.md); may be none.
    sa.Column("phone", sa.String(32)),
    sa.Column("email", sa.String(200)),
)

# Failed logins per (user name as typed, source address): the back-off's state.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_at", Time, nullable=False),
    sa.Index(None, "last_at"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 of the cookie's token
    sa.Column(
        "username",
        sa.String(64),
        sa.ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Index(None, "username"),
    sa.Index(None, "expires_at"),
)

# -- the apps (respondent app, victim app): enrolment, messages, check-ins, push --

enrolment_codes = sa.Table(
    "enrolment_codes",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False),  # sha256 of the 8 digits
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("persons.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # respondent_app | victim_app
    sa.Column("created_at", Time, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("used_at", Time),
    sa.Column("device_id", sa.String(64)),  # the device it enrolled
    sa.Index(None, "code_hash"),
)

app_devices = sa.Table(
    "app_devices",
    metadata,
    sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("persons.id"), nullable=False),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("install_id", sa.String(128)),
    sa.Column("enrolled_at", Time, nullable=False),
    sa.Column("sharing", sa.Boolean(), nullable=False),  # victim app: location sharing on
    sa.Column("revoked_at", Time),  # the credential no longer authenticates
    sa.Column("revoked_reason", sa.String(64)),
    sa.Index(None, "person_id"),
)

app_messages = sa.Table(
    "app_messages",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), nullable=False),
    sa.Column("event", sa.String(20), nullable=False),  # instruction | warning | checkin | ...
    sa.Column("payload", Json, nullable=False),  # exactly what the app is sent
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("person_id", sa.String(64), nullable=False),
    sa.Column("alert_key", sa.String(200)),  # the alert it belongs to, for receipts
    sa.Column("monitored", sa.Boolean(), nullable=False),  # a missing receipt is an alert
    sa.Column("created_at", Time, nullable=False),
    sa.Column("sent_at", Time),
    sa.Column("channel", sa.String(16)),  # stream | push
    sa.Column("receipt_at", Time),
    sa.Column("unconfirmed_at", Time),  # when delivery.unconfirmed was raised for it
    sa.Index(None, "device_id", "created_at"),
    sa.Index(None, "monitored", "receipt_at", "unconfirmed_at"),
)

checkins = sa.Table(
    "checkins",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),  # local date (ISO) it was planned for
    sa.Column("send_at", Time, nullable=False),
    sa.Column("due_at", Time),  # set when sent
    sa.Column("sent_at", Time),
    sa.Column("photo_path", sa.String(500)),
    sa.Column("photo_at", Time),
    sa.Column("device_id", sa.String(64)),  # the device that sent the photo
    sa.Column("review", sa.String(16)),  # confirmed | rejected, by an operator
    sa.Column("reviewed_by", sa.String(64)),
    sa.Column("reviewed_at", Time),
    sa.Column("review_note", sa.String(2000)),
    sa.Index(None, "order_id", "day"),
    sa.Index(None, "sent_at", "send_at"),
)

push_subscriptions = sa.Table(
    "push_subscriptions",
    metadata,
    sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), primary_key=True),
    sa.Column("endpoint", sa.String(1000), nullable=False),
    sa.Column("p256dh", sa.String(200), nullable=False),
    sa.Column("auth", sa.String(100), nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

# The console users' browsers that take Web Push (the police view on a phone):
# one row per subscription, its endpoint unique (a browser belongs to the user
# who subscribed it last); `session` is the session's token hash, so logging
# out of that browser drops it.
user_push_subscriptions = sa.Table(
    "user_push_subscriptions",
    metadata,
    sa.Column("endpoint", sa.String(1000), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
    sa.Column("p256dh", sa.String(200), nullable=False),
    sa.Column("auth", sa.String(100), nullable=False),
    sa.Column("session", sa.String(64)),
    sa.Column("created_at", Time, nullable=False),
    sa.Index(None, "username"),
    sa.Index(None, "session"),
)

app_keys = sa.Table(
    "app_keys",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),  # e.g. vapid_private
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

# -- notifications outside the apps (SMS, e-mail): see docs/notifications.md --

# The transactional outbox: a row is written in the transaction that stores the
# decision causing it; the dispatcher sends it and marks it. `id` is the
# idempotency key (a digest of the causing decision and the recipient).
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("alert_key", sa.String(200)),  # the alert whose timeline shows it
    sa.Column("person_id", sa.String(64), nullable=False),
    # protected, or the unit of a user: police_duty | district_inspector | probation | supervisor
    sa.Column("recipient", sa.String(20), nullable=False),
    sa.Column("template", sa.String(32), nullable=False),  # prealert | alert | unit_offer ...
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("route", Json, nullable=False),  # [[channel, address], ...] in failover order
    sa.Column("step", sa.Integer(), nullable=False),  # index into route being tried
    sa.Column("attempts", sa.Integer(), nullable=False),  # failed attempts on that step
    sa.Column("next_at", Time),  # when to try (again); NULL once sent or failed
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | delivered | failed
    sa.Column("channel", sa.String(16)),  # the channel that took it
    sa.Column("provider_ref", sa.String(128)),  # the gateway's message id, for receipts
    sa.Column("sent_at", Time),
    sa.Column("delivered_at", Time),
    sa.Column("failed_at", Time),
    sa.Column("last_error", sa.Text()),
    sa.Column("params", Json),  # a unit's message: rule, priority, district, link
    sa.Index(None, "status", "next_at"),
    sa.Index(None, "provider_ref"),
    sa.Index(None, "alert_key"),
)

# What a person is written to in: her language, and an e-mail address to fall
# back on. Her SMS number is the first of `persons.phones`.
notify_preferences = sa.Table(
    "notify_preferences",
    metadata,
    sa.Column("person_id", sa.String(64), sa.ForeignKey("persons.id"), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("email", sa.String(200)),
)

# Notes one shift leaves for the next (the handover view), kept with their author.
shift_notes = sa.Table(
    "shift_notes",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("district", sa.String(32)),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Index(None, "at"),
)

# -- retention (docs/operations.md, korgoo.store.retention) --

# What the retention job removed: one row per kind per run, kept for good.
retention_tombstones = sa.Table(
    "retention_tombstones",
    metadata,
    sa.Column("id", BigId, sa.Identity(), primary_key=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("first_id", sa.String(200)),  # the range removed (ids, keys), lowest first
    sa.Column("last_id", sa.String(200)),
    sa.Column("cutoff", Time, nullable=False),  # older than this was past its period
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("details", Json, nullable=False),  # e.g. the audit chain's checkpoint at the cut
    sa.Index(None, "kind", "at"),
)

# Inserted and removed inside the retention job's own transaction: while a row
# names a table, that transaction may delete that table's rows older than
# `before_at` despite the append-only guard (see migration 0013).
retention_lease = sa.Table(
    "retention_lease",
    metadata,
    sa.Column("tbl", sa.String(32), primary_key=True),
    sa.Column("before_at", Time, nullable=False),
)

# -- probation (korgoo.store.probation) --

# A probation client's reporting appointments; the officer records whether he came.
probation_appointments = sa.Table(
    "probation_appointments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("place", sa.String(200), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("outcome", sa.String(16)),  # attended | missed; None while to come
    sa.Column("outcome_note", sa.Text()),
    sa.Column("outcome_by", sa.String(64)),
    sa.Column("outcome_at", Time),
    sa.Index(None, "order_id", "at"),
)

# A probation officer's request to vary a zone's schedule (exceptions to add);
# a supervisor approves it (it becomes a new order version) or refuses it.
variation_requests = sa.Table(
    "variation_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("requested_at", Time, nullable=False),
    sa.Column("zone_id", sa.String(64), nullable=False),
    sa.Column("exceptions", Json, nullable=False),  # list of ScheduleException
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # requested | approved | refused
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", Time),
    sa.Column("decision_note", sa.Text()),
    sa.Column("version", sa.Integer()),  # the order version an approval became
    sa.Index(None, "order_id", "status"),
)

# A probation officer's review of a client's alert (what he made of it).
probation_reviews = sa.Table(
    "probation_reviews",
    metadata,
    sa.Column("id", BigId, sa.Identity(), primary_key=True),
    sa.Column("alert_key", sa.String(200), nullable=False),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("reviewed_by", sa.String(64), nullable=False),
    sa.Column("reviewed_at", Time, nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Index(None, "alert_key"),
)
