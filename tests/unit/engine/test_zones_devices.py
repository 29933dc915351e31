"""Zone rules (with schedules), curfew, device signals and time-based rules."""

from __future__ import annotations

from datetime import UTC, datetime

from korgoo.domain.decisions import DecisionKind, Priority
from korgoo.domain.events import CheckinDue, OrderChange, Signal, SignalKind
from korgoo.domain.terms import ScheduleException, ScheduleWindow, ZoneSpec
from korgoo.engine import Engine

from .conftest import HOME, T0, east_of, home_zone, kinds, make_terms, north_of, rfix, vfix

# 2026-11-30 is a Monday; 12:00 UTC is 18:00 in Bishkek.
MONDAY_NOON_UTC = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp()


def started(at: float = T0, **kw: object) -> Engine:
    e = Engine()
    terms = make_terms(starts_at=at, ends_at=at + 30 * 86400, **kw)  # type: ignore[arg-type]
    e.apply(OrderChange(at=at, terms=terms))
    return e


def sig(t: float, kind: SignalKind, device: str = "bracelet-1", value: float | None = None):
    return Signal(device, t, t, kind, value)


def test_exclusion_zone_entry_and_exit() -> None:
    e = started(zones=(home_zone(200),))
    out = []
    for i, dist in enumerate([600, 400, 250, 100, 50, 100, 300, 400, 500, 600, 700]):
        out += e.apply(rfix(T0 + 60 + i * 30, north_of(HOME, dist), acc=10))
    assert kinds(out, "zone.exclusion") == ["opened", "cleared"]
    opened = next(d for d in out if d.rule == "zone.exclusion")
    assert opened.priority is Priority.P2 and opened.pages
    assert opened.evidence["zone_name"] == "Home of the protected person"
    instr = [(d.message, d.subject) for d in out if d.kind is DecisionKind.INSTRUCT]
    assert instr == [("leave_zone", "home"), ("clear", "")]


def test_zone_at_night_only_is_ignored_by_day() -> None:
    night = (ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60),)
    zone = home_zone(200, schedule=night)
    # 18:00 Bishkek time: not in force.
    e = started(at=MONDAY_NOON_UTC - 3600, zones=(zone,))
    day = []
    for i in range(5):
        day += e.apply(rfix(MONDAY_NOON_UTC + i * 30, HOME))
    assert kinds(day, "zone.exclusion") == []
    # 23:00 Bishkek time (17:00 UTC): in force.
    night_t = MONDAY_NOON_UTC + 5 * 3600
    out = []
    for i in range(3):
        out += e.apply(rfix(night_t + i * 30, HOME))
    assert kinds(out, "zone.exclusion") == ["opened"]
    # 06:00 the window closes: the episode returns to normal.
    morning = MONDAY_NOON_UTC + 12 * 3600 + 60
    out = e.apply(rfix(morning, HOME))
    assert kinds(out, "zone.exclusion") == ["cleared"]
    assert next(d for d in out if d.rule == "zone.exclusion").message == "schedule_ended"


def test_polygon_zone_uncertain_position_needs_two_fixes() -> None:
    lat, lon = north_of(HOME, 3000)
    d = 0.002
    school = ZoneSpec(
        zone_id="school",
        name="School No. 5",
        kind="exclusion",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [lon - d, lat - d],
                    [lon + d, lat - d],
                    [lon + d, lat + d],
                    [lon - d, lat + d],
                    [lon - d, lat - d],
                ]
            ],
        },
    )
    e = started(zones=(school,))
    # 80 m inside the north edge, a 60 m network fix (sigma 60 m): p ~ 0.91, probable.
    edge = (lat + d - 80 / 111_045, lon)
    first = e.apply(rfix(T0 + 60, edge, acc=60, speed=0.0))
    assert kinds(first, "zone.exclusion") == []
    second = e.apply(rfix(T0 + 90, edge, acc=60))
    assert kinds(second, "zone.exclusion") == ["opened"]


