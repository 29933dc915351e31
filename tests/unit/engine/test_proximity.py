"""Proximity rules: breach, pre-alert, approach, all-clear, jitter, stale fixes."""

from __future__ import annotations

import random

import msgspec
import pytest

from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.events import Fix, OrderChange
from korgoo.engine import Engine

from .conftest import HOME, T0, east_of, kinds, make_terms, north_of, rfix, vfix


def started(**kw: object) -> Engine:
    e = Engine()
    e.apply(OrderChange(at=T0, terms=make_terms(**kw)))  # type: ignore[arg-type]
    return e


def walk_in_and_out(e: Engine, start_m: float = 2500.0, step_m: float = 90.0) -> list:
    """Respondent walks south to 100 m from her home, then back north."""
    out = []
    t = T0 + 60
    dist = start_m
    while dist > 100:
        out += e.apply(vfix(t - 5, HOME))
        out += e.apply(rfix(t, north_of(HOME, dist), speed=3.0, heading=180.0))
        dist -= step_m
        t += 30
    while dist < start_m:
        out += e.apply(vfix(t - 5, HOME))
        out += e.apply(rfix(t, north_of(HOME, dist), speed=3.0, heading=0.0))
        dist += step_m
        t += 30
    return out


def test_approach_breach_and_all_clear_in_order() -> None:
    out = walk_in_and_out(started())
    seq = [(d.kind.value, d.rule or d.message) for d in out]
    opened = [r for k, r in seq if k == "opened"]
    assert opened == ["proximity.prealert", "proximity.approach", "proximity.breach"]
    # At 520 m (10 m radii) a breach of 500 m is only possible, for one fix: not
    # enough to show; at 430 m it is certain and pages as P1 at once.
    steps = [d for d in out if d.rule == "proximity.breach"]
    assert [(d.kind.value, d.priority) for d in steps] == [
        ("opened", Priority.P1),
        ("cleared", None),
    ]
    assert len({d.alert_key for d in steps}) == 1
    breach = steps[0]
    assert breach.pages and breach.confidence is Confidence.CERTAIN
    # Evidence: distance at or under the minimum distance, both radii recorded.
    assert breach.evidence["distance_m"] <= 500.0  # type: ignore[operator]
    assert breach.evidence["limit_m"] == 500.0
    # 3: leaps, still fixes wait; 4: a moving party's older fix is carried on along
    # its course, a still phone across a gap, a run of agreeing leaps is a move (issue 9);
    # 5: a fix is carried on by the time between arrivals when both came on time,
    # a breach between two still phones holds at both ends of indoor drift;
    # 6: a still party's newer fix pairs with a moving one's where it was taken,
    # a carried-on fix is never decisive, a still phone's next fix confirms a pass;
    # 7: two moving parties that came close between their fixes go on record once
    # the older party's next fix shows it went on straight; a cell report between
    # neither confirms nor drops a drive-past kept for the still phone's next fix;
    # 8: a network fix without a course is checked by its next fix; 9: a cell
    # report that agreed with a network phone off the slow schedule leaves its
    # finer fix as evidence, aged from when it was taken, and a pass after a still
    # phone's leap is kept for its next real fix (a leap confirms nothing); 10:
    # two still phones' reported circles within the limit for five minutes page,
    # a leap on arrival gives way to more fixes agreeing elsewhere, a pass by an
    # older fix is kept for its next fix had it stayed, and her moving fix taken
    # with his still one decides at once
    assert breach.rule_version == 11 and breach.params_rev
    warns = [d.message for d in out if d.kind is DecisionKind.WARN]
    assert warns == ["prealert", "approach", "alert", "all_clear"]
    instructs = [d.message for d in out if d.kind is DecisionKind.INSTRUCT]
    assert instructs == ["leave_now", "clear"]
    # Every episode that opened was cleared by the end.
    for rule in ("proximity.prealert", "proximity.approach"):
        assert kinds(out, rule) == ["opened", "cleared"], rule


def test_probable_breach_waits_for_k_fixes() -> None:
    e = started()
    # Centres 350 m apart, network fixes of 30 m (drift at its upper end, 45 m
    # each): within 500 m with p ~ 0.99, probable but not certain; paged after K
    # fixes and T seconds.
    pos = north_of(HOME, 350)
    e.apply(vfix(T0 + 50, HOME, acc=30))
    first = e.apply(rfix(T0 + 60, pos, acc=30)) + e.apply(rfix(T0 + 70, pos, acc=30))
    assert "opened" not in kinds(first, "proximity.breach")
    second = e.apply(rfix(T0 + 90, pos, acc=30))
    opened = [d for d in second if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].confidence is Confidence.PROBABLE
    assert opened[0].priority is Priority.P1


def test_possible_breach_is_shown_but_does_not_page() -> None:
    e = started()
    pos = north_of(HOME, 500)  # on the line, sigma 57 m: p ~ 0.47, possible only
    e.apply(vfix(T0 + 50, HOME, acc=40))
    out = e.apply(rfix(T0 + 60, pos, acc=40)) + e.apply(rfix(T0 + 70, pos, acc=40))
    assert kinds(out, "proximity.breach") == []  # possible needs 2K fixes and T seconds
    out += e.apply(rfix(T0 + 80, pos, acc=40)) + e.apply(rfix(T0 + 90, pos, acc=40))
    opened = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1
    assert opened[0].confidence is Confidence.POSSIBLE
    assert opened[0].priority is Priority.P4 and not opened[0].pages
    assert not [d for d in out if d.kind is DecisionKind.INSTRUCT]
    # Later certain evidence raises the same episode and pages.
    up = e.apply(rfix(T0 + 100, north_of(HOME, 300), acc=10))
    upd = [d for d in up if d.rule == "proximity.breach"]
    assert [d.kind for d in upd] == [DecisionKind.UPDATED]
    assert upd[0].alert_key == opened[0].alert_key and upd[0].priority is Priority.P1
    assert [d.message for d in up if d.kind is DecisionKind.INSTRUCT] == ["leave_now"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jitter_at_the_boundary_does_not_flap(seed: int) -> None:
    """Respondent lives 700 m from her; 80 m of GPS jitter must not flood operators.

    He is inside the 1,000 m warning distance all day: one standing pre-alert,
    never a breach, never a flapping open/clear.
    """
    e = started(min_distance_m=500.0, warning_distance_m=1000.0)
    rng = random.Random(seed)
    his_home = north_of(HOME, 700)

    def jit(p: tuple[float, float]) -> tuple[float, float]:
        return p[0] + rng.gauss(0, 80) / 111_045, p[1] + rng.gauss(0, 80) / 81_400

    out = []
    for i in range(2880):  # one day at 30 s
        t = T0 + 60 + i * 30
        out += e.apply(vfix(t - 3, jit(HOME), acc=30, speed=0.0))
        out += e.apply(rfix(t, jit(his_home), acc=30, speed=0.0, heading=0.0))
    assert kinds(out, "proximity.breach") == []
    assert kinds(out, "proximity.approach") == []
    assert kinds(out, "proximity.prealert") == ["opened"]
    assert [d.message for d in out if d.kind is DecisionKind.INSTRUCT] == []


def test_stale_victim_fix_widens_uncertainty() -> None:
    e = started()
    e.apply(vfix(T0 + 10, HOME, acc=10, speed=1.4))
    # 10 minutes later: she was walking, she may be anywhere within ~900 m now.
    pos = north_of(HOME, 300)
    out = [d for k in (610, 620, 630, 650) for d in e.apply(rfix(T0 + k, pos, acc=10))]
    opened = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and not opened[0].pages  # possible only: shown, not paged
    assert {"party": "protected", "reason": "stale"} in opened[0].evidence["discounted"]  # type: ignore[operator]


def test_still_phone_fix_is_not_widened_within_its_schedule() -> None:
    # A still phone reports every 5 minutes: a 4-minute-old fix is where she is,
    # so a real approach to 300 m pages at once, without a "stale" discount.
    e = started()
    e.apply(vfix(T0 + 10, HOME, acc=15, speed=0.0))
    out = e.apply(rfix(T0 + 250, north_of(HOME, 300), acc=8, speed=1.5, heading=180.0))
    opened = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].pages
    assert opened[0].confidence is Confidence.CERTAIN
    assert "discounted" not in opened[0].evidence
    # Beyond her schedule the same fix is discounted as stale and no longer certain.
    e2 = started()
    e2.apply(vfix(T0 + 10, HOME, acc=15, speed=0.0))
    late = e2.apply(rfix(T0 + 850, north_of(HOME, 300), acc=8, speed=1.5, heading=180.0))
    assert not [d for d in late if d.rule == "proximity.breach" and d.pages]


