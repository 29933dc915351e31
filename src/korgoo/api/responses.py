"""Response bodies of the JSON API (pydantic), declared on the routes with
`response_model=` so the OpenAPI document describes every answer.

The routes build their answers as dicts (`api/views.py`); these models state
their shape. Extra keys are forbidden: a field added to an answer without being
declared here fails the route's tests instead of vanishing from the document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserOut(Out):
    username: str
    display_name: str
    role: str
    districts: list[str]
    agency: str | None  # the agency's id (GET /api/v1/agencies)
    language: str
    permissions: list[str]
    totp: bool


class SessionOut(Out):
    user: UserOut
    csrf: str


class LoginOut(SessionOut):
    expires_at: str


class NewUserOut(Out):
    user: UserOut
    password: str
    totp_secret: str | None
    totp_uri: str | None
    totp_qr: str | None  # the QR code of totp_uri: a data: URI of an SVG


class UserAdminOut(UserOut):
    """A user as the administration page shows them."""

    disabled: bool
    created_at: str
    failed_logins: int  # the most in a row from one address (0: none)
    locked_until: str | None  # waiting after failed logins until then
    phone: str | None  # the unit's messages: SMS to this number
    email: str | None  # and e-mail to this address


class UserChangeOut(Out):
    user: UserAdminOut
    totp_secret: str | None  # a new TOTP secret, shown in this answer only
    totp_uri: str | None
    totp_qr: str | None  # the QR code of totp_uri: a data: URI of an SVG


class PhoneOut(Out):
    number: str
    label: str


class AddressOut(Out):
    text: str
    label: str


class PersonOut(Out):
    id: str
    role: str
    display_name: str
    district: str
    birth_date: str | None
    language: str | None
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    note: str
    has_photo: bool  # a reference photo for identity check-ins
    created_at: str
    updated_at: str | None


class AssignmentOut(Out):
    device_id: str
    person_id: str
    from_at: str
    to_at: str | None
    assigned_by: str
    reason: str | None
    ended_by: str | None
    end_reason: str | None


class DeviceOut(Out):
    id: str
    kind: str
    model: str
    tz_offset_min: int
    enrolled_at: str
    has_secret: bool
    protocol: str | None
    person_id: str | None
    person_role: str | None
    district: str | None
    last_contact: str | None
    battery: float | None


class DeviceListOut(DeviceOut):
    stale: bool  # silent longer than its kind's no-signal threshold, or never heard


class DeviceDetailOut(DeviceOut):
    assignments: list[AssignmentOut]


class EnrolledDeviceOut(DeviceOut):
    secret: str | None  # a phone app's secret, shown in this answer only


class AssignedDeviceOut(DeviceOut):
    orders_updated: list[str]


class UnknownDeviceOut(Out):
    protocol: str
    ident: str
    first_seen: str
    last_seen: str
    count: int
    remote: str
    sample: str


class AuditEntryOut(Out):
    id: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


class CheckinOut(Out):
    id: str
    order_id: str
    day: str
    send_at: str
    sent_at: str | None
    due_at: str | None
    photo_at: str | None
    on_time: bool | None
    photo_url: str | None
    review: str | None  # confirmed | rejected, once an operator looked at the photo
    reviewed_by: str | None
    reviewed_at: str | None
    review_note: str | None


class EnrolmentCodeOut(Out):
    code: str
    expires_at: str
    qr_svg: str
    url: str


class TrackPersonOut(Out):
    id: str
    role: str


class TrackFixOut(Out):
    t: str
    received_at: str
    lat: float
    lon: float
    acc: float
    speed: float | None
    heading: float | None
    battery: float | None


class TrackOut(Out):
    device_id: str
    persons: list[TrackPersonOut]
    since: str
    until: str
    fixes: list[TrackFixOut]


class LivePositionOut(Out):
    order_id: str
    order_number: str | None
    district: str
    respondent_id: str
    state: str
    t: str | None
    lat: float | None
    lon: float | None
    acc: float | None


class CountOut(Out):
    key: str
    count: int


class RateOut(Out):
    key: str
    count: int
    exposure: float
    rate: float | None


class TimingOut(Out):
    stage: str
    n: int
    median_s: float | None
    p90_s: float | None


class StatisticsOut(Out):
    """The centre's figures over a period (see docs/statistics.md)."""

    from_at: str
    to_at: str
    district: str | None
    orders: int
    orders_by_kind: list[CountOut]
    orders_by_district: list[CountOut]
    orders_by_status: list[CountOut]
    orders_by_mode: list[CountOut]
    devices_in_use: int
    devices_by_kind: list[CountOut]
    alerts: int
    alerts_by_rule: list[CountOut]
    alerts_by_priority: list[CountOut]
    alerts_by_outcome: list[CountOut]
    person_days: float
    order_months: float
    false_alarms_by_rule: list[RateOut]
    response_times: list[TimingOut]
    breaches_by_mode: list[RateOut]


