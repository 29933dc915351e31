"""Settings from the environment (KORGOO_*), with safe defaults for the embedded run."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KORGOO_", env_file=None)

    database_url: str = "sqlite:///var/korgoo.db"
    timezone: str = "Asia/Bishkek"

    http_host: str = "127.0.0.1"
    http_port: int = 8000

    osmand_enabled: bool = True
    osmand_port: int = 5055
    watch_enabled: bool = True
    watch_port: int = 5093
    gt06_enabled: bool = True
    gt06_port: int = 5023
    mqtt_enabled: bool = True
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    native_enabled: bool = True

    idle_timeout_s: float = 300.0
    max_frame_bytes: int = 4096
    max_http_body_bytes: int = 16384
    http_head_timeout_s: float = 10.0  # a request head not complete by then: connection closed
    # /metrics: with a token, only `Authorization: Bearer <token>`; without, only
    # clients on this machine (traffic volumes are not for the public).
    metrics_token: str = ""

    batch_max: int = 2000  # messages per commit
    batch_wait_ms: float = 5.0  # longest a message waits for its batch to fill

    monitoring_max_days: int = 90
    # How long a temporary protective order issued by the police runs. 30 days is
    # a default, not a figure we could confirm in the Law of the Kyrgyz Republic
    # "On protection and defence from family violence" (No. 63 of 27 April 2017,
    # as amended): the centre's lawyer sets it.
    temporary_order_days: int = 30
    # Outage notice (docs/notifications.md): the centre cannot monitor when no
    # batch was committed for this long while messages wait, when the store
    # refuses writes, when a gateway has been down this long, or when the apps'
    # MQTT broker has been unreachable this long.
    outage_pipeline_stall_s: float = 120.0
    outage_gateway_down_s: float = 300.0
    outage_broker_down_s: float = 120.0
    outage_check_every_s: float = 15.0

    # Console
    # A PMTiles file of vector tiles (docs/operations.md, "Map tiles"), served by
    # Korgoo itself at /tiles/{z}/{x}/{y}.mvt: no outside tile server learns where
    # operators look. Empty: the maps draw a plain grid.
    map_tiles: str = ""
    session_hours: float = 12.0
    login_free_failures: int = 3  # failed logins per user and address before any wait
    login_max_wait_s: float = 300.0  # the back-off doubles from 1 s up to this
    api_docs: bool = False  # /docs, /redoc and /openapi.json; the demo turns them on

    # Apps (respondent app, victim app)
    # What the enrolment QR code points at; https makes the session cookie Secure.
    public_url: str = "http://127.0.0.1:8000"
    receipt_timeout_s: float = 60.0  # a warning without a receipt by then is an alert
    vapid_private_key: str = ""  # Web Push; empty: generated and stored on first run
    vapid_subject: str = "mailto:centre@korgoo.invalid"
    centre_phone: str = "+996 312 000 000"
    police_phone: str = "102"
    # Seconds a police duty unit has to accept an alert offered to it before the
    # centre supervisor is told (docs/escalation.md).
    police_accept_s: float = 120.0
    checkins_dir: str = "var/checkins"  # identity check-in photos
    person_photos_dir: str = "var/persons"  # reference photos the check-ins are compared with

    # Notifications outside the apps: SMS and e-mail (docs/notifications.md)
    notify_every_s: float = 1.0  # how often the dispatcher looks for due notifications
    notify_attempts_per_channel: int = 3  # failed attempts before the next channel
    notify_backoff_s: float = 5.0  # wait after a first failure; doubles each time
    notify_backoff_max_s: float = 300.0
    # The order a unit's channels are tried in (notify.policy.agency_route):
    # "push" is Web Push to the browsers a user switched on in the police view.
    agency_channels: str = "push,sms,email"
    # Web Push to console users' browsers (needs no provider: the VAPID key is
    # the apps'); off where the centre cannot reach the browsers' push services.
    user_push: bool = True
    smtp_host: str = ""  # empty: no e-mail
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "korgoo@korgoo.invalid"
    smtp_timeout_s: float = 10.0
    sms_url: str = ""  # the gateway's send URL; may hold {to} {text} {sender} {ref}; empty: no SMS
    sms_method: str = "POST"  # GET | POST
    sms_body: str = "form"  # form | json | none (everything in the URL)
    sms_auth: str = "none"  # none | basic | bearer | header
    sms_user: str = ""
    sms_password: str = ""
    sms_token: str = ""  # bearer token, or the value of the header `sms_auth_header`
    sms_auth_header: str = "X-API-Key"
    sms_sender: str = "KORGOO"
    sms_field_to: str = "to"
    sms_field_text: str = "text"
    sms_field_sender: str = "from"  # empty: not sent
    sms_field_ref: str = "client_ref"  # our idempotency key, for a gateway that dedups on it
    sms_field_callback: str = ""  # a field for the delivery-report URL; empty: not sent
    sms_extra: dict[str, str] = {}  # fixed fields the provider wants (JSON in the environment)
    sms_answer_id: str = "id"  # the gateway's message id in its JSON answer; empty: our ref
    sms_timeout_s: float = 10.0
    sms_receipt_token: str = ""  # the delivery-report route answers only with ?token=; empty: off
    sms_receipt_field_ref: str = "id"
    sms_receipt_field_status: str = "status"
    sms_delivered: str = "delivered,DELIVRD,DELIVERED,2"  # status values meaning delivered
    sms_undelivered: str = "failed,undelivered,UNDELIV,REJECTD,EXPIRED,FAILED,16"

    # Audit log anchors, outside the database (see korgoo.store.audit)
    audit_key_file: str = "var/audit.key"  # HMAC key of the chain; made on first use
    audit_signing_key_file: str = "var/audit-signing.key"  # Ed25519 key of checkpoints
    audit_checkpoints_file: str = "var/audit-checkpoints.jsonl"  # append-only
    audit_checkpoint_every_s: float = 86400.0  # `korgoo serve` writes one this often

    # Retention (docs/operations.md, "Retention"): days a record is kept. Every
    # figure is a default to be confirmed by the centre's lawyer: none is set by
    # a law we could cite (the personal-data law asks only "no longer than the
    # purpose needs").
    retention_positions_days: float = 365.0  # raw events, after the order ended
    retention_decisions_days: float = 1825.0  # engine decisions, after the order ended
    retention_alerts_days: float = 1825.0  # resolved alerts and their actions
    retention_notifications_days: float = 365.0  # the SMS / e-mail outbox
    retention_checkin_photos_days: float = 90.0  # identity check-in photos
    retention_audit_days: float = 1825.0  # audit log entries
    # Probation records: reporting appointments, officers' reviews, variation requests.
    retention_probation_days: float = 1825.0
    retention_export_hold_days: float = 1825.0  # an exported bundle's order is kept this long
    retention_every_s: float = 86400.0  # `korgoo serve` runs retention this often; 0: never

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over TLS when the centre is reached over https."""
        return self.public_url.lower().startswith("https://")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
