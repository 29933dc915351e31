"""A probation order: a probation client with no protected person. The engine
monitors its zones (a curfew at home on a weekly schedule with approved
exceptions, exclusion zones) and the device rules, and nothing that needs a
protected person."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from korgoo.domain.events import OrderChange, Signal, SignalKind
from korgoo.domain.terms import (
    DeviceKind,
    OrderKind,
    ScheduleException,
    ScheduleWindow,
    ZoneSpec,
)
from korgoo.engine import Engine

from .conftest import HOME, kinds, make_terms, north_of, rfix

MONDAY_NOON_UTC = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp()  # 18:00 Bishkek
NIGHT = MONDAY_NOON_UTC + 5 * 3600  # Monday 23:00 Bishkek
HIS_HOME = north_of(HOME, 4000)
NIGHTLY = (ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60),)


def curfew(*exceptions: ScheduleException) -> ZoneSpec:
    return ZoneSpec(
        zone_id="curfew",
        name="Registered address",
        kind="inclusion",
        geometry={"type": "Point", "coordinates": [HIS_HOME[1], HIS_HOME[0]]},
        radius_m=150,
        schedule=NIGHTLY,
        exceptions=exceptions,
    )


def market() -> ZoneSpec:
    """An exclusion zone of the court's: the central market, always."""
    return ZoneSpec(
        zone_id="market",
        name="Central market",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [HOME[1], HOME[0]]},
        radius_m=200,
    )


def probation(start: float, *zones: ZoneSpec) -> Engine:
    court = make_terms(starts_at=start, ends_at=start + 30 * 86400)
    terms = msgspec.structs.replace(
        court,
        kind=OrderKind.PROBATION,
        protected=(),
        respondent=msgspec.structs.replace(
            court.respondent, devices=(("bracelet-1", DeviceKind.BRACELET),)
        ),
        zones=zones,
    )
    e = Engine()
    e.apply(OrderChange(at=start, terms=terms))
    return e


def test_an_approved_exception_spares_that_night_and_not_the_next() -> None:
    shift = ScheduleException(NIGHT - 3600, NIGHT + 7 * 3600, "night shift", "officer-okt")
    e = probation(NIGHT - 60, curfew(shift), market())
    at_work = north_of(HIS_HOME, 2000)
    out = []
    for i in range(12):  # a fix every 5 minutes through the shift's first hour
        out += e.apply(rfix(NIGHT + 300 * i, at_work))
    assert kinds(out) == []  # nothing at all: no curfew, and no proximity rule to break
    out = []
    for i in range(12):  # Tuesday night: no exception, the same place
        out += e.apply(rfix(NIGHT + 86400 + 300 * i, at_work))
    assert kinds(out, "zone.inclusion") == ["opened"]


def test_exclusion_zone_and_strap_are_monitored_without_a_protected_person() -> None:
    afternoon = MONDAY_NOON_UTC - 3 * 3600  # 15:00 Bishkek: no curfew
    e = probation(afternoon, curfew(), market())
    out = []
    for i, dist in enumerate([900, 600, 400, 200, 100, 50, 50]):
        out += e.apply(rfix(afternoon + 60 + i * 40, north_of(HOME, dist)))
    assert kinds(out, "zone.exclusion") == ["opened"]
    assert {d.rule for d in out if d.rule} <= {"zone.exclusion"}
    t = afternoon + 600
    opened = e.apply(Signal("bracelet-1", t, t, SignalKind.STRAP_OPEN, None))
    assert kinds(opened, "device.strap") == ["opened"]
