"""The plausibility check of a fix against the device's recent track."""

from __future__ import annotations

import math

from korgoo.domain.events import Fix, OrderChange
from korgoo.domain.rules import Rule
from korgoo.engine import Engine
from korgoo.engine.plausibility import Anchor, Reason, accept, check

from .engine.conftest import HOME, T0, make_terms, north_of, rfix, vfix

M_PER_DEG = 111_045.0


def north(m: float) -> float:
    return HOME[0] + m / M_PER_DEG


def anchor(acc: float = 10.0, still: bool = False) -> Anchor:
    return accept(None, T0, HOME[0], HOME[1], acc, 0.0 if still else 5.0)


def test_a_first_fix_and_a_walk_are_plausible() -> None:
    assert check(None, T0, north(5000), HOME[1], 5.0, None).reason is Reason.OK
    assert check(anchor(), T0 + 30, north(60), HOME[1], 10.0, 2.0).evaluated


def test_a_car_at_city_speed_is_plausible() -> None:
    assert check(anchor(), T0 + 60, north(1800), HOME[1], 10.0, 30.0).evaluated


def test_multipath_is_discounted_without_suspicion() -> None:
    v = check(anchor(still=True), T0 + 2, north(400), HOME[1], 10.0, 0.0)
    assert v.reason is Reason.GLITCH and not v.evaluated and not v.suspicious


def test_a_far_jump_with_a_wide_accuracy_is_discounted_without_suspicion() -> None:
    v = check(anchor(), T0 + 5, north(1500), HOME[1], 800.0, None)
    assert v.reason is Reason.WIDE_JUMP and not v.suspicious


def test_700_m_in_a_second_is_suspicious_and_2_km_is_impossible() -> None:
    assert check(anchor(), T0 + 1, north(700), HOME[1], 5.0, 0.0).reason is Reason.SPEED
    assert check(anchor(), T0 + 3, north(2000), HOME[1], 5.0, 0.0).reason is Reason.IMPOSSIBLE


def test_a_jump_while_still_is_suspicious() -> None:
    v = check(anchor(still=True), T0 + 40, north(800), HOME[1], 10.0, 0.0)
    assert v.reason is Reason.STILL_JUMP and v.suspicious


def test_a_wide_fix_buys_no_reach() -> None:
    # A wide fix near the anchor is accepted, but the anchor's radius grows only
    # at the plausible speed: a tight fix 4 km away a second later is refused.
    a = accept(anchor(), T0 + 1, HOME[0], HOME[1], 5000.0, None)
    assert a.radius < 100.0
    assert check(a, T0 + 2, north(4000), HOME[1], 5.0, 0.0).suspicious


def test_time_gives_reach_back() -> None:
    assert check(anchor(), T0 + 600, north(20_000), HOME[1], 5.0, 10.0).evaluated


def engine() -> Engine:
    e = Engine()
    e.apply(OrderChange(at=T0, terms=make_terms()))
    return e


def test_multipath_episodes_raise_no_spoof_alert() -> None:
    e = engine()
    out = []
    t = T0 + 10
    for i in range(60):
        off = 300.0 * math.sin(i) if i % 7 in (3, 4) else 0.0  # two displaced fixes in seven
        out += e.apply(rfix(t, north_of(HOME, 3000 + off), speed=0.0))
        t += 5
    assert not [d for d in out if d.rule is Rule.DEVICE_SPOOF]


def test_her_implausible_fixes_raise_no_spoof_alert_and_are_not_her_position() -> None:
    e = engine()
    out = e.apply(vfix(T0 + 10, HOME))
    for i in range(5):
        out += e.apply(vfix(T0 + 11 + i, north_of(HOME, 3000 + 700 * i)))
    assert not [d for d in out if d.rule is Rule.DEVICE_SPOOF]
    her = e.monitors["order-1"].protected["prot"]
    assert abs(her.lat - HOME[0]) < 1e-6


def test_his_impossible_fix_is_not_his_position_and_instructs_nothing() -> None:
    e = engine()
    e.apply(vfix(T0 + 5, HOME))
    out = e.apply(rfix(T0 + 10, north_of(HOME, 5000), speed=0.0))
    out += e.apply(rfix(T0 + 12, north_of(HOME, 100), speed=0.0))  # 4.9 km in 2 s
    resp = e.monitors["order-1"].respondent
    assert abs(resp.lat - north(5000)) < 1e-6
    assert [d.rule for d in out if d.rule] == [Rule.DEVICE_SPOOF]
    assert not [d for d in out if d.kind.value == "instruct"]


def test_spoof_episode_clears_after_a_quiet_plausible_track() -> None:
    e = engine()
    e.apply(rfix(T0 + 10, north_of(HOME, 5000), speed=0.0))
    e.apply(rfix(T0 + 12, north_of(HOME, 100), speed=0.0))
    out = e.apply(Fix("bracelet-1", T0 + 700, T0 + 700, north(5050), HOME[1], 10.0, speed=1.0))
    assert [(d.kind.value, d.message) for d in out if d.rule is Rule.DEVICE_SPOOF] == [
        ("cleared", "plausible_track")
    ]