def test_near_neighbours_drifting_indoors_never_page() -> None:
    # 650 m apart under a 500 m order, both indoors on Wi-Fi, drifting by their
    # accuracy: two hours of fixes, some pulled 150 m towards each other.
    e = started()
    out = []
    for i in range(120):
        pull = 150.0 if i % 10 < 3 else 0.0
        out += e.apply(vfix(T0 + 60 * i, north_of(HOME, pull / 2), acc=60))
        out += e.apply(rfix(T0 + 60 * i + 30, north_of(HOME, 650 - pull / 2), acc=60))
    assert not [d for d in out if d.rule == "proximity.breach" and d.pages]


def test_cell_fixes_alone_never_page() -> None:
    e = started()
    out = e.apply(vfix(T0, HOME, acc=10, speed=0.0))
    for i in range(10):
        out += e.apply(rfix(T0 + 60 * (i + 1), north_of(HOME, 100), acc=800))
    assert not [d for d in out if d.pages and d.rule == "proximity.breach"]
    shown = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert shown and shown[0].confidence is Confidence.POSSIBLE
    assert {"party": "respondent", "reason": "cell"} in shown[0].evidence["discounted"]  # type: ignore[operator]


def test_multipath_jump_of_a_still_phone_is_discounted() -> None:
    e = started()
    out = e.apply(vfix(T0, HOME, acc=10, speed=0.0))
    far = north_of(HOME, 800)
    for i in range(5):
        out += e.apply(rfix(T0 + 60 * i, far, acc=10, speed=0.0))
    # Two fixes leap 350 m towards her while the device reports 0 m/s.
    for i in (5, 6):
        out += e.apply(rfix(T0 + 60 * i, north_of(HOME, 450), acc=10, speed=0.1))
    out += e.apply(rfix(T0 + 420, far, acc=10, speed=0.0))
    assert not [d for d in out if d.rule == "proximity.breach"]


def test_episode_clears_without_support_under_cell_fixes() -> None:
    e = started()
    e.apply(vfix(T0, HOME, acc=10, speed=0.0))
    out = e.apply(rfix(T0 + 10, north_of(HOME, 200), acc=8, speed=1.5, heading=0.0))
    assert kinds(out, "proximity.breach") == ["opened"]
    later: list[Decision] = []
    for i in range(1, 25):  # 24 minutes of cell fixes only, near enough never to rule out
        later += e.apply(vfix(T0 + 60 * i, HOME, acc=10, speed=0.0))
        later += e.apply(rfix(T0 + 60 * i + 5, north_of(HOME, 600), acc=900))
    assert "cleared" in kinds(later, "proximity.breach")
    again = e.apply(rfix(T0 + 1600, north_of(HOME, 200), acc=8, speed=1.5, heading=0.0))
    opened = [d for d in again if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].pages


def test_counterpart_too_old_is_no_evidence() -> None:
    e = started()
    e.apply(vfix(T0 + 10, HOME))
    out = e.apply(rfix(T0 + 10 + 901, north_of(HOME, 50)))
    assert kinds(out, "proximity.breach") == []


def test_victim_moving_towards_respondent_also_breaches() -> None:
    e = started()
    his = north_of(HOME, 1500)
    e.apply(rfix(T0 + 10, his))
    out = []
    for i, dist in enumerate(range(1500, 0, -100)):
        t = T0 + 20 + i * 20
        out += e.apply(rfix(t, his))
        out += e.apply(vfix(t + 1, north_of(his, -dist)))
    assert "opened" in kinds(out, "proximity.breach")


def test_paused_sharing_stops_dynamic_zone() -> None:
    from korgoo.domain.events import Signal, SignalKind

    e = started()
    e.apply(vfix(T0 + 10, HOME))
    e.apply(Signal("victim-app-1", T0 + 20, T0 + 20, SignalKind.SHARING_PAUSED))
    out = e.apply(rfix(T0 + 30, north_of(HOME, 50))) + e.apply(rfix(T0 + 40, north_of(HOME, 50)))
    assert kinds(out, "proximity.breach") == []


def breach_pages(out: list[Decision]) -> list[Decision]:
    return [d for d in out if d.rule == "proximity.breach" and d.pages]


def pages_certain_once(out: list[Decision]) -> bool:
    """One breach alert opened, paged at once on certain evidence."""
    opened = [d for d in breach_pages(out) if d.kind is DecisionKind.OPENED]
    return len(opened) == 1 and opened[0].confidence is Confidence.CERTAIN


def test_an_older_fix_of_a_moving_party_is_carried_on_along_its_course() -> None:
    # Both ride north on one street at 6 m/s, he 650 m behind her under a 500 m
    # order; each fix is paired with the other's of 40 s before. Taken where it
    # was, her last fix lies 410 m ahead of him; carried on, 650 m.
    e = started()
    out: list[Decision] = []
    for i in range(15):
        t = T0 + 80 * i
        out += e.apply(vfix(t, north_of(HOME, 6.0 * 80 * i), acc=8, speed=6.0, heading=0.0))
        him = north_of(HOME, 6.0 * (80 * i + 40) - 650.0)
        out += e.apply(rfix(t + 40, him, acc=8, speed=6.0, heading=0.0))
    assert breach_pages(out) == []
    assert [d for d in out if d.rule == "proximity.prealert" and d.kind is DecisionKind.OPENED]
    # Carried on, her fix is 650 m ahead of him, not the 410 m it was when taken.
    shown = [d.evidence for d in out if d.rule == "proximity.prealert" and d.evidence]
    assert shown and all(600.0 <= ev["distance_m"] <= 700.0 for ev in shown)  # type: ignore[operator]
    assert all("projected" in ev for ev in shown)


def test_a_carried_on_fix_alone_is_not_decisive() -> None:
    # Her fix a minute old, moving at 5.6 m/s, carried on to 430 m from his still
    # phone: she may have stopped (she had: her next fix is 640 m away). A guess
    # that far ahead does not page on its own.
    e = started()
    e.apply(rfix(T0, north_of(HOME, 1500), acc=20))
    e.apply(vfix(T0 + 1, HOME, acc=8, speed=5.6, heading=0.0))
    out = e.apply(rfix(T0 + 61, north_of(HOME, 770), acc=22))
    assert breach_pages(out) == []
    evidence = [d.evidence for d in out if d.rule == "proximity.prealert"]
    assert evidence and evidence[0]["projected"]["party"] == "protected"  # type: ignore[index]


