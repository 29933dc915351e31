"""Identity check-ins: the day's plan of random times, what was sent, the photos."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import sqlalchemy as sa

from korgoo.domain.terms import DeviceKind
from korgoo.store.app_records import AppDevice, new_id
from korgoo.store.schema import app_devices, checkins


class Checkin(msgspec.Struct, frozen=True):
    id: str
    order_id: str
    day: str
    send_at: float
    due_at: float | None
    sent_at: float | None
    photo_path: str | None
    photo_at: float | None
    device_id: str | None
    review: str | None = None  # confirmed | rejected
    reviewed_by: str | None = None
    reviewed_at: float | None = None
    review_note: str | None = None

    @property
    def on_time(self) -> bool | None:
        if self.photo_at is None or self.due_at is None:
            return None
        return self.photo_at <= self.due_at


def _rows(conn: sa.Connection, query: sa.Select[tuple[object, ...]]) -> list[Checkin]:
    return [msgspec.convert(r, Checkin, from_attributes=True) for r in conn.execute(query)]


def load(
    engine: sa.Engine,
    *,
    order_id: str | None = None,
    checkin_id: str | None = None,
    sent_only: bool = False,
) -> list[Checkin]:
    """Check-ins by send time. The plan of times not yet sent is kept from
    operators' lists too (`sent_only`): nobody can tell the respondent when."""
    query = sa.select(checkins).order_by(checkins.c.send_at)
    if sent_only:
        query = query.where(checkins.c.sent_at.is_not(None))
    if order_id is not None:
        query = query.where(checkins.c.order_id == order_id)
    if checkin_id is not None:
        query = query.where(checkins.c.id == checkin_id)
    with engine.connect() as conn:
        return _rows(conn, query)


def plan_day(conn: sa.Connection, order_id: str, day: str, times: Iterable[float]) -> None:
    """Store a day's plan of send times for an order."""
    for at in times:
        conn.execute(
            sa.insert(checkins).values(id=new_id(), order_id=order_id, day=day, send_at=at)
        )


def day_planned(conn: sa.Connection, order_id: str, day: str) -> bool:
    count = conn.scalar(
        sa.select(sa.func.count()).where(checkins.c.order_id == order_id, checkins.c.day == day)
    )
    return bool(count)


def due(engine: sa.Engine, now: float) -> list[Checkin]:
    """Planned check-ins whose send time has come and that were not sent yet."""
    query = sa.select(checkins).where(checkins.c.sent_at.is_(None), checkins.c.send_at <= now)
    with engine.connect() as conn:
        return _rows(conn, query)


def mark_sent(engine: sa.Engine, checkin_id: str, sent_at: float, due_at: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(checkins)
            .where(checkins.c.id == checkin_id)
            .values(sent_at=sent_at, due_at=due_at)
        )


def record_photo(engine: sa.Engine, checkin_id: str, path: str, at: float, device_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(checkins)
            .where(checkins.c.id == checkin_id)
            .values(photo_path=path, photo_at=at, device_id=device_id)
        )


def respondent_apps(engine: sa.Engine, order_id: str) -> list[AppDevice]:
    """The order's enrolled respondent apps whose credential still holds."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(app_devices).where(
                app_devices.c.order_id == order_id,
                app_devices.c.kind == DeviceKind.RESPONDENT_APP.value,
                app_devices.c.revoked_at.is_(None),
            )
        )
        return [msgspec.convert(r, AppDevice, from_attributes=True) for r in rows]


def record_review(
    conn: sa.Connection, checkin_id: str, *, review: str, by: str, at: float, note: str
) -> bool:
    """Store an operator's review of a check-in's photo, once: False when it had
    been reviewed already (or has no photo)."""
    query = (
        sa.update(checkins)
        .where(
            checkins.c.id == checkin_id,
            checkins.c.review.is_(None),
            checkins.c.photo_path.is_not(None),
        )
        .values(review=review, reviewed_by=by, reviewed_at=at, review_note=note)
    )
    return conn.execute(query).rowcount == 1


def awaiting_review(engine: sa.Engine, order_ids: Iterable[str] | None) -> list[Checkin]:
    """Check-ins with a photo no operator has reviewed yet, oldest first."""
    query = (
        sa.select(checkins)
        .where(checkins.c.photo_path.is_not(None), checkins.c.review.is_(None))
        .order_by(checkins.c.photo_at)
    )
    if order_ids is not None:
        query = query.where(checkins.c.order_id.in_(list(order_ids)))
    with engine.connect() as conn:
        return _rows(conn, query)
