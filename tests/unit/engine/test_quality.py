"""Alert quality (issue 9): multipath leaps, still phones, near neighbours, a
one-fix drive-through, network and cell fixes judged by what the device did."""

from __future__ import annotations

from korgoo.domain.decisions import Confidence, Decision, DecisionKind
from korgoo.domain.events import OrderChange, Signal, SignalKind
from korgoo.engine import Engine
from korgoo.engine.track import Track

from .conftest import HOME, T0, east_of, home_zone, make_terms, north_of, rfix, vfix


def started(**kw: object) -> Engine:
    e = Engine()
    e.apply(OrderChange(at=T0, terms=make_terms(**kw)))  # type: ignore[arg-type]
    return e


def paged(out: list[Decision], rule: str = "proximity.breach") -> list[Decision]:
    return [d for d in out if d.rule == rule and d.pages]


def opened(out: list[Decision], rule: str = "proximity.breach") -> list[Decision]:
    return [d for d in out if d.rule == rule and d.kind is DecisionKind.OPENED]


# -- jump rejection --------------------------------------------------------------


def test_indoor_multipath_leap_between_wifi_fixes_is_discounted() -> None:
    # His phone indoors mixes Wi-Fi fixes (no speed) with still satellite fixes;
    # two satellite fixes leap 350 m towards her reporting 0 m/s. Not a move:
    # a phone that moves reports its speed every minute.
    e = started()
    out = e.apply(vfix(T0, HOME, acc=40, speed=0.0))
    far = north_of(HOME, 650)
    for i in range(4):
        out += e.apply(rfix(T0 + 60 * i, far, acc=40))
    for i in (4, 5):
        out += e.apply(rfix(T0 + 60 * i, north_of(HOME, 300), acc=50, speed=0.0))
    out += e.apply(rfix(T0 + 360, far, acc=40))
    assert not paged(out)


def test_moving_multipath_leap_beyond_the_reported_speed_is_discounted() -> None:
    # Walking at 1.5 m/s 650 m from her; one tight fix lands 300 m sideways,
    # far more than 60 s of walking: not a position, nothing pages.
    e = started()
    out = e.apply(vfix(T0, HOME, acc=10, speed=0.0))
    for i in range(3):
        out += e.apply(rfix(T0 + 60 * i, east_of(north_of(HOME, 650), 90 * i), speed=1.5))
    out += e.apply(rfix(T0 + 180, north_of(HOME, 350), acc=10, speed=1.5, heading=90.0))
    out += e.apply(rfix(T0 + 240, east_of(north_of(HOME, 650), 360), speed=1.5))
    assert not paged(out)
    # The track kept the walk: its estimate did not move to the leap.
    t = Track()
    t.update(T0, T0, *north_of(HOME, 650), 10.0, 1.5)
    t.update(T0 + 60, T0 + 60, *north_of(HOME, 350), 10.0, 1.5)
    assert t.jumped == 1 and t.t == T0


def test_a_drive_off_after_a_cell_report_at_home_is_no_leap() -> None:
    # Still at home, then a 670 m cell report that agrees with home (kept, and the
    # still phone is still there), then a tight fix 1,450 m away driving at 10 m/s
    # three minutes after the last real fix: the cell report says only that he
    # was within its radius, so the leap is judged from the fix before it.
    home = north_of(HOME, 3000)
    t = Track()
    t.update(T0, T0, *home, 8.0, 0.2)
    t.update(T0 + 120, T0 + 120, *east_of(home, 300), 673.0, None)
    assert t.held and t.t == T0 + 120
    away = east_of(home, -1450)
    t.update(T0 + 180, T0 + 180, *away, 8.0, 10.0, 270.0)
    assert t.jumped == 0 and (t.lat, t.lon) == away


def test_a_leap_from_where_he_parked_is_discounted() -> None:
    # He drives up at 10 m/s and parks 350 m on, a minute later (a still fix there):
    # arriving explains leaving the fix before. The next still fix 325 m away is a
    # multipath leap: the parked position is kept, not replaced by it.
    street = north_of(HOME, 2000)
    parked = east_of(street, 350)
    t = Track()
    t.update(T0, T0, *street, 10.0, 10.0, 90.0)
    t.update(T0 + 60, T0 + 60, *parked, 9.0, 0.1)
    t.update(T0 + 180, T0 + 180, *north_of(parked, 325), 9.0, 0.1)
    assert t.jumped == 1 and (t.lat, t.lon) == parked
    # A first still fix that no motion explains may itself be the leap: the
    # next one is taken afresh.
    u = Track()
    u.update(T0, T0, *street, 10.0, 0.1)
    u.update(T0 + 60, T0 + 60, *parked, 9.0, 0.1)
    u.update(T0 + 180, T0 + 180, *north_of(parked, 325), 9.0, 0.1)
    assert u.jumped == 0 and (u.lat, u.lon) == north_of(parked, 325)