def test_she_drives_past_his_still_phone_one_tight_fix_pages() -> None:
    # His phone indoors reports network fixes (no speed) every two minutes; her
    # car passes 330 m from it under a 450 m order with a 5 m GNSS fix.
    e = started(min_distance_m=450.0, warning_distance_m=900.0)
    his = north_of(HOME, 2000)
    for k in range(4):
        e.apply(rfix(T0 + 120 * k, his, acc=44))
    out = e.apply(vfix(T0 + 413, north_of(his, -330), acc=5, speed=9.8, heading=0.0))
    assert pages_certain_once(out)


def test_late_breach_near_a_still_phone_across_a_gap_is_on_record() -> None:
    # Her still phone reports every 5 minutes from home; his positions from a
    # coverage gap arrive 15 minutes late, 80 m from her door under a 300 m
    # order, 150 s from her nearest fix: she had not walked off in between.
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    for k in range(6):
        e.apply(vfix(T0 + 300 * k, HOME, acc=20))
    e.apply(rfix(T0 + 10, north_of(HOME, 4000), acc=8))
    out = e.apply(rfix(T0 + 750, north_of(HOME, 80), acc=7, speed=0.1, at=T0 + 1650))
    late = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(late) == 1 and late[0].late and late[0].pages


def test_late_fix_is_no_breach_when_she_moved_between_her_fixes() -> None:
    # The same late fix, but her fixes around it are 400 m apart: she was on the
    # move, so a fix 150 s away says little of where she was then.
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    for k in range(6):
        e.apply(vfix(T0 + 300 * k, north_of(HOME, 400.0 * (k % 2)), acc=20))
    e.apply(rfix(T0 + 10, north_of(HOME, 4000), acc=8))
    out = e.apply(rfix(T0 + 750, north_of(HOME, 80), acc=7, speed=0.1, at=T0 + 1650))
    assert [d for d in out if d.rule == "proximity.breach"] == []


def test_two_still_homes_near_the_warning_distance_raise_no_warning() -> None:
    # Homes 1,560 m apart under a 1,500 m warning distance, both phones indoors
    # (40 m, still); slow drift holds both fixes 70 m towards each other for an
    # hour. Drift reaches 1.5 x the accuracy, so the warning, never the only
    # sign of a breach, does not page for two still phones.
    e = started(min_distance_m=300.0, warning_distance_m=1500.0)
    out: list[Decision] = []
    for i in range(60):
        out += e.apply(vfix(T0 + 60 * i, north_of(HOME, 70), acc=40, speed=0.1))
        out += e.apply(rfix(T0 + 60 * i + 30, north_of(HOME, 1490), acc=40, speed=0.1))
    assert [d for d in out if d.rule == "proximity.prealert" and d.pages] == []
    # He walks over to 1,300 m: that is a warning.
    for k in range(3):
        out += e.apply(rfix(T0 + 3700 + 30 * k, north_of(HOME, 1300), acc=10, speed=1.2))
    assert [d for d in out if d.rule == "proximity.prealert" and d.pages]


def test_no_approach_while_she_rides_away_as_fast() -> None:
    # He drives south towards where she is at 10 m/s while she rides south, away
    # from him, at 9 m/s: he gains 1 m/s from 1,500 m, no breach within minutes.
    e = started()
    out: list[Decision] = []
    for i in range(6):
        t = T0 + 20 * i
        out += e.apply(vfix(t, north_of(HOME, -9.0 * 20 * i), acc=8, speed=9.0, heading=180.0))
        him = north_of(HOME, 1500 - 10.0 * 20 * i)
        out += e.apply(rfix(t + 1, him, acc=8, speed=10.0, heading=180.0))
    assert kinds(out, "proximity.approach") == []
    # She stops: now he closes at 10 m/s and it is an approach.
    for i in range(6, 9):
        t = T0 + 20 * i
        out += e.apply(vfix(t, north_of(HOME, -9.0 * 100), acc=8, speed=0.0))
        him = north_of(HOME, 1500 - 10.0 * 20 * i)
        out += e.apply(rfix(t + 1, him, acc=8, speed=10.0, heading=180.0))
    assert "opened" in kinds(out, "proximity.approach")


def test_two_fixes_taken_together_are_not_parted_by_a_fast_phone_clock() -> None:
    # She rides north at 10 m/s, he rides east 350 m south of her under a 500 m
    # order. Both fixes are taken together and arrive a second apart, but his
    # phone's clock is 30 s fast: carried on by 30 s, her fix would lie 650 m
    # from his. The server's one clock says they are a second apart.
    south = north_of(HOME, -350)

    def ride(his_t: float, his_at: float) -> list[Decision]:
        e = started()
        e.apply(vfix(T0, HOME, acc=8, speed=10.0, heading=0.0, at=T0 + 2))
        return e.apply(rfix(his_t, south, acc=8, speed=10.0, heading=90.0, at=his_at))

    opened = [d for d in breach_pages(ride(T0 + 30, T0 + 3)) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].confidence is Confidence.CERTAIN
    # Truly 30 s apart (on both clocks), her fix is carried on and shows no breach.
    assert breach_pages(ride(T0 + 30, T0 + 31)) == []


def test_two_still_phones_drifting_towards_each_other_do_not_page() -> None:
    # Two homes whose network fixes (40 m) lie 400 m apart under a 500 m order:
    # indoor drift reaches 1.5x the accuracy and no run of fixes averages it out,
    # so the breach is shown as possible, never paged, however long it lasts.
    e = started()
    out: list[Decision] = []
    for k in range(10):
        out += e.apply(vfix(T0 + 60 * k, HOME, acc=40))
        out += e.apply(rfix(T0 + 60 * k + 10, north_of(HOME, 400), acc=40))
    assert breach_pages(out) == []
    shown = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert shown and shown[0].confidence is Confidence.POSSIBLE


def still_pair(
    his_m: list[float],
    her_m: float = 0.0,
    his_acc: float = 48.0,
    her_acc: float = 14.0,
    **kw: object,
) -> list[Decision]:
    """His still satellite fixes every minute at `his_m` north of her home (one
    a minute), hers every five minutes at `her_m` south of it."""
    e = started(**kw)
    out: list[Decision] = []
    her = north_of(HOME, -her_m)
    for k, metres in enumerate(his_m):
        if k % 5 == 0:
            out += e.apply(vfix(T0 + 60 * k, her, acc=her_acc, speed=0.1))
        out += e.apply(rfix(T0 + 60 * k + 15, north_of(HOME, metres), acc=his_acc, speed=0.1))
    return out


def test_two_still_phones_whose_reported_circles_stay_within_the_limit_page() -> None:
    # She sits on a bench (14 m), he stays indoors across the street (48 m),
    # his fixes drifting from 480 m to 432 m of her under a 500 m order: every
    # pair then shows both whole circles within the limit (432 + 48 + 14 = 494),
    # while his averaged estimate lags behind the drift. Ten minutes of it is a
    # breach as a reviewer reads the data; it pages once five minutes have held.
    out = still_pair([480.0] * 5 + [432.0] * 12)
    pages = breach_pages(out)
    assert len(pages) == 1 and pages[0].confidence is Confidence.PROBABLE
    assert pages[0].evidence["reported_within_s"] >= 300.0
    # Before that it is shown (possible), as when the circles do not hold within.
    assert breach_pages(still_pair([480.0] * 5 + [440.0] * 12)) == []