class SmsReceiptOut(Out):
    recorded: bool  # False: an in-progress status or a repeated report, nothing recorded
    status: str  # the notification's status now (delivered, failed), else the report's


class NotifySettingsOut(Out):
    person_id: str
    language: str  # what her SMS and e-mail are written in
    email: str | None
    phone: str | None  # her SMS number (the person's phone)
    channels: list[str]  # what she would be sent over now, in failover order


# -- orders ------------------------------------------------------------------------


class ScheduleWindowOut(Out):
    days: list[int]  # 0 is Monday
    start: int  # minutes after local midnight
    end: int


class ScheduleExceptionOut(Out):
    """An approved stretch of time when the zone is not in force (ISO times)."""

    from_: str = Field(alias="from")
    to: str
    reason: str
    approved_by: str


class ZoneOut(Out):
    zone_id: str
    name: str
    kind: str  # exclusion | inclusion
    geometry: dict[str, Any]  # GeoJSON: a Point (with radius_m) or a Polygon
    radius_m: float
    schedule: list[ScheduleWindowOut]  # empty: always in force
    exceptions: list[ScheduleExceptionOut]
    disclosed: bool  # whether the respondent is shown it


class OrderVersionOut(Out):
    version: int
    valid_from: str
    status: str
    starts_at: str
    ends_at: str | None
    min_distance_m: float
    warning_distance_m: float
    checkins_per_day: int
    no_contact: bool  # no contact with the protected person by any means
    reason: str
    created_by: str
    zones: list[ZoneOut]
    respondent_id: str
    protected_ids: list[str]


class OrderOut(Out):
    id: str
    number: str
    kind: str
    issuing_authority: str
    legal_basis: str
    district: str
    created_at: str
    created_by: str
    replaces_order_id: str | None  # the temporary order this court order took over from
    state: str  # the engine's view: compliant, prealert, breach, ...
    current: OrderVersionOut


class PartyDeviceOut(Out):
    device_id: str
    kind: str


class PartyOut(Out):
    person_id: str
    role: str
    devices: list[PartyDeviceOut]


class TermsOut(Out):
    """What an order required at a time, with the devices assigned then."""

    order_id: str
    version: int
    kind: str
    status: str
    starts_at: str
    ends_at: str | None
    district: str
    respondent: PartyOut
    protected: list[PartyOut]
    min_distance_m: float
    warning_distance_m: float
    zones: list[ZoneOut]
    checkins_per_day: int
    no_contact: bool


class OrderDetailOut(OrderOut):
    terms: TermsOut | None  # in force now (None: not yet or no longer)


class ZonePropertiesOut(Out):
    zone_id: str
    name: str
    kind: str
    radius_m: float
    schedule: list[ScheduleWindowOut]
    exceptions: list[ScheduleExceptionOut]
    disclosed: bool


class ZoneFeatureOut(Out):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: ZonePropertiesOut


class ZoneCollectionOut(Out):
    """An order's zones as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    features: list[ZoneFeatureOut]


# -- alerts ------------------------------------------------------------------------


class PoliceOfferOut(Out):
    """Which police unit the alert was offered to, and what became of the offer."""

    unit: str | None  # police_duty | police_inspector
    district: str | None
    offered_at: str | None
    accepted_by: str | None
    failed_over: bool


class AlertOut(Out):
    alert_key: str
    order_id: str
    order_number: str | None
    district: str | None
    rule: str
    subject: str
    priority: str
    confidence: str | None
    pages: bool  # whether it pages the duty operator
    status: str  # unacknowledged, acknowledged, resolved
    active: bool
    acked: bool
    resolved: bool
    late: bool
    opened_at: str
    occurred_at: str
    ack_due_at: str | None
    acked_at: str | None
    acked_by: str | None
    returned_at: str | None
    resolved_at: str | None
    resolved_by: str | None
    outcome: str | None
    note: str | None
    escalations_done: int
    police: PoliceOfferOut | None
    stages: dict[str, str]  # response stage -> when first recorded
    evidence: dict[str, Any]  # the rule's evidence, her positions left out unless allowed
    protected_location_withheld: bool


class TransitionOut(Out):
    kind: str
    at: str
    actor: str  # engine, sla or a user name
    active: bool
    acked: bool
    resolved: bool
    priority: str | None
    details: dict[str, Any]


class AlertDetailOut(AlertOut):
    timeline: list[TransitionOut]


class AlertActionOut(Out):
    """The alert after an operator's action, and the transitions it made."""

    alert: AlertOut
    transitions: list[TransitionOut]


