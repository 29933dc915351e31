"""Request bodies of the JSON API (pydantic: FastAPI validates them and documents
them at /docs), and the parsing of times and zones they carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query
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

# The limits of what a person may type, defined once (issue 11 item 4): a request
# over them is refused with 422 naming the field and the limit, nothing stored.
NOTE_MAX = 2000  # notes on alerts, calls and persons
REASON_MAX = 500  # why something was done, for the record
NAME_MAX = 200  # names of persons, zones, authorities
ADDRESS_MAX = 300
LABEL_MAX = 40  # "home", "work", "mobile"
ID_MAX = 64  # ids, numbers, user names
CODE_MAX = 64  # a word from a fixed list: party, outcome, stage, rule, role, protocol
QUERY_MAX = 200  # a search string
TIME_MAX = 64  # an ISO-8601 time in a query
LIST_MAX = 50  # ids in one list (protected persons, districts)
ZONES_MAX = 20  # zones of one order
VERTICES_MAX = 1000  # positions in one polygon zone

Text = Annotated[str, StringConstraints(max_length=NOTE_MAX)]
Id = Annotated[str, StringConstraints(max_length=ID_MAX)]
Code = Annotated[str, StringConstraints(max_length=CODE_MAX)]
# Query parameters: a search string, a time, an id or a code, a reason.
SearchQuery = Annotated[str | None, Query(max_length=QUERY_MAX)]
TimeQuery = Annotated[str | None, Query(max_length=TIME_MAX)]
IdQuery = Annotated[str | None, Query(max_length=ID_MAX)]
CodeQuery = Annotated[str | None, Query(max_length=CODE_MAX)]
ReasonQuery = Annotated[str | None, Query(max_length=REASON_MAX)]


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
    _check_zone_size(raw)
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


def _check_zone_size(raw: dict[str, Any]) -> None:
    """A zone's id, name and polygon within the limits (ValueError says which)."""
    where = f"zone {str(raw['zone_id'])[:ID_MAX]!r}"
    if len(str(raw["zone_id"])) > ID_MAX:
        raise ValueError(f"{where}: 'zone_id' may have at most {ID_MAX} characters")
    if len(str(raw["name"])) > NAME_MAX:
        raise ValueError(f"{where}: 'name' may have at most {NAME_MAX} characters")
    geometry = raw["geometry"]
    rings = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if isinstance(rings, list):
        vertices = sum(len(r) for r in rings if isinstance(r, list))
        if vertices > VERTICES_MAX:
            raise ValueError(f"{where}: a polygon may have at most {VERTICES_MAX} vertices")


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


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=4, max_length=32, pattern=PHONE_PATTERN)
    label: str = Field(default="", max_length=LABEL_MAX)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=ADDRESS_MAX)
    label: str = Field(default="", max_length=LABEL_MAX)


def _past_date(value: date | None) -> date | None:
    if value is not None and not date(1900, 1, 1) <= value <= datetime.now(UTC).date():
        raise ValueError("the date of birth must be between 1900-01-01 and today")
    return value


BirthDate = Annotated[date | None, AfterValidator(_past_date)]