def test_near_neighbours_on_satellite_fixes_drifting_together_do_not_page() -> None:
    # Two homes 650 m apart under a 500 m order, both phones indoors (40 m),
    # drifting 1.5x their accuracy towards each other all night: the circles
    # stay apart (530 + 40 + 40 m). A slow turn of drift to its worst, 120 m
    # more, puts them just within the limit for four minutes (410 + 80 m, her
    # phone reporting meanwhile): shown, not paged, for it does not hold five.
    turn = [510.0, 490.0, 470.0, 450.0, 430.0]
    night = [530.0] * 17 + turn + [410.0] * 5 + turn[::-1] + [530.0] * 30
    assert breach_pages(still_pair(night, her_acc=40.0, his_acc=40.0)) == []


def drive_past(
    her_last_acc: float = 38.0, *, hers: tuple[Fix, ...] = (), east_m: float = 370.0
) -> tuple[Engine, list[Decision]]:
    """Her phone indoors (38 m network fixes, every five minutes, or `hers`); his
    car passes `east_m` east of her home at 10 m/s under a 400 m order, a fix a
    minute."""
    e = started(min_distance_m=400.0, warning_distance_m=1100.0)
    hers = hers or (vfix(T0 - 300, HOME, acc=38), vfix(T0, north_of(HOME, 15), acc=her_last_acc))
    out: list[Decision] = []
    for fix in hers:
        out += e.apply(fix)
    for k, metres in enumerate((1200, 600, 0, -600, -1200)):
        pos = east_of(north_of(HOME, metres), east_m)
        out += e.apply(rfix(T0 + 20 + 60 * k, pos, acc=7, speed=10.0, heading=180.0))
    return e, out


def test_her_next_fix_shows_she_was_home_when_he_drove_past() -> None:
    # Her phone indoors reports every five minutes, 38 m network fixes; his car
    # passes 370 m from her last fix under a 400 m order: possible, not paged.
    # Her next fix, 10 m and in the same place, shows she had been there all
    # along: the drive-past goes on record as a breach.
    e, out = drive_past()
    assert breach_pages(out) == []
    opened = late_record(e, vfix(T0 + 300, north_of(HOME, 5), acc=10))
    assert opened.occurred_at == T0 + 140
    assert "confirmed_by" in opened.evidence


def late_record(e: Engine, fix: Fix) -> Decision:
    """The one breach that `fix` puts on record (late, paged)."""
    late = e.apply(fix)
    opened = [d for d in late if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].pages and opened[0].late
    return opened[0]


def test_her_cell_report_keeps_her_home_fix_for_the_check() -> None:
    # Her last report before he passes is a cell fix (900 m) that agrees with
    # her 38 m fix of five minutes before: she is still there. Her next fix in
    # the same place puts the drive-past on record as before.
    e, out = drive_past(her_last_acc=900.0)
    assert breach_pages(out) == []
    late = e.apply(vfix(T0 + 300, north_of(HOME, 5), acc=10))
    opened = [d for d in late if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].late
    assert opened[0].evidence["protected_fix"][3] == 10


def test_her_next_fix_elsewhere_confirms_nothing() -> None:
    # The same drive-past, but her next fix is 400 m away: she was on the move.
    e, _ = drive_past()
    late = e.apply(vfix(T0 + 300, north_of(HOME, -400), acc=10))
    assert [d for d in late if d.rule == "proximity.breach"] == []


def test_his_moving_fix_is_judged_where_it_was_taken_when_her_newer_fix_is_still() -> None:
    # He rides south at 6 m/s towards her street and turns off 360 m before her
    # door; her still phone reports 50 s after his last fix. Carried on along
    # his course, that fix would put him 60 m from her; she had not moved, so it
    # is judged where it was taken: 360 m under a 300 m order is no breach.
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    e.apply(vfix(T0 - 250, HOME, acc=37))
    e.apply(rfix(T0 - 60, north_of(HOME, 720), acc=12, speed=6.0, heading=180.0))
    e.apply(rfix(T0, north_of(HOME, 360), acc=12, speed=6.0, heading=180.0))
    out = e.apply(vfix(T0 + 50, north_of(HOME, 10), acc=37))
    assert breach_pages(out) == []
    evidence = [d.evidence for d in out if d.rule == "proximity.prealert"]
    assert all("projected" not in ev for ev in evidence)


def test_a_network_fix_that_did_not_go_on_after_a_drive_means_she_stopped() -> None:
    # Her bus arrives at her work: a 10 m/s satellite fix, then two network fixes
    # 60 s apart that stay put (90 m apart at 31-37 m). She has stopped: 140 s
    # later his car passes 250 m from her under a 400 m order, and that pages.
    e = started(min_distance_m=400.0, warning_distance_m=1000.0)
    work = north_of(HOME, 3000)
    e.apply(vfix(T0, north_of(work, -550), acc=15, speed=10.0, heading=0.0))
    e.apply(vfix(T0 + 60, work, acc=37))
    e.apply(vfix(T0 + 120, north_of(work, 90), acc=31))
    e.apply(rfix(T0 + 200, east_of(north_of(work, 600), 250), acc=10, speed=10.0, heading=180))
    out = e.apply(rfix(T0 + 260, east_of(north_of(work, 60), 250), acc=10, speed=10.0, heading=180))
    assert pages_certain_once(out)


def test_a_moving_party_without_a_course_is_aged_at_its_own_speed() -> None:
    # She drives east at 10 m/s; her last fix, a network one (no course), is
    # 60 s old when his car passes 280 m from it under a 500 m order: she may be
    # 600 m on by now (she was: 860 m), so his fix alone does not page.
    e = started(min_distance_m=500.0, warning_distance_m=1500.0)
    e.apply(vfix(T0, east_of(HOME, -600), acc=10, speed=10.0, heading=90.0))
    e.apply(vfix(T0 + 60, HOME, acc=26))
    out = e.apply(rfix(T0 + 120, north_of(HOME, 280), acc=12, speed=10.0, heading=180.0))
    assert breach_pages(out) == []


def test_a_phone_clock_a_minute_slow_does_not_age_her_fix() -> None:
    # Her phone's clock is 57 s slow: her network fix, received 22 s before his,
    # reads 77 s older. Aged by the time between arrivals it is where she is:
    # his tight fix 70 m from it under a 300 m order pages at once.
    e = started(min_distance_m=300.0, warning_distance_m=900.0)
    e.apply(vfix(T0 - 120, north_of(HOME, -360), acc=12, speed=6.0, heading=0.0, at=T0 - 63))
    e.apply(vfix(T0 - 60, HOME, acc=27, at=T0 - 3))
    out = e.apply(rfix(T0 + 17, north_of(HOME, 70), acc=16, speed=9.9, heading=0.0, at=T0 + 19))
    assert pages_certain_once(out)