def test_curfew_inclusion_zone_exit() -> None:
    curfew = ZoneSpec(
        zone_id="curfew",
        name="Registered address",
        kind="inclusion",
        geometry={"type": "Point", "coordinates": [HOME[1] + 0.05, HOME[0]]},
        radius_m=150,
        schedule=(ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60),),
    )
    home = (HOME[0], HOME[1] + 0.05)
    night_t = MONDAY_NOON_UTC + 5 * 3600  # 23:00 local
    e = started(at=MONDAY_NOON_UTC, zones=(curfew,))
    out = e.apply(rfix(night_t, home)) + e.apply(rfix(night_t + 30, home))
    assert kinds(out, "zone.inclusion") == []
    away = north_of(home, 1000)
    out = e.apply(rfix(night_t + 60, away)) + e.apply(rfix(night_t + 90, away))
    assert kinds(out, "zone.inclusion") == ["opened"]
    out = e.apply(rfix(night_t + 120, home))
    out += e.apply(rfix(night_t + 200, home))
    assert kinds(out, "zone.inclusion") == ["cleared"]


def test_an_approved_night_shift_raises_no_curfew_alert_that_night_and_does_the_next() -> None:
    night_t = MONDAY_NOON_UTC + 5 * 3600  # Monday 23:00 local
    shift = ScheduleException(night_t - 3600, night_t + 7 * 3600, "night shift", "probation")
    curfew = ZoneSpec(
        zone_id="curfew",
        name="Registered address",
        kind="inclusion",
        geometry={"type": "Point", "coordinates": [HOME[1] + 0.05, HOME[0]]},
        radius_m=150,
        schedule=(ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60),),
        exceptions=(shift,),
    )
    away = north_of((HOME[0], HOME[1] + 0.05), 2000)  # at work
    e = started(at=MONDAY_NOON_UTC, zones=(curfew,))
    out = []
    for i in range(10):  # a fix every 5 minutes through the shift's first hour
        out += e.apply(rfix(night_t + 300 * i, away))
    assert kinds(out, "zone.inclusion") == []
    out = []
    for i in range(10):  # Tuesday night: no exception, the same place
        out += e.apply(rfix(night_t + 86400 + 300 * i, away))
    assert kinds(out, "zone.inclusion") == ["opened"]


def test_strap_open_is_p1_near_the_victim_and_clears_when_closed() -> None:
    e = started()
    e.apply(vfix(T0 + 10, HOME))
    e.apply(rfix(T0 + 20, north_of(HOME, 800)))
    out = e.apply(sig(T0 + 30, SignalKind.STRAP_OPEN))
    assert [(d.kind, d.priority) for d in out] == [(DecisionKind.OPENED, Priority.P1)]
    assert e.apply(sig(T0 + 31, SignalKind.STRAP_OPEN)) == []  # still the same episode
    out = e.apply(sig(T0 + 40, SignalKind.STRAP_CLOSED))
    assert kinds(out) == ["cleared"]
    far = started()
    far.apply(rfix(T0 + 20, north_of(HOME, 5000)))
    assert far.apply(sig(T0 + 30, SignalKind.TAMPER))[0].priority is Priority.P2


def test_victim_panic_is_p1_and_returns_to_normal_at_once() -> None:
    e = started()
    e.apply(vfix(T0 + 10, HOME))
    out = e.apply(sig(T0 + 20, SignalKind.SOS, device="victim-app-1"))
    assert [(d.kind, d.rule, d.priority) for d in out] == [
        (DecisionKind.OPENED, "panic", Priority.P1),
        (DecisionKind.CLEARED, "panic", None),
    ]
    assert out[0].evidence["last_fix"][1:3] == [HOME[0], HOME[1]]  # type: ignore[index]
    # A repeat press within the window is the same episode.
    assert e.apply(sig(T0 + 50, SignalKind.SOS, device="victim-app-1")) == []
    again = e.apply(sig(T0 + 500, SignalKind.SOS, device="victim-app-1"))
    assert again[0].alert_key.endswith(":2")


