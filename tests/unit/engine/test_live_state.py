"""The live map's state of an order: the gravest open condition, a device switched
off as such, and device conditions counted for the respondent only."""

from __future__ import annotations

from korgoo.domain.decisions import DecisionKind
from korgoo.domain.events import OrderChange, Signal, SignalKind
from korgoo.engine import Engine
from korgoo.engine.params import RuleParams

from .conftest import HOME, T0, make_terms, rfix, vfix
from .test_zones_devices import started

P = RuleParams()


def battery(t: float, pct: float, device: str = "bracelet-1") -> Signal:
    return Signal(device, t, t, SignalKind.LOW_BATTERY, pct)


def test_a_device_switched_off_is_switched_off_not_low_battery() -> None:
    e = started()
    e.apply(rfix(T0 + 10, HOME))
    e.apply(battery(T0 + 20, 4.0))
    assert e.status("order-1") == "low_battery"
    e.apply(Signal("bracelet-1", T0 + 30, T0 + 30, SignalKind.POWER_OFF))
    assert e.status("order-1") == "switched_off"
    e.tick(T0 + 30 + 5 * P.no_signal_bracelet_s)  # silent for long: still switched off
    assert e.status("order-1") == "switched_off"
    # Back on: the battery it reports is what the map shows again.
    e.apply(rfix(T0 + 9000, HOME, battery=4.0))
    assert e.status("order-1") == "low_battery"


def test_no_signal_outranks_a_low_battery_reported_before() -> None:
    e = started()
    e.apply(rfix(T0 + 10, HOME))
    e.apply(battery(T0 + 20, 4.0))  # the battery episode opens first
    e.tick(T0 + 20 + P.no_signal_bracelet_s + 1)
    assert e.status("order-1") == "no_signal"


def test_the_protected_persons_phone_is_not_the_respondents_signal() -> None:
    e = Engine()
    e.apply(OrderChange(at=T0, terms=make_terms()))
    e.apply(vfix(T0 + 5, HOME))
    t = T0 + 10
    # The respondent keeps reporting far away; her phone's battery runs low, then
    # it falls silent.
    out = e.apply(battery(t, 4.0, device="victim-app-1"))
    while t < T0 + P.no_signal_victim_app_s + 600:
        t += 60
        out += e.apply(rfix(t, (HOME[0] + 0.05, HOME[1])))
    opened = {d.rule for d in out if d.kind is DecisionKind.OPENED and d.subject == "victim-app-1"}
    assert {"device.no_signal", "battery.critical"} <= opened  # her alerts stand
    assert e.status("order-1") == "compliant"