def test_a_still_phone_found_far_from_home_after_its_slow_report_has_been_carried() -> None:
    # Her phone at home reports every five minutes; the next fix, still again,
    # is 1.7 km away (she took a bus while it slept). No multipath leap is that
    # long: she is there, and his car passing 200 m from her pages.
    e = started(min_distance_m=400.0, warning_distance_m=1400.0)
    for k in range(4):
        e.apply(vfix(T0 + 300 * k, HOME, acc=22))
    there = north_of(HOME, 1700)
    e.apply(vfix(T0 + 1200, there, acc=36, speed=0.15))
    e.apply(rfix(T0 + 1230, east_of(there, 560), acc=9, speed=6.0, heading=270.0))
    out = e.apply(rfix(T0 + 1290, east_of(there, 200), acc=9, speed=6.0, heading=270.0))
    assert pages_certain_once(out)


def test_a_pause_in_her_sharing_confirms_nothing_after_it() -> None:
    # The drive-past of the test above, but she pauses sharing before her next
    # fix: what she shares after the pause puts nothing of before it on record.
    from korgoo.domain.events import Signal, SignalKind

    e, _ = drive_past()
    e.apply(Signal("victim-app-1", T0 + 200, T0 + 200, SignalKind.SHARING_PAUSED))
    e.apply(Signal("victim-app-1", T0 + 280, T0 + 280, SignalKind.SHARING_RESUMED))
    late = e.apply(vfix(T0 + 300, north_of(HOME, 5), acc=10, speed=0.0))
    assert [d for d in late if d.rule == "proximity.breach"] == []


def pass_each_other(
    apart_m: float, his_next: tuple[float, float]
) -> tuple[list[Decision], list[Decision]]:
    """He rides north at 11 m/s, she rides south on a street `apart_m` to the east,
    under a 300 m order; they pass level at T0, between his fix 14 s before and
    hers 14 s after (each reports every minute). Returns what the fixes up to hers
    raised, and what his next fix (a minute after his last, at `his_next`) did."""
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    street = east_of(HOME, apart_m)
    out: list[Decision] = []
    for k in (-2, -1, 0, 1):
        th, tv = T0 - 14 + 60 * (k - 1), T0 + 14 + 60 * (k - 1)
        pos = north_of(HOME, 11.0 * (th - T0))
        out += e.apply(rfix(th, pos, acc=8, speed=11.0, heading=0.0))
        pos = north_of(street, -11.0 * (tv - T0))
        out += e.apply(vfix(tv, pos, acc=8, speed=11.0, heading=180.0))
    return out, e.apply(rfix(T0 + 46, his_next, acc=8, speed=11.0, heading=0.0))


def test_two_riders_passing_between_their_fixes_go_on_record() -> None:
    # 107 m apart when level, 326 m at every fix (each carried on to the other's
    # time): only their courses between the fixes show the breach. A guess, not
    # paged, until his next fix shows he rode on straight; then a late record
    # (P2) of the breach when they passed.
    out, late = pass_each_other(107.0, north_of(HOME, 506.0))
    assert breach_pages(out) == []
    opened = [d for d in breach_pages(late) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].late and opened[0].priority is Priority.P2
    assert opened[0].occurred_at == pytest.approx(T0, abs=1.0)
    assert opened[0].evidence["distance_m"] == pytest.approx(107.0, abs=5.0)
    assert "crossing" in opened[0].evidence


def test_a_rider_who_turned_off_before_the_pass_is_no_breach() -> None:
    # The same fixes, but his next one is 300 m west of his street, 250 m short
    # of where riding on would put him: he turned off, the pass is unproven.
    out, late = pass_each_other(107.0, east_of(north_of(HOME, 250.0), -300.0))
    assert breach_pages(out + late) == []


def test_riders_passing_on_streets_400_m_apart_do_not_page() -> None:
    out, late = pass_each_other(400.0, north_of(HOME, 506.0))
    assert breach_pages(out + late) == []


def test_two_riders_side_by_side_600_m_apart_do_not_page() -> None:
    # They ride north together on streets 600 m apart, her fixes 28 s after his.
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    out: list[Decision] = []
    for k in range(20):
        t = T0 + 60 * k
        out += e.apply(rfix(t, north_of(HOME, 6.0 * 60 * k), acc=8, speed=6.0, heading=0.0))
        her = east_of(north_of(HOME, 6.0 * (60 * k + 28)), 600.0)
        out += e.apply(vfix(t + 28, her, acc=8, speed=6.0, heading=0.0))
    assert breach_pages(out) == []


def test_a_cell_report_between_confirms_nothing_and_drops_nothing() -> None:
    # The drive-past; her next report is a cell fix (900 m) that keeps her
    # estimate, then a network fix a minute later in the same place: that one
    # confirms the pass (a phone reporting every minute without a speed, in one
    # place, has not walked off either).
    e, _ = drive_past()
    cell = e.apply(vfix(T0 + 270, north_of(HOME, 200), acc=900))
    assert [d for d in cell if d.rule == "proximity.breach"] == []
    late = e.apply(vfix(T0 + 330, north_of(HOME, 5), acc=15))
    opened = [d for d in late if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].pages and opened[0].late
    assert opened[0].occurred_at == T0 + 140


def test_her_moving_fix_after_the_pass_confirms_nothing() -> None:
    # The drive-past; her next fix, in the same place, reports walking: she may
    # have left before he passed.
    e, _ = drive_past()
    late = e.apply(vfix(T0 + 330, north_of(HOME, 5), acc=10, speed=1.2, heading=90.0))
    assert [d for d in late if d.rule == "proximity.breach"] == []


def test_a_pass_with_fixes_on_both_sides_goes_on_record_without_waiting() -> None:
    # The same pass, his fix before it a network fix (no speed, no course): hers
    # after it has nothing to carry. His next fix, a minute on along his street,
    # brackets the pass with hers: each went straight between its two fixes, so
    # the lines through them show it at once (a late record: no guess to wait on).
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    street = east_of(HOME, 107.0)
    for k in (-2, -1):
        th, tv = T0 - 14 + 60 * k, T0 + 14 + 60 * k
        e.apply(rfix(th, north_of(HOME, 11.0 * (th - T0)), acc=8, speed=11.0, heading=0.0))
        e.apply(vfix(tv, north_of(street, -11.0 * (tv - T0)), acc=8, speed=11.0, heading=180.0))
    out = e.apply(rfix(T0 - 14, north_of(HOME, -154.0), acc=20))
    out += e.apply(vfix(T0 + 14, north_of(street, -154.0), acc=8, speed=11.0, heading=180.0))
    assert breach_pages(out) == []
    now = e.apply(rfix(T0 + 46, north_of(HOME, 506.0), acc=8, speed=11.0, heading=0.0))
    opened = [d for d in breach_pages(now) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].late and opened[0].priority is Priority.P2
    assert opened[0].occurred_at == pytest.approx(T0, abs=2.0)


def set_off_across(his_level_at: float) -> list[Decision]:
    """Her phone still at home (a 10 m fix at T0 - 200); she sets off north at
    6 m/s at T0 - 50 and her next fix, 900 m north at T0 + 100, is her first
    moving one. He rides west at 6 m/s along a street 600 m north of her home,
    level with her street at `his_level_at`, a fix a minute; 300 m order."""
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    street = north_of(HOME, 600.0)
    out = e.apply(vfix(T0 - 200, HOME, acc=10, speed=0.2))
    for th in (T0 - 100, T0 - 40, T0 + 20, T0 + 80):
        pos = east_of(street, -6.0 * (th - his_level_at))
        out += e.apply(rfix(th, pos, acc=8, speed=6.0, heading=270.0))
    return out + e.apply(vfix(T0 + 100, north_of(HOME, 900.0), acc=10, speed=6.0, heading=0.0))