def test_battery_two_levels_with_hysteresis() -> None:
    e = started()
    out = []
    for i, level in enumerate([50, 21, 19, 18, 12, 9, 11, 14, 16, 22, 26]):
        out += e.apply(sig(T0 + 60 * (i + 1), SignalKind.HEARTBEAT, value=level))
    assert kinds(out, "battery.low") == ["opened", "cleared"]
    assert kinds(out, "battery.critical") == ["opened", "cleared"]
    low = [d for d in out if d.rule == "battery.low"]
    assert low[0].evidence["battery_pct"] == 19
    assert low[1].at == T0 + 60 * 11  # cleared at 26 %, not at 22 %
    crit = [d for d in out if d.rule == "battery.critical"]
    assert crit[0].priority is Priority.P2
    assert crit[1].at == T0 + 60 * 9  # 16 % >= 10 + 5


def test_no_signal_fires_at_its_due_time_whatever_the_ticks() -> None:
    def run(tick_every: float) -> list[str]:
        e = started()
        out = e.apply(rfix(T0 + 10, HOME))
        t = T0 + 10
        while t < T0 + 2000:
            t += tick_every
            out += e.tick(t)
        out += e.apply(rfix(T0 + 2100, HOME))
        return [f"{d.kind}:{d.rule}:{d.at}" for d in out if d.subject == "bracelet-1"]

    fine, coarse = run(1.0), run(337.0)
    assert fine == coarse
    assert fine[0] == f"opened:device.no_signal:{T0 + 10 + 600}"
    assert fine[1].startswith("cleared:device.no_signal")


def test_power_off_holds_back_no_signal_and_clears_on_contact() -> None:
    e = started()
    e.apply(rfix(T0 + 10, HOME))
    out = e.apply(sig(T0 + 20, SignalKind.POWER_OFF))
    assert kinds(out, "device.power_off") == ["opened"]
    out = e.tick(T0 + 5000)
    assert [d for d in out if d.subject == "bracelet-1"] == []
    out = e.apply(rfix(T0 + 5010, HOME))
    assert kinds(out, "device.power_off") == ["cleared"]


def test_mock_location_alerts_and_the_position_is_not_used() -> None:
    e = started(zones=(home_zone(200),))
    out = e.apply(rfix(T0 + 10, HOME, mock=True)) + e.apply(rfix(T0 + 20, HOME, mock=True))
    assert kinds(out, "device.mock_location") == ["opened", "cleared"]
    assert kinds(out, "zone.exclusion") == []


def test_missed_check_in() -> None:
    e = started()
    e.apply(CheckinDue(order_id="order-1", at=T0 + 100, due=T0 + 400))
    out = e.tick(T0 + 399)
    assert kinds(out) == []
    out = e.tick(T0 + 401)
    assert kinds(out, "checkin.missed") == ["opened"]
    out = e.apply(sig(T0 + 500, SignalKind.CHECK_IN))
    assert kinds(out, "checkin.missed") == ["cleared"]
    # Checked in on time: nothing.
    e.apply(CheckinDue(order_id="order-1", at=T0 + 600, due=T0 + 900))
    e.apply(sig(T0 + 700, SignalKind.CHECK_IN))
    assert kinds(e.tick(T0 + 1000), "checkin.missed") == []


def test_a_rejected_check_in_is_a_latching_p2_of_the_respondent() -> None:
    e = started()
    out = e.apply(sig(T0 + 10, SignalKind.CHECK_IN_REJECTED))
    assert kinds(out, "checkin.rejected") == ["opened", "cleared"]  # instantaneous
    (opened,) = [d for d in out if d.kind is DecisionKind.OPENED]
    assert opened.priority is Priority.P2 and opened.pages and opened.subject == "resp"
    # A second rejection is a second alert: each photo is its own event.
    again = e.apply(sig(T0 + 20, SignalKind.CHECK_IN_REJECTED))
    assert kinds(again, "checkin.rejected") == ["opened", "cleared"]
    assert {d.alert_key for d in again} != {d.alert_key for d in out}


