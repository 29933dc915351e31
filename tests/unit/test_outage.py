"""The outage detection: causes from the health at a time, one start and one
end per outage, by the given clock."""

from __future__ import annotations

from korgoo.domain.outage import BROKER_DOWN, GatewayState, HealthSample, Limits, assess, causes

LIMITS = Limits(stall_s=120.0, gateway_down_s=300.0, broker_down_s=120.0)
T0 = 1_800_000_000.0
HEALTHY = HealthSample(
    store_ok=True, busy_since=None, gateways=(GatewayState("mqtt", "running", T0),)
)


def test_a_gateway_down_is_an_outage_only_after_its_limit() -> None:
    down = HealthSample(True, None, (GatewayState("mqtt", "connecting", T0),))
    assert causes(down, T0 + 299, LIMITS) == ()
    assert causes(down, T0 + 300, LIMITS) == ("gateway:mqtt",)
    off = HealthSample(True, None, (GatewayState("osmand", "disabled", T0),))
    assert causes(off, T0 + 10_000, LIMITS) == ()


def test_the_broker_unreachable_is_an_outage_after_its_own_limit() -> None:
    unreachable = HealthSample(True, None, (GatewayState("mqtt", BROKER_DOWN, T0),))
    assert causes(unreachable, T0 + 119, LIMITS) == ()
    assert causes(unreachable, T0 + 120, LIMITS) == ("broker",)
    # Not also a gateway down, however long it lasts.
    assert causes(unreachable, T0 + 10_000, LIMITS) == ("broker",)


def test_the_store_refusing_is_an_outage_at_once_and_a_stall_after_its_limit() -> None:
    assert causes(HealthSample(False, None), T0, LIMITS) == ("store",)
    stalled = HealthSample(True, T0)
    assert causes(stalled, T0 + 119, LIMITS) == ()
    assert causes(stalled, T0 + 120, LIMITS) == ("pipeline",)


def test_one_start_and_one_end_per_outage() -> None:
    current, change = assess(None, HEALTHY, T0, LIMITS)
    assert (current, change) == (None, None)
    broken = HealthSample(False, None, HEALTHY.gateways)
    current, change = assess(None, broken, T0 + 5, LIMITS)
    assert change == "started" and current is not None
    assert (current.started_at, current.causes) == (T0 + 5, ("store",))
    # Still down, even for another cause: the same outage, nothing new to tell.
    stalled = HealthSample(True, T0, HEALTHY.gateways)
    again, change = assess(current, stalled, T0 + 200, LIMITS)
    assert (again, change) == (current, None)
    ended, change = assess(current, HEALTHY, T0 + 260, LIMITS)
    assert (ended, change) == (None, "ended")
    # A later outage is another one, with its own id.
    later, change = assess(None, broken, T0 + 900, LIMITS)
    assert change == "started" and later is not None and later.id != current.id
