"""Weekly schedules of zones (curfews, school hours) in local time.

`schedule_active` runs for every fix against every scheduled zone, so the local
time is found without building a datetime: local midnight and the weekday are
looked up once per UTC hour (cached); the rest is a subtraction.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache
from math import floor
from zoneinfo import ZoneInfo

from korgoo.domain.terms import ScheduleException, ScheduleWindow, ZoneSpec
from korgoo.domain.text import N_

MINUTES_PER_DAY = 1440
_HOUR_S = 3600
_DAY_S = 86400
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0


def _offset_s(tz: str, t: float) -> int:
    offset = datetime.fromtimestamp(t, ZoneInfo(tz)).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return int(offset.total_seconds())  # whole seconds in the tz database


@lru_cache(maxsize=4096)
def _hour_local_day(tz: str, hour: float) -> tuple[int, int] | None:
    """(epoch time of local midnight, weekday) valid throughout UTC hour `hour`.

    None when the hour holds an offset change or a local midnight (zones whose
    offset is not a whole number of hours). Offsets change at whole seconds and
    at most once an hour, so checking the hour's first and last second suffices.
    """
    start = int(hour) * _HOUR_S
    offset = _offset_s(tz, start)
    if _offset_s(tz, start + _HOUR_S - 1) != offset:
        return None
    day = (start + offset) // _DAY_S
    if (start + offset + _HOUR_S - 1) // _DAY_S != day:
        return None
    return day * _DAY_S - offset, (day + _EPOCH_WEEKDAY) % 7


def local_week_position(t: float, tz: str) -> tuple[int, float]:
    """(weekday, seconds after local midnight) at epoch time `t` in zone `tz`. Monday is 0."""
    cached = _hour_local_day(tz, t // _HOUR_S)
    if cached is not None:
        midnight, weekday = cached
        return weekday, t - midnight
    local = t + _offset_s(tz, t)
    day = floor(local) // _DAY_S
    return (day + _EPOCH_WEEKDAY) % 7, local - day * _DAY_S


def schedule_active(
    windows: tuple[ScheduleWindow, ...], t: float, tz: str = "Asia/Bishkek"
) -> bool:
    """Whether a schedule is in force at epoch time `t`. No windows: always in force.

    A window covers [start, end) on each of its days; with end <= start it runs
    from start on its day to end on the next day.
    """
    if not windows:
        return True
    weekday, second = local_week_position(t, tz)
    yesterday = (weekday + 6) % 7
    for w in windows:
        start = w.start * 60
        end = w.end * 60
        if end > start:
            if start <= second < end and weekday in w.days:
                return True
        elif (second >= start and weekday in w.days) or (second < end and yesterday in w.days):
            return True
    return False


def zone_in_force(spec: ZoneSpec, t: float, tz: str = "Asia/Bishkek") -> bool:
    """Whether a zone is in force at `t`: inside its weekly schedule (or it has
    none) and outside every approved exception."""
    for e in spec.exceptions:
        if e.start <= t < e.end:
            return False
    return schedule_active(spec.schedule, t, tz)


def next_window(
    windows: tuple[ScheduleWindow, ...], t: float, tz: str = "Asia/Bishkek", days: int = 8
) -> tuple[float, float] | None:
    """The window of a weekly schedule in force at `t` or the next to start
    (epoch [start, end)); None without windows or none within `days`."""
    zone = ZoneInfo(tz)
    today = datetime.fromtimestamp(t, zone).date()
    found: list[tuple[float, float]] = []
    for d in range(-1, days):  # yesterday's window may run past midnight into today
        day = today + timedelta(days=d)
        midnight = datetime.combine(day, time(), zone).timestamp()
        for w in windows:
            if day.weekday() in w.days:
                end = w.end if w.end > w.start else MINUTES_PER_DAY + w.end
                window = (midnight + w.start * 60, midnight + end * 60)
                if window[1] > t:
                    found.append(window)
    return min(found) if found else None


# An exception is an approved absence, not a second schedule: a few weeks at
# most, and a few dozen per zone (a new order version replaces a long-lasting one).
MAX_EXCEPTION_S = 31 * 86400.0
MAX_EXCEPTIONS = 60
MAX_REASON = 300


def validate_exceptions(exceptions: tuple[ScheduleException, ...]) -> None:
    """Raise ValueError, saying which exception is wrong and how."""
    if len(exceptions) > MAX_EXCEPTIONS:
        raise ValueError(
            N_(
                "at most {max_exceptions} exceptions per zone, got {exceptions}",
                max_exceptions=MAX_EXCEPTIONS,
                exceptions=len(exceptions),
            )
        )
    for n, e in enumerate(exceptions, start=1):
        if not e.end > e.start:
            raise ValueError(N_("exception {n}: it must end after it starts", n=n))
        if e.end - e.start > MAX_EXCEPTION_S:
            raise ValueError(N_("exception {n}: at most 31 days long", n=n))
        if not e.reason.strip() or len(e.reason) > MAX_REASON:
            raise ValueError(
                N_(
                    "exception {n}: give a reason of 1 to {max_reason} characters",
                    n=n,
                    max_reason=MAX_REASON,
                )
            )


def validate_schedule(windows: tuple[ScheduleWindow, ...]) -> None:
    """Raise ValueError, saying which window is wrong and how, for a schedule that cannot run."""
    for n, w in enumerate(windows, start=1):
        if not w.days or any(not 0 <= d <= 6 for d in w.days):
            raise ValueError(
                N_(
                    "schedule window {n}: days must be 0 (Monday) to 6 (Sunday), got {days}",
                    n=n,
                    days=w.days,
                )
            )
        if not 0 <= w.start < MINUTES_PER_DAY:
            raise ValueError(
                N_(
                    "schedule window {n}: start must be 0 to 1439 minutes after midnight,"
                    " got {start}",
                    n=n,
                    start=w.start,
                )
            )
        if not 0 <= w.end <= MINUTES_PER_DAY:
            raise ValueError(
                N_(
                    "schedule window {n}: end must be 0 to 1440 minutes after midnight, got {end}",
                    n=n,
                    end=w.end,
                )
            )