def test_permission_revoked_is_monitoring_lost() -> None:
    e = started()
    out = e.apply(sig(T0 + 10, SignalKind.PERMISSION_REVOKED))
    assert kinds(out, "device.monitoring_lost") == ["opened"]
    assert kinds(e.apply(rfix(T0 + 20, HOME)), "device.monitoring_lost") == ["cleared"]


def test_one_tight_moving_fix_drives_through_a_zone_and_pages_at_once() -> None:
    spot = north_of(HOME, 3000)
    zone = ZoneSpec(
        zone_id="work",
        name="Workplace",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [spot[1], spot[0]]},
        radius_m=150,
    )
    e = started(zones=(zone,))
    out = e.apply(rfix(T0 + 60, north_of(spot, 60), acc=8, speed=12.0, heading=180.0))
    opened = [d for d in out if d.rule == "zone.exclusion" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].pages
    assert opened[0].evidence["probability"] == 1.0
    # The same position from a still phone on Wi-Fi (drift sigma 60 m) is not decisive.
    e2 = started(zones=(zone,))
    still = e2.apply(rfix(T0 + 60, north_of(spot, 60), acc=60, speed=0.0))
    assert not [d for d in still if d.rule == "zone.exclusion" and d.pages]


def test_a_stay_inside_after_a_leap_on_arrival_pages_once_the_run_is_over() -> None:
    # He drives up and parks 70 m inside the zone; his first two still fixes are
    # displaced 190 m out (multipath on arrival), then the bracelet reports the
    # true place every minute. Once more fixes than a multipath run agree there
    # the estimate moves to them at once (it does not creep towards them), and
    # the stay pages within two more fixes.
    e = started(zones=(home_zone(200),))
    out = e.apply(rfix(T0, north_of(HOME, 1200), acc=13, speed=10.0, heading=180.0))
    for k in (1, 2):
        out += e.apply(rfix(T0 + 60 * k, north_of(HOME, 320), acc=14, speed=0.05))
    inside = north_of(HOME, 130)
    for k in range(3, 9):
        out += e.apply(rfix(T0 + 60 * k, inside, acc=14, speed=0.05))
    paged = [d for d in out if d.rule == "zone.exclusion" and d.pages]
    assert paged and paged[0].occurred_at <= T0 + 60 * 7


def test_a_stay_inside_after_a_one_fix_leap_on_arrival_pages_before_he_leaves() -> None:
    # He drives up and parks 60 m from her home; his first still fix is displaced
    # 300 m out of the zone (multipath on arrival), then three still fixes two
    # minutes apart agree inside, and he drives off. The agreeing fixes outnumber
    # the one the estimate was taken from, so they are not all discounted as leaps.
    e = started(zones=(home_zone(200),))
    out = e.apply(rfix(T0, east_of(north_of(HOME, 500), -300), acc=10, speed=10.0, heading=180.0))
    out += e.apply(rfix(T0 + 60, east_of(north_of(HOME, 420), -300), acc=10, speed=0.0))
    inside = north_of(HOME, 60)
    for k in range(3):
        out += e.apply(rfix(T0 + 180 + 120 * k, inside, acc=11, speed=0.0))
    out += e.apply(rfix(T0 + 600, north_of(HOME, 900), acc=10, speed=10.0, heading=0.0))
    paged = [d for d in out if d.rule == "zone.exclusion" and d.pages]
    assert paged and paged[0].occurred_at <= T0 + 420
    assert paged[0].rule_version == 7


def test_a_stay_inside_after_a_two_fix_leap_on_arrival_pages_on_the_fix_that_shows_it() -> None:
    # The same arrival, but his first two still fixes are the same leap (they
    # agree, 300 m out of the zone); his three real fixes inside outnumber them
    # only at the third, and his next fix drives off. The third moves the
    # estimate on three agreeing fixes: sustained already, it pages at once.
    e = started(zones=(home_zone(200),))
    out = e.apply(rfix(T0, east_of(north_of(HOME, 500), -300), acc=10, speed=10.0, heading=180.0))
    leap = east_of(north_of(HOME, 420), -300)
    for k in range(2):
        out += e.apply(rfix(T0 + 60 + 180 * k, leap, acc=8, speed=0.0))
    inside = north_of(HOME, 60)
    for k in range(3):
        out += e.apply(rfix(T0 + 420 + 180 * k, inside, acc=8, speed=0.0))
    assert [d.occurred_at for d in out if d.rule == "zone.exclusion" and d.pages] == [T0 + 780]
    off = e.apply(rfix(T0 + 960, north_of(HOME, 1500), acc=10, speed=10.0, heading=0.0))
    assert kinds(off, "zone.exclusion") == []  # (cleared later, by the clear hold)


