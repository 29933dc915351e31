"""What the engine needs to know of an order: its monitoring terms at one version.

An `OrderTerms` is built from an order version plus the devices assigned to its
persons at that moment. Orders are never edited in place: a variation is a new
version, and the engine receives it as a new `OrderTerms`.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class DeviceKind(StrEnum):
    BRACELET = "bracelet"
    RESPONDENT_APP = "respondent_app"
    VICTIM_APP = "victim_app"


class OrderKind(StrEnum):
    TEMPORARY = "temporary"
    COURT = "court"
    # A court's probation order on a probation client: no protected person, so
    # only its zones (a curfew at home, exclusion zones) and device rules apply.
    PROBATION = "probation"


class OrderStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ENDED = "ended"
    REVOKED = "revoked"


class ScheduleWindow(msgspec.Struct, frozen=True):
    """A weekly window in local time (Asia/Bishkek). Day 0 is Monday.

    `start`/`end` are minutes after local midnight; a window with end <= start
    runs past midnight into the next day.
    """

    days: tuple[int, ...]
    start: int
    end: int


class ScheduleException(msgspec.Struct, frozen=True, omit_defaults=True):
    """A stretch of time, approved by the supervising officer, during which a
    zone is not in force although its weekly schedule says it is: a night
    shift, a hospital visit. Epoch seconds, [start, end)."""

    start: float
    end: float
    reason: str
    approved_by: str = ""


class ZoneSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """An exclusion zone (must stay out) or inclusion zone (curfew: must stay in).

    `geometry` is a GeoJSON geometry: a Point with `radius_m`, or a Polygon.
    An empty schedule means always in force; `exceptions` take stretches of
    time out of it.

    `disclosed` is the supervisor's choice whether the respondent is shown the
    zone (name, place, schedule); None takes the default of the zone's kind
    (see `disclosed_to_respondent`).
    """

    zone_id: str
    name: str
    kind: str  # "exclusion" | "inclusion"
    geometry: dict[str, object]
    radius_m: float = 0.0
    schedule: tuple[ScheduleWindow, ...] = ()
    disclosed: bool | None = None
    exceptions: tuple[ScheduleException, ...] = ()

    @property
    def disclosed_to_respondent(self) -> bool:
        """Whether the respondent may learn of the zone at all. An exclusion zone
        is by default a place of hers (her home, her work, her children's school,
        where she may still be or may have left for a shelter), so it stays
        undisclosed unless the supervisor chooses otherwise; an inclusion zone
        (his curfew address) is his own place and must be known to be obeyed."""
        if self.disclosed is not None:
            return self.disclosed
        return self.kind == "inclusion"


class Party(msgspec.Struct, frozen=True):
    """A person in the order and the devices that report for them."""

    person_id: str
    role: str  # "respondent" | "protected"
    devices: tuple[tuple[str, DeviceKind], ...] = ()


class OrderTerms(msgspec.Struct, frozen=True, omit_defaults=True):
    order_id: str
    version: int
    kind: OrderKind
    status: OrderStatus
    starts_at: float
    ends_at: float
    district: str
    respondent: Party
    protected: tuple[Party, ...] = ()
    min_distance_m: float = 500.0
    warning_distance_m: float = 1000.0
    zones: tuple[ZoneSpec, ...] = ()
    checkins_per_day: int = 0
    timezone: str = "Asia/Bishkek"
    # The order forbids him any contact with the protected person (calls,
    # messages, through others): a legal condition the centre records and shows;
    # no rule measures it.
    no_contact: bool = False

    def active_at(self, t: float) -> bool:
        return self.status == OrderStatus.ACTIVE and self.starts_at <= t < self.ends_at