class PersonContactsIn(BaseModel):
    """What an update of a person may change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(default="", min_length=1, max_length=NAME_MAX)
    birth_date: BirthDate = None
    language: PersonLanguage | None = None
    phones: list[PhoneIn] = Field(default=[], max_length=MAX_PHONES)
    addresses: list[AddressIn] = Field(default=[], max_length=MAX_ADDRESSES)
    note: str = Field(default="", max_length=NOTE_MAX)


class PersonIn(PersonContactsIn):
    role: PersonRole
    display_name: str = Field(min_length=1, max_length=NAME_MAX)
    district: str = Field(max_length=CODE_MAX)


class NotifySettingsIn(BaseModel):
    language: Literal["ru", "ky", "en"]
    email: str | None = Field(default=None, max_length=NAME_MAX, pattern=r"^[^@\s]+@[^@\s]+$")


class OrderIn(BaseModel):
    number: str = Field(min_length=1, max_length=ID_MAX)
    kind: OrderKind
    issuing_authority: str = Field(min_length=1, max_length=NAME_MAX)
    legal_basis: str = Field(min_length=1, max_length=NAME_MAX)
    district: Code
    respondent_id: Id
    protected_ids: list[Id] = Field(default=[], max_length=LIST_MAX)
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    min_distance_m: float = Field(default=500.0, gt=0)
    warning_distance_m: float = Field(default=1000.0, gt=0)
    zones: list[dict[str, Any]] = Field(default=[], max_length=ZONES_MAX)
    checkins_per_day: int = Field(default=0, ge=0, le=24)
    no_contact: bool = False  # no contact with the protected person by any means
    status: Literal["draft", "active"] = "active"
    reason: str = Field(default="issued", max_length=REASON_MAX)
    # A court order taking over from a temporary one: that one ends when this is entered.
    replaces_order_id: Id | None = None


class VariationIn(BaseModel):
    # What may change is checked by the store; its zones by `zone_from_json`.
    changes: dict[str, Any] = Field(min_length=1, max_length=LIST_MAX)
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class EndIn(BaseModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX)
    revoked: bool = False


class DeviceIn(BaseModel):
    device_id: str = Field(min_length=1, max_length=ID_MAX)
    kind: DeviceKind
    model: str = Field(default="", max_length=NAME_MAX)
    tz_offset_min: int = Field(default=0, ge=-720, le=840)
    # A bracelet's one protocol (watch, gt06, osmand); apps have none.
    protocol: Code | None = None


class EnrolUnknownIn(BaseModel):
    kind: DeviceKind
    model: str = Field(default="", max_length=NAME_MAX)
    tz_offset_min: int = Field(default=0, ge=-720, le=840)


# Why something was done, for the record: said in words, not blank.
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)
]


class AssignIn(BaseModel):
    person_id: str = Field(max_length=ID_MAX)
    reason: Reason


class UnassignIn(BaseModel):
    reason: Reason


class NoteIn(BaseModel):
    text: Text


class CallIn(BaseModel):
    party: Code
    outcome: Code
    note: Text = ""


class EscalateIn(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=REASON_MAX)]


class StageIn(BaseModel):
    stage: Code


class ResolveIn(BaseModel):
    outcome: Outcome
    note: Text


# A user change is explained in a few words at least (on the audit log).
UserReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=REASON_MAX)
]


# A user's mobile number for SMS ("" clears it) and e-mail address.
UserPhone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^(\+?[0-9 ()-]{5,31})?$")
]
UserEmail = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^([^@\s]+@[^@\s]+)?$")
]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=ID_MAX, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Code
    display_name: str = Field("", max_length=NAME_MAX)
    # Empty: the agency's districts.
    districts: list[Code] = Field([], max_length=LIST_MAX)
    # The agency (domain/agencies.py) the user works for; left out: the one the
    # role and districts point to (the centre for its roles).
    agency: Code | None = None
    language: Language = "ru"
    password: str | None = Field(None, max_length=200)
    # Where the messages to the user's unit go (docs/notifications.md).
    phone: UserPhone | None = None
    email: UserEmail | None = None
    reason: UserReason  # why: on the audit log


class UserPatch(BaseModel):
    """A change of a user's role, agency, districts, name or contacts; the fields
    left out stay (a new agency without districts gives its districts; an empty
    phone or e-mail clears it)."""

    role: Code | None = None
    agency: Code | None = None
    districts: list[Code] | None = Field(None, max_length=LIST_MAX)
    display_name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    phone: UserPhone | None = None
    email: UserEmail | None = None
    reason: UserReason


class ReasonIn(BaseModel):
    reason: UserReason


class NewPartyIn(PersonContactsIn):
    """A person of a temporary order not registered yet (the police register her
    with the order); the district is the order's."""

    display_name: str = Field(min_length=1, max_length=NAME_MAX)


class TemporaryOrderIn(BaseModel):
    """A temporary protective order issued by the police, and the monitoring asked for."""

    number: str = Field(min_length=1, max_length=ID_MAX)
    issuing_authority: str = Field(min_length=1, max_length=NAME_MAX)  # the police unit
    legal_basis: str = Field(min_length=1, max_length=NAME_MAX)
    district: Code
    # Each party: a registered person's id, or a new person to register.
    respondent_id: Id | None = None
    respondent: NewPartyIn | None = None
    protected_id: Id | None = None
    protected: NewPartyIn | None = None
    min_distance_m: float = Field(default=500.0, gt=0)
    warning_distance_m: float = Field(default=1000.0, gt=0)
    zones: list[dict[str, Any]] = Field(default=[], max_length=ZONES_MAX)
    no_contact: bool = False  # no contact with the protected person by any means
    monitoring: Literal["bracelet", "respondent_app"]
    note: str = Field(default="", max_length=NOTE_MAX)  # for the centre: where to fit, whom to call


class RefusalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX)