# -- native ingest -----------------------------------------------------------------


class MessageResultOut(Out):
    id: str | int | None  # the client's message id (None: unreadable)
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str = ""  # why it was rejected (left out when empty)


class BatchResultsOut(Out):
    """One result per message of the batch, in order."""

    results: list[MessageResultOut]


# -- the phone apps ----------------------------------------------------------------


class EnrolledOut(Out):
    device_id: str
    secret: str  # shown in this answer only
    kind: str
    person_id: str
    order_id: str


class CurfewWindowOut(Out):
    days: list[int]
    start_min: int
    end_min: int


class ExcusedOut(Out):
    """An approved absence from a disclosed zone (his night shift), as he is told it."""

    from_: str = Field(alias="from")
    to: str
    reason: str


class RespondentZoneOut(Out):
    id: str
    name: str
    kind: str
    geometry: dict[str, Any]
    schedule: list[CurfewWindowOut]
    exceptions: list[ExcusedOut]
    radius_m: float | None = None  # a circle's radius (left out for a polygon)


class ConditionsOut(Out):
    keep_away_m: float
    zones: list[RespondentZoneOut]  # disclosed zones only
    curfew: list[CurfewWindowOut]
    checkins_per_day: int
    no_contact: bool  # "no contact with the protected person by any means"


class RespondentMeOut(Out):
    role: Literal["respondent"]
    order_number: str
    order_kind: str
    status: str
    ends_at: str | None
    conditions: ConditionsOut
    centre_phone: str
    vapid_public_key: str


class ProtectedMeOut(Out):
    role: Literal["protected"]
    order_number: str
    status: str
    ends_at: str | None
    sharing: bool
    centre_phone: str
    police_phone: str
    vapid_public_key: str


class AlarmFrameOut(Out):
    about: str  # the id of the message the alarm stood for
    status: str


class AlarmStatusOut(Out):
    alarms: list[AlarmFrameOut]


class MessageReceiptOut(Out):
    id: str
    received: bool


class CheckinDoneOut(Out):
    id: str
    on_time: bool


class PushKeyOut(Out):
    public_key: str  # the VAPID applicationServerKey
    subscribed: bool


class SubscribedOut(Out):
    subscribed: bool


class VapidKeyOut(Out):
    public_key: str  # the VAPID applicationServerKey, base64url


# Non-JSON answers, for `responses=` on their routes.
EVENT_STREAM: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {}}}}


class MonitoringRequestOut(Out):
    """A police request for monitoring and each step of the centre's answer."""

    id: str
    order_id: str
    order_number: str
    district: str
    kind: str
    status: str
    note: str
    requested_by: str
    requested_at: str
    fitted_by: str | None
    fitted_at: str | None
    started_by: str | None
    started_at: str | None
    refused_by: str | None
    refused_at: str | None
    refusal_reason: str | None


class TemporaryOrderOut(Out):
    order: OrderDetailOut
    request: MonitoringRequestOut


class OutageOut(Out):
    """Whether the centre cannot monitor now, since when, why, and where it matters."""

    active: bool
    since: str | None
    causes: list[str]  # store | pipeline | gateway:<name>
    districts: list[str]  # of the live orders when it began, within the user's districts


class AgencyOut(Out):
    id: str
    type: str  # moj_centre | police_unit | probation_office | prosecutor_office | court
    name: str  # in the user's language
    districts: list[str]  # served; empty: the whole country
    roles: list[str]  # the roles a user of this agency may have


class JurisdictionOut(Out):
    code: str
    level: str  # region | city | district
    name: str  # in the user's language
    parent: str | None
    monitoring_enabled: bool