def test_she_set_off_from_home_and_crossed_his_street_as_he_passed() -> None:
    # They were level at T0 + 50 (his fix 30 s before, 180 m east; hers 50 s
    # after, 300 m north): her line runs back from her first moving fix to her
    # still fix at the speed she reports, and meets his: a late record (P2).
    out = set_off_across(T0 + 50)
    opened = [d for d in breach_pages(out) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].late and opened[0].priority is Priority.P2
    assert opened[0].occurred_at == pytest.approx(T0 + 50, abs=2.0)


def test_she_set_off_after_he_had_passed_her_street_is_no_breach() -> None:
    # He was level with her street 90 s earlier: her line and his came no
    # closer than 380 m.
    assert breach_pages(set_off_across(T0 - 40)) == []


def walk_past_his_network_fixes(west_m: tuple[float, float]) -> tuple[Engine, list[Decision]]:
    """His phone indoors reports a 26 m network fix (no speed) every two minutes,
    not on the still schedule; she walks south at 6 m/s past it, her two 32 m
    fixes a minute apart `west_m` west of it, under a 350 m order."""
    e = started(min_distance_m=350.0, warning_distance_m=1300.0)
    his = north_of(HOME, 2000)
    for k in (-2, -1, 0):
        e.apply(rfix(T0 + 120 * k, north_of(his, 5 * k), acc=26))
    out: list[Decision] = []
    for k, metres in enumerate((390, 30)):
        pos = east_of(north_of(his, metres), -west_m[k])
        out += e.apply(vfix(T0 + 20 + 60 * k, pos, acc=32, speed=6.0, heading=180.0))
    return e, out


def test_his_next_network_fix_shows_he_was_there_when_she_walked_past() -> None:
    # Her fix 232 m from his last one, 80 s old, is only possible. His next fix
    # in the same place shows he had been there all along: the pass goes on
    # record (late, paged).
    e, out = walk_past_his_network_fixes((230, 230))
    assert breach_pages(out) == []
    late = e.apply(rfix(T0 + 120, east_of(north_of(HOME, 2000), 8), acc=23))
    opened = [d for d in late if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].pages and opened[0].late
    assert opened[0].occurred_at == T0 + 80
    assert "confirmed_by" in opened[0].evidence


def test_a_leap_towards_his_network_fixes_with_an_honest_speed_confirms_nothing() -> None:
    # She walks south on a street 460 m west of his phone (no breach under a
    # 350 m order), but one fix is displaced 230 m towards him with an honest
    # speed and course: off the line from her fix before. His next fix in the
    # same place confirms nothing.
    e, out = walk_past_his_network_fixes((460, 230))
    out += e.apply(rfix(T0 + 120, east_of(north_of(HOME, 2000), 8), acc=23))
    assert [d for d in out if d.rule == "proximity.breach"] == []