def test_a_leap_on_arrival_gives_way_to_more_fixes_agreeing_elsewhere() -> None:
    # He drives north and parks; his first still fix is a multipath leap 300 m
    # west (80 m on from his last moving fix, so arriving explains it), then two
    # still fixes agree where he truly parked. Two agreeing fixes outweigh the
    # one the estimate was taken from: it moves there, without a full run.
    street = north_of(HOME, 1000)
    parked = north_of(HOME, 1060)
    t = Track()
    t.update(T0, T0, *east_of(street, -300), 10.0, 10.0, 0.0)
    t.update(T0 + 60, T0 + 60, *east_of(north_of(street, 80), -300), 10.0, 0.0)
    t.update(T0 + 180, T0 + 180, *parked, 11.0, 0.0)
    assert t.jumped == 1
    t.update(T0 + 300, T0 + 300, *east_of(parked, 3), 10.0, 0.1)
    assert t.jumped == 0 and t.t == T0 + 300
    assert abs(t.lat - parked[0]) < 1e-6 and abs(t.lon - east_of(parked, 3)[1]) < 1e-9


def test_a_leap_run_after_parking_is_discounted_unless_it_outnumbers_the_estimate() -> None:
    # Parked with three still fixes, then a multipath run of three agreeing
    # fixes 300 m away: a leap lasts that long, the parked position is kept.
    street = north_of(HOME, 1000)
    parked = north_of(HOME, 1060)
    leap = east_of(parked, 300)
    t = Track()
    t.update(T0, T0, *street, 10.0, 10.0, 0.0)
    for k in (1, 2, 3):
        t.update(T0 + 60 * k, T0 + 60 * k, *parked, 10.0, 0.0)
    for k in (4, 5, 6):
        t.update(T0 + 60 * k, T0 + 60 * k, *leap, 10.0, 0.0)
    assert t.jumped == 3 and abs(t.lon - parked[1]) < 1e-9
    # Two fixes where he parked, then two agreeing elsewhere: as many, not more.
    u = Track()
    u.update(T0, T0, *street, 10.0, 10.0, 0.0)
    for k in (1, 2):
        u.update(T0 + 60 * k, T0 + 60 * k, *parked, 10.0, 0.0)
    for k in (3, 4):
        u.update(T0 + 60 * k, T0 + 60 * k, *leap, 10.0, 0.0)
    assert u.jumped == 2 and abs(u.lon - parked[1]) < 1e-9
    # A leap scattered all round is no run that agrees.
    w = Track()
    w.update(T0, T0, *street, 10.0, 10.0, 0.0)
    w.update(T0 + 60, T0 + 60, *parked, 10.0, 0.0)
    w.update(T0 + 120, T0 + 120, *leap, 10.0, 0.0)
    w.update(T0 + 180, T0 + 180, *east_of(parked, -300), 10.0, 0.0)
    assert w.jumped == 2 and abs(w.lon - parked[1]) < 1e-9
    # Network fixes (no speed) are not counted as still ones, but four of them
    # where he is indoors outweigh two agreeing satellite leaps.
    v = Track()
    for k in range(4):
        v.update(T0 + 60 * k, T0 + 60 * k, *parked, 40.0, None)
    for k in (4, 5):
        v.update(T0 + 60 * k, T0 + 60 * k, *leap, 10.0, 0.0)
    assert v.jumped == 2 and abs(v.lon - parked[1]) < 1e-9


def test_a_real_move_after_a_run_of_leaps_is_taken() -> None:
    t = Track()
    t.update(T0, T0, *HOME, 10.0, 1.5)
    target = north_of(HOME, 600)
    for i in range(1, 5):
        t.update(T0 + 10 * i, T0 + 10 * i, *target, 10.0, 1.5)
    assert t.jumped == 0 and abs(t.lat - target[0]) < 1e-9


# -- still-phone staleness -----------------------------------------------------------


def test_still_phone_with_a_cell_report_on_schedule_is_where_it_was() -> None:
    # She is still at home on a 5-minute schedule; her last report is a cell
    # fix that agrees with her Wi-Fi position. That position is kept and
    # refreshed: 7 minutes after the fine fix, a real approach to 150 m still
    # pages at once, with the cell report shown as discounted.
    e = started(min_distance_m=300.0)
    e.apply(vfix(T0, HOME, acc=20, speed=0.0))
    e.apply(vfix(T0 + 300, north_of(HOME, 200), acc=800))
    out = e.apply(rfix(T0 + 420, north_of(HOME, 150), acc=8, speed=10.0, heading=180.0))
    got = opened(out)
    assert len(got) == 1 and got[0].pages and got[0].confidence is Confidence.CERTAIN
    assert {"party": "protected", "reason": "cell"} in got[0].evidence["discounted"]  # type: ignore[operator]
    assert {"party": "protected", "reason": "stale"} not in got[0].evidence["discounted"]  # type: ignore[operator]


