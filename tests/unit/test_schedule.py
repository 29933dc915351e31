"""Weekly zone schedules in local time, against a plain datetime reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from korgoo.domain.schedule import (
    local_week_position,
    next_window,
    schedule_active,
    validate_exceptions,
    validate_schedule,
    zone_in_force,
)
from korgoo.domain.terms import ScheduleException, ScheduleWindow, ZoneSpec

BISHKEK = ZoneInfo("Asia/Bishkek")
MONDAY = datetime(2026, 6, 1, tzinfo=BISHKEK)  # a Monday
WEEK_MIN = 7 * 1440

OVERNIGHT = (ScheduleWindow(days=(0,), start=22 * 60, end=6 * 60),)  # Monday 22:00 - Tuesday 06:00
WORKDAYS = (ScheduleWindow(days=(0, 1, 2, 3, 4), start=8 * 60, end=17 * 60),)
SUNDAY_NIGHT = (ScheduleWindow(days=(6,), start=23 * 60, end=60),)  # Sunday 23:00 - Monday 01:00


def at(day: int, hh: int, mm: int, ss: float = 0.0) -> float:
    """Epoch time of local Bishkek time `hh:mm:ss` on weekday `day` (0 = Monday) of that week."""
    local = MONDAY + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)
    assert local.weekday() == day
    return local.timestamp()


def reference(windows: tuple[ScheduleWindow, ...], t: float, tz: str) -> bool:
    """Minute-of-week intervals on a datetime, written independently of the module."""
    if not windows:
        return True
    local = datetime.fromtimestamp(t, ZoneInfo(tz))
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute + local.second / 60
    for w in windows:
        length = w.end - w.start + (1440 if w.end <= w.start else 0)
        for d in w.days:
            if (minute - (d * 1440 + w.start)) % WEEK_MIN < length:
                return True
    return False


def test_empty_schedule_is_always_in_force() -> None:
    assert schedule_active((), at(2, 3, 0))
    assert schedule_active((), 0.0)


@pytest.mark.parametrize(
    ("t", "active"),
    [
        (at(0, 21, 59, 59), False),
        (at(0, 22, 0), True),  # exactly at start: in
        (at(0, 23, 59, 59.5), True),
        (at(1, 0, 0), True),  # past midnight, into Tuesday
        (at(1, 5, 59, 59.999), True),
        (at(1, 6, 0), False),  # exactly at end: out
        (at(1, 22, 30), False),  # Tuesday is not one of the days
        (at(0, 3, 0), False),  # Monday early morning belongs to a Sunday window
    ],
)
def test_window_running_past_midnight(t: float, active: bool) -> None:
    assert schedule_active(OVERNIGHT, t) is active


@pytest.mark.parametrize(
    ("t", "active"),
    [
        (at(6, 22, 59), False),
        (at(6, 23, 0), True),  # Sunday night
        (at(0, 0, 30), True),  # into Monday: the week wraps
        (at(0, 1, 0), False),
        (at(5, 23, 30), False),  # Saturday
    ],
)
def test_sunday_window_runs_into_monday(t: float, active: bool) -> None:
    assert schedule_active(SUNDAY_NIGHT, t) is active


@pytest.mark.parametrize(
    ("t", "active"),
    [
        (at(0, 8, 0), True),
        (at(0, 7, 59, 59), False),
        (at(4, 16, 59), True),
        (at(4, 17, 0), False),
        (at(5, 12, 0), False),  # Saturday
        (at(6, 12, 0), False),  # Sunday
    ],
)
def test_workday_window(t: float, active: bool) -> None:
    assert schedule_active(WORKDAYS, t) is active


def test_a_window_from_midnight_to_midnight_covers_the_whole_day() -> None:
    whole_monday = (ScheduleWindow(days=(0,), start=0, end=0),)
    till_midnight = (ScheduleWindow(days=(0,), start=0, end=1440),)
    for windows in (whole_monday, till_midnight):
        assert schedule_active(windows, at(0, 0, 0))
        assert schedule_active(windows, at(0, 23, 59, 59))
        assert not schedule_active(windows, at(1, 0, 0))
        assert not schedule_active(windows, at(6, 23, 59, 59))


def test_local_time_is_bishkek_time_not_utc() -> None:
    t = datetime(2026, 6, 1, 20, 0, tzinfo=UTC).timestamp()  # Tuesday 02:00 in Bishkek (UTC+6)
    assert local_week_position(t, "Asia/Bishkek") == (1, 2 * 3600.0)
    assert schedule_active(OVERNIGHT, t)
    assert not schedule_active(OVERNIGHT, t, tz="UTC")  # Monday 20:00 UTC


@pytest.mark.parametrize(
    ("tz", "transition_utc"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
        ("America/St_Johns", datetime(2026, 3, 8, 5, 30, tzinfo=UTC)),  # mid-hour in UTC
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, 0, tzinfo=UTC)),  # 30-minute shift
        ("Asia/Bishkek", datetime(2005, 8, 11, 21, 30, tzinfo=UTC)),  # the last change, 2005
    ],
)
def test_offset_changes_follow_the_zone_database(tz: str, transition_utc: datetime) -> None:
    windows = (
        ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=60, end=150),
        ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=150, end=200),
        ScheduleWindow(days=(6,), start=1380, end=190),
    )
    start = transition_utc.timestamp()
    for step in range(-4 * 3600, 4 * 3600, 30):
        t = start + step
        assert schedule_active(windows, t, tz) is reference(windows, t, tz), (tz, step)
        assert local_week_position(t, tz) == _reference_position(t, tz), (tz, step)


def _reference_position(t: float, tz: str) -> tuple[int, float]:
    local = datetime.fromtimestamp(t, ZoneInfo(tz))
    return local.weekday(), local.hour * 3600.0 + local.minute * 60 + local.second


windows_strategy = st.lists(
    st.builds(
        ScheduleWindow,
        days=st.sets(st.integers(0, 6), min_size=1).map(lambda d: tuple(sorted(d))),
        start=st.integers(0, 1439),
        end=st.integers(0, 1440),
    ),
    max_size=4,
).map(tuple)


@settings(max_examples=600, deadline=None)
@given(
    windows_strategy,
    st.integers(631_152_000, 2_240_611_200),  # 1990 to 2041, whole seconds
    st.sampled_from(["Asia/Bishkek", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe"]),
)
def test_schedule_agrees_with_datetime_reference(
    windows: tuple[ScheduleWindow, ...], t: int, tz: str
) -> None:
    validate_schedule(windows)
    assert schedule_active(windows, float(t), tz) is reference(windows, float(t), tz)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (ScheduleWindow(days=(), start=0, end=60), "days must be 0 (Monday) to 6 (Sunday)"),
        (ScheduleWindow(days=(7,), start=0, end=60), "days must be"),
        (ScheduleWindow(days=(0,), start=1440, end=60), "start must be 0 to 1439"),
        (ScheduleWindow(days=(0,), start=-1, end=60), "start must be"),
        (ScheduleWindow(days=(0,), start=0, end=1441), "end must be 0 to 1440"),
    ],
)
def test_bad_windows_are_refused(window: ScheduleWindow, message: str) -> None:
    ok = ScheduleWindow(days=(1,), start=0, end=60)
    with pytest.raises(ValueError, match=r"^schedule window 2: ") as err:
        validate_schedule((ok, window))
    assert message in str(err.value)


def test_an_approved_exception_takes_its_night_out_of_the_curfew() -> None:
    # Curfew 22:00-06:00 in Bishkek (UTC+6) every day; 2026-11-30 is a Monday.
    night = ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60)
    monday_23h = datetime(2026, 11, 30, 17, 0, tzinfo=UTC).timestamp()  # 23:00 local
    shift = ScheduleException(monday_23h - 3600, monday_23h + 7 * 3600, "night shift", "officer")
    zone = ZoneSpec("home", "Home", "inclusion", {}, schedule=(night,), exceptions=(shift,))
    assert not zone_in_force(zone, monday_23h, "Asia/Bishkek")
    assert zone_in_force(zone, monday_23h + 86400, "Asia/Bishkek")  # the next night
    assert zone_in_force(zone, shift.end, "Asia/Bishkek") is (
        schedule_active((night,), shift.end, "Asia/Bishkek")
    )
    validate_exceptions((shift,))
    for bad, why in (
        (ScheduleException(10.0, 10.0, "x"), "end after it starts"),
        (ScheduleException(0.0, 40 * 86400.0, "x"), "31 days"),
        (ScheduleException(0.0, 10.0, "  "), "reason"),
    ):
        with pytest.raises(ValueError, match=why):
            validate_exceptions((bad,))


def test_next_window_is_tonights_curfew_and_then_tomorrows() -> None:
    nightly = (ScheduleWindow(days=(0, 1, 2, 3, 4, 5, 6), start=22 * 60, end=6 * 60),)
    noon = datetime(2026, 11, 30, 6, 0, tzinfo=UTC).timestamp()  # Monday 12:00 Bishkek
    tonight = (noon + 10 * 3600, noon + 18 * 3600)  # 22:00 to 06:00 Bishkek
    assert next_window(nightly, noon) == tonight
    assert next_window(nightly, tonight[0] + 60) == tonight  # in force now
    assert next_window(nightly, tonight[1]) == (tonight[0] + 86400, tonight[1] + 86400)
    assert next_window((), noon) is None
