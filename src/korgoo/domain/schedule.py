"""Weekly schedules of zones (curfews, school hours) in local time.

`schedule_active` runs for every fix against every scheduled zone, so the local
time is found without building a datetime: the zone's UTC offset is looked up
once per UTC hour (cached) and the rest is arithmetic on epoch seconds.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from korgoo.domain.terms import ScheduleWindow

MINUTES_PER_DAY = 1440
_HOUR_S = 3600
_DAY_S = 86400
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday is 0


def _offset_s(tz: str, t: float) -> float:
    offset = datetime.fromtimestamp(t, ZoneInfo(tz)).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset.total_seconds()


@lru_cache(maxsize=4096)
def _hour_offset_s(tz: str, hour: int) -> float | None:
    """The UTC offset throughout UTC hour `hour`, or None if it changes within it.

    Offsets change at whole seconds and at most once an hour, so equal offsets at
    the first and last second of the hour hold for all of it.
    """
    start = hour * _HOUR_S
    offset = _offset_s(tz, start)
    return offset if _offset_s(tz, start + _HOUR_S - 1) == offset else None


def local_week_position(t: float, tz: str) -> tuple[int, float]:
    """(weekday, seconds after local midnight) at epoch time `t` in zone `tz`. Monday is 0."""
    offset = _hour_offset_s(tz, int(t // _HOUR_S))
    local = t + (_offset_s(tz, t) if offset is None else offset)
    day = local // _DAY_S
    return int(day + _EPOCH_WEEKDAY) % 7, local - day * _DAY_S


def schedule_active(
    windows: tuple[ScheduleWindow, ...], t: float, tz: str = "Asia/Bishkek"
) -> bool:
    """Whether a schedule is in force at epoch time `t`. No windows: always in force.

    A window covers [start, end) on each of its days; with end <= start it runs
    from start on its day to end on the next day.
    """
    if not windows:
        return True
    # local_week_position, inlined: this runs per fix.
    offset = _hour_offset_s(tz, int(t // _HOUR_S))
    local = t + (_offset_s(tz, t) if offset is None else offset)
    day = local // _DAY_S
    second = local - day * _DAY_S
    weekday = int(day + _EPOCH_WEEKDAY) % 7
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


def validate_schedule(windows: tuple[ScheduleWindow, ...]) -> None:
    """Raise ValueError, saying which window is wrong and how, for a schedule that cannot run."""
    for n, w in enumerate(windows, start=1):
        if not w.days or any(not 0 <= d <= 6 for d in w.days):
            raise ValueError(
                f"schedule window {n}: days must be 0 (Monday) to 6 (Sunday), got {w.days}"
            )
        if not 0 <= w.start < MINUTES_PER_DAY:
            raise ValueError(
                f"schedule window {n}: start must be 0 to 1439 minutes after midnight,"
                f" got {w.start}"
            )
        if not 0 <= w.end <= MINUTES_PER_DAY:
            raise ValueError(
                f"schedule window {n}: end must be 0 to 1440 minutes after midnight, got {w.end}"
            )