def test_a_three_fix_leap_while_parked_pages_nothing() -> None:
    # Parked inside the zone's margin but outside it for an hour (twelve still
    # fixes); a multipath run of three agreeing fixes lands inside: a tie with
    # nothing, outnumbered by the estimate, it moves nothing and pages nothing.
    e = started(zones=(home_zone(200),))
    parked = north_of(HOME, 420)
    out: list = []
    for k in range(12):
        out += e.apply(rfix(T0 + 300 * k, parked, acc=8, speed=0.0))
    for k in range(3):
        out += e.apply(rfix(T0 + 3600 + 60 * k, north_of(HOME, 100), acc=8, speed=0.0))
    out += e.apply(rfix(T0 + 3900, parked, acc=8, speed=0.0))
    assert [d for d in out if d.rule == "zone.exclusion" and d.pages] == []


# --- the quiet zones' box: far from every zone, no zone is looked at ----------------------


def _zone_box(e: Engine) -> object:
    return e._by_device["bracelet-1"][0].zone_box


def test_far_from_his_zones_the_box_settles_the_fix() -> None:
    e = started(zones=(home_zone(200),))
    out = e.apply(rfix(T0 + 60, north_of(HOME, 5000)))
    assert kinds(out) == []
    assert _zone_box(e) is not None
    # Straight into the zone, one tight moving fix: certain at once.
    out = e.apply(rfix(T0 + 180, HOME, speed=12.0, heading=180.0))
    assert kinds(out, "zone.exclusion") == ["opened"]
    assert _zone_box(e) is None


def test_an_open_zone_breach_sees_him_leave_beyond_the_box() -> None:
    e = started(zones=(home_zone(200),))
    out = []
    for i in range(3):
        out += e.apply(rfix(T0 + 60 + i * 30, HOME))
    assert kinds(out, "zone.exclusion") == ["opened"]
    # Away at 60 s a kilometre (plausible for a car): past the box after the first.
    out = []
    for i, dist in enumerate((1000, 2000, 3000, 4000)):
        out += e.apply(rfix(T0 + 180 + i * 60, north_of(HOME, dist), speed=16.0, heading=0.0))
    assert kinds(out, "zone.exclusion") == ["cleared"]
    assert _zone_box(e) is not None


def test_a_pending_zone_breach_is_reset_by_a_fix_beyond_the_box() -> None:
    lat, lon = north_of(HOME, 3000)
    d = 0.002
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    school = ZoneSpec(
        zone_id="school",
        name="School No. 5",
        kind="exclusion",
        geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    )
    e = started(zones=(school,))
    edge = (lat + d - 80 / 111_045, lon)  # a 60 m fix 80 m inside: probable, needs two
    assert kinds(e.apply(rfix(T0 + 60, edge, acc=60, speed=0.0)), "zone.exclusion") == []
    assert _zone_box(e) is None  # pending
    # A drive north and back, well beyond the box, before the next fix at the edge.
    out = []
    for i, dist in enumerate((1500, 3000, 1500)):
        out += e.apply(rfix(T0 + 120 + i * 60, north_of(edge, dist), speed=25.0, heading=0.0))
    assert _zone_box(e) is not None
    out += e.apply(rfix(T0 + 300, edge, acc=60, speed=0.0))
    assert kinds(out, "zone.exclusion") == []  # one fix since he came back, not two
    assert kinds(e.apply(rfix(T0 + 330, edge, acc=60, speed=0.0)), "zone.exclusion") == ["opened"]