def test_a_pass_her_next_fix_shows_live_is_one_alert_not_two() -> None:
    # His car, 350 m east of her home at his last fix, was only a possible
    # breach against her 38 m network fix. Her next fix, 10 m and in the same
    # place 40 s later, both confirms that pass and makes the pair a certain
    # breach live: the live alert (P1) stands for it, with no late record beside.
    e = started(min_distance_m=400.0, warning_distance_m=1100.0)
    e.apply(vfix(T0 - 300, HOME, acc=38))
    e.apply(vfix(T0, north_of(HOME, 15), acc=38))
    out: list[Decision] = []
    for k, metres in enumerate((1200, 600, 0)):
        pos = east_of(north_of(HOME, metres), 350)
        out += e.apply(rfix(T0 + 20 + 60 * k, pos, acc=7, speed=10.0, heading=180.0))
    assert breach_pages(out) == []
    now = e.apply(vfix(T0 + 180, north_of(HOME, 5), acc=10))
    opened = [d for d in now if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and not opened[0].late and opened[0].priority is Priority.P1


def test_a_pass_shown_by_fixes_far_apart_after_it_goes_on_record() -> None:
    # Head-on at 20 m/s on streets 100 m apart, under a 300 m order; they pass
    # level at T0. His fixes a minute apart (T0 - 30, T0 + 30); hers a network
    # fix (no course) where she set off at T0 - 60, then a moving one at T0 + 60:
    # at that one they are 1.8 km apart, beyond any warning, and only the lines
    # through both parties' fixes show the pass.
    e = started(min_distance_m=300.0, warning_distance_m=800.0)
    street = east_of(HOME, 100.0)
    out = e.apply(vfix(T0 - 65, north_of(street, 1200.0), acc=20))
    out += e.apply(rfix(T0 - 30, north_of(HOME, -600.0), acc=8, speed=20.0, heading=0.0))
    out += e.apply(rfix(T0 + 30, north_of(HOME, 600.0), acc=8, speed=20.0, heading=0.0))
    assert breach_pages(out) == []
    late = e.apply(vfix(T0 + 60, north_of(street, -1200.0), acc=8, speed=20.0, heading=180.0))
    opened = [d for d in breach_pages(late) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].late and opened[0].priority is Priority.P2
    assert opened[0].occurred_at == pytest.approx(T0, abs=2.0)


def bus_past_his_cell_report(minutes_of_cell: int, off_m: float) -> list[Decision]:
    """His phone reports 28 m network fixes every two minutes from one place (off
    the slow schedule: it may be walking), then only cell fixes (900 m) that agree
    with them, one every two minutes; 65 s after the last, her bus passes `off_m`
    from his place at 10 m/s (a satellite fix a minute, heading south)."""
    e = started()
    his = north_of(HOME, 2000)
    for k in range(4):
        e.apply(rfix(T0 + 120 * k, east_of(his, 8 * (k % 2)), acc=28))
    t = T0 + 480
    for _ in range(minutes_of_cell // 2):
        e.apply(rfix(t, north_of(his, -900), acc=900))
        t += 120
    out: list[Decision] = []
    for k, metres in enumerate((1200, 600, 0, -600, -1200)):
        pos = east_of(north_of(his, metres), off_m)
        out += e.apply(vfix(t - 175 + 60 * k, pos, acc=12, speed=10.0, heading=180.0))
    return out


def test_his_cell_report_leaves_his_finer_fix_as_evidence_of_where_he_was() -> None:
    # A cell report that agreed with his network fixes says only that he is
    # within its radius: his 28 m fix of two minutes before still shows where he
    # was, aged at walking pace since (not made worthless): her bus passing 60 m
    # from it under a 500 m order is a breach, paged at once on her moving fix.
    out = bus_past_his_cell_report(minutes_of_cell=2, off_m=60.0)
    assert pages_certain_once(out)
    opened = next(d for d in breach_pages(out) if d.kind is DecisionKind.OPENED)
    discounted = opened.evidence["discounted"]
    assert {"party": "respondent", "reason": "stale"} in discounted  # type: ignore[operator]


def test_his_finer_fix_under_cell_reports_ages_from_when_it_was_taken() -> None:
    # The same, but twelve minutes of cell reports only: he may have walked a
    # kilometre since his last real fix, so her bus 250 m from it is no breach
    # to page (it would be, had the cell reports kept his fix fresh).
    out = bus_past_his_cell_report(minutes_of_cell=12, off_m=250.0)
    assert breach_pages(out) == []
    shown = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert all(d.confidence is Confidence.POSSIBLE for d in shown)


def leap_before_a_drive_past() -> tuple[Engine, list[Decision]]:
    """Her phone at home (40 m network fixes every five minutes); its report just
    before his car passes is a multipath leap 330 m away (discounted, her home
    estimate kept); his car passes 130 m east of her home."""
    hers = (
        vfix(T0 - 600, HOME, acc=40),
        vfix(T0 - 300, north_of(HOME, 10), acc=40),
        vfix(T0, north_of(HOME, -330), acc=15, speed=0.1),
    )
    return drive_past(hers=hers, east_m=130.0)


def test_her_next_real_fix_at_home_confirms_a_pass_after_her_leap() -> None:
    # The leap says nothing of where she was when he passed, so the pass is never
    # certain live; her next real fix at home shows she had not left: the pass
    # goes on record (late, paged, P2).
    e, out = leap_before_a_drive_past()
    assert breach_pages(out) == []
    assert late_record(e, vfix(T0 + 300, north_of(HOME, 5), acc=40)).occurred_at == T0 + 140


def test_a_leap_after_a_kept_pass_confirms_nothing() -> None:
    # A pass kept for her still phone's next fix (370 m from her 10 m fix of seven
    # minutes before: only possible then). Her next report is a leap 330 m away,
    # discounted: her estimate is kept, but the leap is no evidence that she was
    # still at home; her real fixes then show her 450 m away (she had left).
    e = started(min_distance_m=400.0, warning_distance_m=1100.0)
    e.apply(vfix(T0 - 580, HOME, acc=10, speed=0.0))
    e.apply(vfix(T0 - 280, HOME, acc=10, speed=0.0))
    for k, metres in enumerate((1200, 600, 0, -600, -1200)):
        pos = east_of(north_of(HOME, metres), 370)
        e.apply(rfix(T0 + 20 + 60 * k, pos, acc=7, speed=10.0, heading=180.0))
    after = e.apply(vfix(T0 + 300, north_of(HOME, -330), acc=10, speed=0.0))
    for k in range(3):
        after += e.apply(vfix(T0 + 360 + 60 * k, north_of(HOME, -450), acc=10, speed=0.0))
    assert [d for d in after if d.rule == "proximity.breach"] == []


def ride_past_her_network_fix(her_next: tuple[float, float]) -> list[Decision]:
    """She cycles home at 6 m/s; her phone's next report, a minute on, is a 21 m
    network fix at home (no speed: taken as still riding, at her last pace). He
    rides south at 6 m/s along a street 250 m west of her home under a 350 m
    order, level with it 220 s after that fix (a fix a minute). Returns what her
    next fix, five minutes on at `her_next`, raised."""
    e = started(min_distance_m=350.0, warning_distance_m=800.0)
    e.apply(vfix(T0 - 280, north_of(HOME, 330.0), acc=8, speed=6.0, heading=180.0))
    e.apply(vfix(T0 - 220, north_of(HOME, 8.0), acc=21))
    out: list[Decision] = []
    for k in range(-2, 3):
        pos = east_of(north_of(HOME, -360.0 * k), -250.0)
        out += e.apply(rfix(T0 + 60 * k, pos, acc=5, speed=6.0, heading=180.0))
    assert breach_pages(out) == []  # aged at her pace, her fix shows nothing
    return e.apply(vfix(T0 + 80, her_next, acc=21))


def test_a_pass_by_her_old_network_fix_is_on_record_once_her_next_shows_she_stayed() -> None:
    # Aged 220 s at her riding pace, her fix put her anywhere within a
    # kilometre: the pass was not even possible then. Her next fix in the same
    # place says she had stopped; then the pass was 250 m from her: a late
    # record (P2).
    late = ride_past_her_network_fix(north_of(HOME, -6.0))
    opened = [d for d in breach_pages(late) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].late and opened[0].priority is Priority.P2
    assert opened[0].occurred_at == T0


def test_a_pass_by_her_old_network_fix_is_nothing_once_her_next_shows_she_left() -> None:
    assert breach_pages(ride_past_her_network_fix(east_of(HOME, 600.0))) == []


def rides_past_his_still_fix(her_older_by_s: float, off_m: float = 245.0) -> list[Decision]:
    """His phone, still at his workplace, reports for the first time (a 50 m
    fix at T0 + 1); she cycles past `off_m` from it at 6 m/s under a 350 m
    order, her fix (13 m, moving, no course) taken `her_older_by_s` before his.
    Each arrives 2 s after it was taken, hers first."""
    e = started(min_distance_m=350.0, warning_distance_m=800.0)
    work = east_of(HOME, 2000.0)
    e.apply(vfix(T0 - 60, east_of(north_of(work, off_m), -360.0), acc=13, speed=6.0))
    tv = T0 + 1 - her_older_by_s
    her = vfix(tv, east_of(north_of(work, off_m), -6.0 * her_older_by_s), acc=13, speed=6.0)
    his = rfix(T0 + 1, work, acc=50, speed=0.0, at=T0 + 3)
    return e.apply(msgspec.structs.replace(her, at=tv + 2.0)) + e.apply(his)


def test_her_moving_fix_taken_with_his_decides_it_at_once() -> None:
    # Her clock a second behind his: the two fixes were taken together (and
    # arrived a second apart), and her tight moving fix 245 m from his still
    # one pages at once (P1).
    assert pages_certain_once(rides_past_his_still_fix(1.0))


def test_her_moving_fix_half_a_minute_older_than_his_decides_nothing_at_once() -> None:
    # 30 s before his fix she was 180 m back along her street, 150 m from his
    # fix: she has moved far more than her 13 m accuracy since, so it is no
    # decisive fix (never paged at once).
    out = rides_past_his_still_fix(30.0, off_m=150.0)
    assert [d for d in breach_pages(out) if d.confidence is Confidence.CERTAIN] == []


def test_his_stay_near_her_after_a_two_fix_leap_on_arrival_pages_before_he_leaves() -> None:
    # She is at home (still 15 m fixes); he drives up and parks 80 m from her.
    # His first two still fixes are the same multipath leap 400 m away, then
    # three real ones agree where he is; his next fix drives off. The third
    # moves his estimate on three agreeing fixes: sustained already, it pages.
    e = started(min_distance_m=350.0, warning_distance_m=800.0)
    leap = east_of(north_of(HOME, -80), -400)
    fixes = [vfix(T0 - 590 + 180 * k, HOME, acc=15, speed=0.0) for k in range(8)]
    fixes.append(rfix(T0 - 60, north_of(HOME, -900), acc=8, speed=10.0, heading=0.0))
    fixes += [rfix(T0 + 180 * k, leap, acc=8, speed=0.0) for k in range(2)]
    fixes += [rfix(T0 + 360 + 180 * k, north_of(HOME, -80), acc=8, speed=0.0) for k in range(3)]
    out: list[Decision] = []
    for fix in sorted(fixes, key=lambda f: f.at):
        out += e.apply(fix)
    assert [d.occurred_at for d in breach_pages(out)] == [T0 + 720]


# -- version 11 --------------------------------------------------------------------


def test_her_tight_fix_outdoors_replaces_her_drifting_indoor_average() -> None:
    # Her indoor fixes (46 m) drift 60 m north of where she is; she steps out of
    # the door and her phone reports a 7 m fix where she stands. His car passes
    # 470 m south of her under a 500 m order half a minute later: her estimate
    # is her tight fix, not the drifting average (521 m from him), so his tight
    # moving fix pages at once.
    e = started()
    for k in range(4):
        e.apply(vfix(T0 - 900 + 300 * k, north_of(HOME, 60), acc=46, speed=0.0))
    e.apply(vfix(T0 + 2, HOME, acc=7, speed=0.1))
    out = e.apply(rfix(T0 + 30, north_of(HOME, -470), acc=11, speed=9.9, heading=90.0))
    assert pages_certain_once(out)


def test_her_leap_received_just_before_his_passing_fix_keeps_the_pass_for_her_next() -> None:
    # Her phone at home (40 m network fixes every five minutes); her report taken
    # a second after his car passes 130 m east of her home, and received before
    # his fix, is a multipath leap 330 m away. Her next real fix at home shows
    # she had not left: the pass goes on record.
    e = started(min_distance_m=400.0, warning_distance_m=1100.0)
    e.apply(vfix(T0 - 600, HOME, acc=40))
    e.apply(vfix(T0 - 300, north_of(HOME, 10), acc=40))
    out: list[Decision] = []
    for k, metres in enumerate((1200, 600)):
        pos = east_of(north_of(HOME, metres), 130.0)
        out += e.apply(rfix(T0 + 20 + 60 * k, pos, acc=7, speed=10.0, heading=180.0))
    out += e.apply(vfix(T0 + 141, north_of(HOME, -330), acc=15, speed=0.1, at=T0 + 142))
    out += e.apply(
        rfix(T0 + 140, east_of(HOME, 130.0), acc=7, speed=10.0, heading=180.0, at=T0 + 143)
    )
    for k, metres in enumerate((-600, -1200)):
        pos = east_of(north_of(HOME, metres), 130.0)
        out += e.apply(rfix(T0 + 200 + 60 * k, pos, acc=7, speed=10.0, heading=180.0))
    assert breach_pages(out) == []
    assert late_record(e, vfix(T0 + 300, north_of(HOME, 5), acc=40)).occurred_at == T0 + 140


def test_her_next_fix_drifted_within_two_radii_still_shows_she_stayed() -> None:
    # The drive-past at 370 m; her next fix (10 m) is 60 m from her last 38 m
    # network fix: indoor drift, not a walk (a walking phone reports every
    # minute). The pass goes on record.
    e, out = drive_past()
    assert breach_pages(out) == []
    assert late_record(e, vfix(T0 + 300, north_of(HOME, 75), acc=10)).occurred_at == T0 + 140


def test_a_late_fix_near_her_home_between_her_cell_reports_is_on_record() -> None:
    # Her still phone reports every five minutes; two of its reports are cell
    # fixes that agree with her Wi-Fi fix at home. His fixes from a coverage gap
    # arrive late: one 200 m from her door, four minutes after her Wi-Fi fix and
    # a minute before the first cell report. The cell reports on her slow
    # schedule show she had not left, so the breach goes on record.
    e = started(min_distance_m=400.0, warning_distance_m=900.0)
    e.apply(vfix(T0, HOME, acc=38))
    e.apply(vfix(T0 + 300, north_of(HOME, 300), acc=865))
    e.apply(vfix(T0 + 600, north_of(HOME, -900), acc=1444))
    e.apply(vfix(T0 + 900, north_of(HOME, 20), acc=66, speed=0.0))
    e.apply(rfix(T0 - 600, north_of(HOME, 4000), acc=8))
    out = e.apply(rfix(T0 + 240, north_of(HOME, 200), acc=6, speed=0.1, at=T0 + 1200))
    late = [d for d in out if d.rule == "proximity.breach" and d.kind is DecisionKind.OPENED]
    assert len(late) == 1 and late[0].late and late[0].pages


def ride_side_by_side(apart_m: float) -> list[Decision]:
    """They ride north together at 6 m/s on streets `apart_m` apart under a 500 m
    order, her fixes 28 s after his, for four minutes."""
    e = started(min_distance_m=500.0, warning_distance_m=1000.0)
    out: list[Decision] = []
    for k in range(5):
        t = T0 + 60 * k
        out += e.apply(rfix(t, north_of(HOME, 6.0 * 60 * k), acc=12, speed=6.0, heading=0.0))
        her = east_of(north_of(HOME, 6.0 * (60 * k + 28)), apart_m)
        out += e.apply(vfix(t + 28, her, acc=12, speed=6.0, heading=0.0))
    return out


def test_riders_side_by_side_just_within_the_limit_go_on_record() -> None:
    # 480 m apart: each fix carried on half a minute to the other's is only
    # possible, but the lines through both riders' fixes put them 480 m apart.
    opened = [d for d in breach_pages(ride_side_by_side(480.0)) if d.kind is DecisionKind.OPENED]
    assert opened and opened[0].late and opened[0].priority is Priority.P2
    assert opened[0].evidence["distance_m"] == pytest.approx(480.0, abs=5.0)
    assert "crossing" in opened[0].evidence


def test_riders_side_by_side_just_beyond_the_limit_do_not_page() -> None:
    assert breach_pages(ride_side_by_side(530.0)) == []


def stand_near_his_work(apart_m: float, his_acc: float = 8.0) -> list[Decision]:
    """He is still at his work, she stands `apart_m` south of him under a 350 m
    order: both phones still, reporting every 90 s for a quarter of an hour."""
    e = started(min_distance_m=350.0, warning_distance_m=1300.0)
    work = north_of(HOME, 3000)
    out: list[Decision] = []
    for k in range(10):
        t = T0 + 90 * k
        out += e.apply(rfix(t, work, acc=his_acc, speed=0.0))
        out += e.apply(vfix(t + 30, north_of(work, -apart_m), acc=13, speed=0.1))
    return out


def test_two_still_phones_under_open_sky_within_the_limit_page() -> None:
    # Her 13 m and his 8 m fixes (satellite, outdoors) agree on 330 m for a
    # quarter of an hour: open-sky fixes do not drift as indoor ones do, so the
    # breach is probable and pages.
    opened = [d for d in breach_pages(stand_near_his_work(330.0)) if d.kind is DecisionKind.OPENED]
    assert len(opened) == 1 and opened[0].confidence is Confidence.PROBABLE


def test_two_still_phones_under_open_sky_beyond_the_limit_do_not_page() -> None:
    assert breach_pages(stand_near_his_work(370.0)) == []


def test_his_indoor_fixes_near_the_limit_still_do_not_page() -> None:
    # The same 330 m with his fixes indoors (40 m): indoor drift may carry them
    # that far, so the breach is not probable.
    assert breach_pages(stand_near_his_work(330.0, his_acc=40.0)) == []


def test_her_moving_fix_after_his_by_the_servers_clock_decides_at_once() -> None:
    # His phone, still at his workplace on network fixes, runs 40 s fast: his
    # fix taken 20 s before hers reads 20 s after it. Both arrived on time, hers
    # 20 s after his: her tight moving fix 195 m from him decides at once.
    e = started(min_distance_m=350.0, warning_distance_m=800.0)
    work = east_of(HOME, 2000.0)
    for k in range(3):
        taken = T0 - 560 + 180 * k
        e.apply(rfix(taken + 40, work, acc=27, at=taken + 2))
    e.apply(vfix(T0 - 60, east_of(north_of(work, 195), -360), acc=11, speed=6.0, at=T0 - 58))
    out = e.apply(rfix(T0 + 20, work, acc=27, at=T0 - 18))
    out += e.apply(vfix(T0, north_of(work, 195), acc=11, speed=6.0, heading=90.0, at=T0 + 2))
    assert pages_certain_once(out)