def test_moving_phone_with_a_cell_report_still_ages() -> None:
    # Walking when last seen: the cell report does not make her position fresh.
    t = Track()
    t.update(T0, T0, *HOME, 10.0, 1.5)
    t.update(T0 + 300, T0 + 300, *north_of(HOME, 100), 800.0, None)
    assert t.t == T0 and t.held and abs(t.lat - HOME[0]) < 1e-9


# -- drift at the near-neighbour distance ---------------------------------------------


def test_one_deep_still_fix_of_a_near_neighbour_does_not_page() -> None:
    # One still indoor fix of his lands 300 m from her (probability 0.999): a
    # still fix is probable at most and waits for the next, which is back home.
    e = started()
    out = e.apply(vfix(T0, HOME, acc=40, speed=0.0))
    out += e.apply(rfix(T0 + 60, north_of(HOME, 300), acc=50, speed=0.0))
    out += e.apply(rfix(T0 + 120, north_of(HOME, 650), acc=50, speed=0.0))
    assert not paged(out)
    assert all(d.confidence is not Confidence.CERTAIN for d in opened(out))


# -- the one-fix drive-through --------------------------------------------------------


def test_one_tight_moving_fix_well_inside_pages_at_once() -> None:
    # Driving past her home at night: one bracelet fix, 200 m from her, at 12 m/s.
    e = started(zones=(home_zone(radius=250.0),))
    e.apply(vfix(T0, HOME, acc=30, speed=0.0))
    out = e.apply(rfix(T0 + 100, north_of(HOME, 1400), acc=8, speed=12.0, heading=180.0))
    out += e.apply(rfix(T0 + 160, north_of(HOME, 700), acc=8, speed=12.0, heading=180.0))
    out += e.apply(rfix(T0 + 220, east_of(HOME, 200), acc=8, speed=12.0, heading=90.0))
    got = opened(out)
    assert len(got) == 1 and got[0].pages and got[0].confidence is Confidence.CERTAIN
    assert paged(out, "zone.exclusion")


def test_network_fix_while_driving_is_a_moving_fix() -> None:
    # The only fix inside the zone is a network fix (no speed) a minute after a
    # moving satellite fix: he is driving, so it is judged as a moving fix.
    e = started(zones=(home_zone(radius=250.0),), min_distance_m=100.0)
    out = e.apply(rfix(T0 + 100, north_of(HOME, 700), acc=8, speed=12.0, heading=180.0))
    out += e.apply(rfix(T0 + 160, north_of(HOME, 200), acc=25))
    got = opened(out, "zone.exclusion")
    assert len(got) == 1 and got[0].pages and got[0].confidence is Confidence.CERTAIN


# -- what the device says of itself -----------------------------------------------------


def test_a_fix_sent_twice_does_not_make_a_still_phone_stale() -> None:
    # A duplicate of her Wi-Fi fix is not a report a second after the first: her
    # five-minute schedule still holds, and the approach pages without "stale".
    e = started(min_distance_m=300.0)
    e.apply(vfix(T0, HOME, acc=20))
    e.apply(vfix(T0 + 300, HOME, acc=20))
    assert e.apply(vfix(T0 + 300, HOME, acc=20, at=T0 + 330)) == []
    out = e.apply(rfix(T0 + 560, north_of(HOME, 150), acc=8, speed=10.0, heading=180.0))
    got = opened(out)
    assert len(got) == 1 and got[0].pages
    assert "discounted" not in got[0].evidence


def test_bracelet_with_its_strap_open_is_no_evidence_of_where_he_is() -> None:
    e = started()
    e.apply(vfix(T0, HOME, acc=10, speed=0.0))
    e.apply(Signal("bracelet-1", T0 + 10, T0 + 10, SignalKind.STRAP_OPEN))
    out = e.apply(rfix(T0 + 60, north_of(HOME, 100), acc=8, speed=10.0, heading=180.0))
    assert not paged(out)
    e.apply(Signal("bracelet-1", T0 + 70, T0 + 70, SignalKind.STRAP_CLOSED))
    out = e.apply(rfix(T0 + 120, north_of(HOME, 100), acc=8, speed=10.0, heading=180.0))
    assert paged(out)
