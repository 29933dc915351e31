"""Builders for engine tests: one order near the centre of Bishkek."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import Fix
from korgoo.domain.terms import (
    DeviceKind,
    OrderKind,
    OrderStatus,
    OrderTerms,
    Party,
    ScheduleWindow,
    ZoneSpec,
)

T0 = 1_780_000_000.0  # a Monday? no: only relative times matter here
HOME = (42.8600, 74.6200)  # the protected person's home
M_PER_DEG_LAT = 111_045.0


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / M_PER_DEG_LAT, point[1]


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + metres / (M_PER_DEG_LAT * math.cos(math.radians(point[0])))


def make_terms(
    *,
    zones: tuple[ZoneSpec, ...] = (),
    starts_at: float = T0,
    ends_at: float = T0 + 30 * 86400,
    status: OrderStatus = OrderStatus.ACTIVE,
    version: int = 1,
    min_distance_m: float = 500.0,
    warning_distance_m: float = 1000.0,
    respondent_kind: DeviceKind = DeviceKind.BRACELET,
) -> OrderTerms:
    return OrderTerms(
        order_id="order-1",
        version=version,
        kind=OrderKind.COURT,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        district="bishkek-oktyabrsky",
        respondent=Party("resp", "respondent", (("bracelet-1", respondent_kind),)),
        protected=(Party("prot", "protected", (("victim-app-1", DeviceKind.VICTIM_APP),)),),
        min_distance_m=min_distance_m,
        warning_distance_m=warning_distance_m,
        zones=zones,
    )


def home_zone(radius: float = 200.0, schedule: tuple[ScheduleWindow, ...] = ()) -> ZoneSpec:
    return ZoneSpec(
        zone_id="home",
        name="Home of the protected person",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [HOME[1], HOME[0]]},
        radius_m=radius,
        schedule=schedule,
    )


def rfix(t: float, pos: tuple[float, float], acc: float = 10.0, **kw: object) -> Fix:
    return Fix("bracelet-1", t, kw.pop("at", t), pos[0], pos[1], acc, **kw)  # type: ignore[arg-type]


def vfix(t: float, pos: tuple[float, float], acc: float = 10.0, **kw: object) -> Fix:
    return Fix("victim-app-1", t, kw.pop("at", t), pos[0], pos[1], acc, **kw)  # type: ignore[arg-type]


def kinds(decisions: list[Decision], rule: str | None = None) -> list[str]:
    return [
        d.kind.value
        for d in decisions
        if d.kind in (DecisionKind.OPENED, DecisionKind.UPDATED, DecisionKind.CLEARED)
        and (rule is None or d.rule == rule)
    ]


@pytest.fixture
def messages() -> Callable[[list[Decision], DecisionKind], list[str]]:
    def pick(decisions: list[Decision], kind: DecisionKind) -> list[str]:
        return [d.message for d in decisions if d.kind is kind]

    return pick
