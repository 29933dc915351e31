"""Request bodies of the JSON API (pydantic: FastAPI validates them and documents
them at /docs), and the parsing of times and zones they carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from korgoo.alerts.model import Outcome
from korgoo.domain.terms import (
    DeviceKind,
    OrderKind,
    ScheduleException,
    ScheduleWindow,
    ZoneSpec,
)
from korgoo.geo import validate_zone
from korgoo.store.registry import PersonRole

Language = Literal["ru", "ky", "en"]


def iso(t: float | None) -> str | None:
    """Epoch seconds as an ISO-8601 UTC string."""
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def parse_time(value: str, name: str) -> float:
    """An ISO-8601 query parameter as epoch seconds (UTC when no offset is given)."""
    try:
        return epoch(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(
            f"'{name}' must be an ISO-8601 time such as 2026-03-01T08:00:00Z, not {value!r}"
        ) from None


def zone_from_json(raw: object) -> ZoneSpec:
    """A zone given as a ZoneSpec-shaped object or as a GeoJSON Feature (as
    `GET /orders/{id}/zones` returns them), validated. ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("a zone must be a JSON object")
    if raw.get("type") == "Feature":
        props = raw.get("properties") or {}
        if not isinstance(props, dict):
            raise ValueError("a zone Feature's properties must be an object")
        raw = {
            **props,
            "zone_id": props.get("zone_id", raw.get("id")),
            "geometry": raw.get("geometry"),
        }
    missing = [k for k in ("zone_id", "name", "kind", "geometry") if not raw.get(k)]
    if missing:
        raise ValueError(f"a zone needs {missing}")
    disclosed = raw.get("disclosed")
    if disclosed is not None and not isinstance(disclosed, bool):
        raise ValueError(f"zone {raw.get('zone_id')!r}: 'disclosed' must be true, false or null")
    try:
        schedule = tuple(
            ScheduleWindow(days=tuple(w["days"]), start=int(w["start"]), end=int(w["end"]))
            for w in raw.get("schedule") or ()
        )
        exceptions = tuple(
            ScheduleException(
                start=parse_time(str(e["from"]), "from"),
                end=parse_time(str(e["to"]), "to"),
                reason=str(e["reason"]).strip(),
                approved_by=str(e.get("approved_by") or "").strip()[:100],
            )
            for e in raw.get("exceptions") or ()
        )
        spec = ZoneSpec(
            zone_id=str(raw["zone_id"]),
            name=str(raw["name"]),
            kind=str(raw["kind"]),
            geometry=dict(raw["geometry"]),
            radius_m=float(raw.get("radius_m") or 0.0),
            schedule=schedule,
            disclosed=disclosed,
            exceptions=exceptions,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"zone {raw.get('zone_id')!r} is malformed: {e}") from None
    validate_zone(spec)
    return spec


class ErrorOut(BaseModel):
    """Every error answer of the API: a message a person understands."""

    detail: str


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)  # argon2 of a huge body would be a cheap attack
    totp: str = Field(default="", max_length=16)


class SessionPatch(BaseModel):
    language: Language


PersonLanguage = Literal["ky", "ru", "uz", "en"]
# Digits, optionally a leading +, with the spaces, dashes and brackets people write.
PHONE_PATTERN = r"^\+?[0-9][0-9 ()\-]{3,30}$"
MAX_PHONES = 6
MAX_ADDRESSES = 4
NOTE_MAX = 1000


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=4, max_length=32, pattern=PHONE_PATTERN)
    label: str = Field(default="", max_length=40)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=300)
    label: str = Field(default="", max_length=40)


def _past_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= datetime.now(UTC).date():
        raise ValueError("the date of birth must be between 1900-01-01 and today")
    return value


BirthDate = Annotated[date | None, AfterValidator(_past_date)]


class PersonContactsIn(BaseModel):
    """What an update of a person may change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(default="", min_length=1, max_length=200)
    birth_date: BirthDate = None
    language: PersonLanguage | None = None
    phones: list[PhoneIn] = Field(default=[], max_length=MAX_PHONES)
    addresses: list[AddressIn] = Field(default=[], max_length=MAX_ADDRESSES)
    note: str = Field(default="", max_length=NOTE_MAX)


class PersonIn(PersonContactsIn):
    role: PersonRole
    display_name: str = Field(min_length=1, max_length=200)
    district: str = Field(max_length=32)


class NotifySettingsIn(BaseModel):
    language: Literal["ru", "ky", "en"]
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")


class OrderIn(BaseModel):
    number: str = Field(min_length=1, max_length=64)
    kind: OrderKind
    issuing_authority: str = Field(min_length=1, max_length=200)
    legal_basis: str = Field(min_length=1, max_length=200)
    district: str
    respondent_id: str
    protected_ids: list[str] = []
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    min_distance_m: float = Field(default=500.0, gt=0)
    warning_distance_m: float = Field(default=1000.0, gt=0)
    zones: list[dict[str, Any]] = []
    checkins_per_day: int = Field(default=0, ge=0, le=24)
    status: Literal["draft", "active"] = "active"
    reason: str = "issued"


class VariationIn(BaseModel):
    changes: dict[str, Any] = Field(min_length=1)
    reason: str = Field(min_length=1)


class EndIn(BaseModel):
    reason: str = Field(min_length=1)
    revoked: bool = False


class DeviceIn(BaseModel):
    device_id: str = Field(min_length=1, max_length=64)
    kind: DeviceKind
    model: str = Field(default="", max_length=100)
    tz_offset_min: int = Field(default=0, ge=-720, le=840)
    # A bracelet's one protocol (watch, gt06, osmand); apps have none.
    protocol: str | None = None


class EnrolUnknownIn(BaseModel):
    kind: DeviceKind
    model: str = Field(default="", max_length=100)
    tz_offset_min: int = Field(default=0, ge=-720, le=840)


REASON_MAX = 500
# Why something was done, for the record: said in words, not blank.
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)
]


class AssignIn(BaseModel):
    person_id: str = Field(max_length=64)
    reason: Reason


class UnassignIn(BaseModel):
    reason: Reason


class NoteIn(BaseModel):
    text: str


class CallIn(BaseModel):
    party: str
    outcome: str
    note: str = ""


class EscalateIn(BaseModel):
    reason: str


class StageIn(BaseModel):
    stage: str


class ResolveIn(BaseModel):
    outcome: Outcome
    note: str


# A user change is explained in a few words at least (on the audit log).
UserReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    role: str
    display_name: str = Field("", max_length=200)
    districts: list[str] = Field([], max_length=50)
    language: Language = "ru"
    password: str | None = Field(None, max_length=200)
    reason: UserReason  # why: on the audit log


class UserPatch(BaseModel):
    """A change of a user's role, districts or name; the fields left out stay."""

    role: str | None = None
    districts: list[str] | None = Field(None, max_length=50)
    display_name: str | None = Field(None, min_length=1, max_length=200)
    reason: UserReason


class ReasonIn(BaseModel):
    reason: UserReason
