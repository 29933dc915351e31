"""What a shift hands to the next: notes left for it, and the last action taken
on each open alert (one query for all of them)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final

import msgspec
import sqlalchemy as sa

from korgoo.alerts.model import Transition, TransitionKind
from korgoo.store.schema import alert_transitions, shift_notes

# What a person (or the SLA timer) did about an alert; the engine's raising and
# updating it are not actions of the shift.
ACTION_KINDS: Final = (
    TransitionKind.ACKNOWLEDGED,
    TransitionKind.NOTE,
    TransitionKind.CALL_LOGGED,
    TransitionKind.STAGE,
    TransitionKind.ESCALATED,
)


class ShiftNote(msgspec.Struct, frozen=True):
    id: int
    at: float
    username: str
    district: str | None
    text: str


def add_note(
    conn: sa.Connection, *, at: float, username: str, district: str | None, text: str
) -> int:
    row = conn.execute(
        sa.insert(shift_notes)
        .values(at=at, username=username, district=district, text=text)
        .returning(shift_notes.c.id)
    ).scalar_one()
    return int(row)


def notes_since(
    engine: sa.Engine, since: float, districts: Collection[str] | None, limit: int = 200
) -> list[ShiftNote]:
    """Notes left since `since`, newest first. A note with no district is for
    everyone; a district's note only for users who see that district."""
    query = (
        sa.select(shift_notes)
        .where(shift_notes.c.at >= since)
        .order_by(shift_notes.c.at.desc(), shift_notes.c.id.desc())
        .limit(limit)
    )
    if districts is not None:
        query = query.where(
            sa.or_(shift_notes.c.district.is_(None), shift_notes.c.district.in_(list(districts)))
        )
    with engine.connect() as conn:
        return [msgspec.convert(r, ShiftNote, from_attributes=True) for r in conn.execute(query)]


def last_actions(engine: sa.Engine, alert_keys: Iterable[str]) -> dict[str, Transition]:
    """Each alert's newest action (acknowledged, note, call, stage, escalation)."""
    keys = list(alert_keys)
    if not keys:
        return {}
    newest = (
        sa.select(sa.func.max(alert_transitions.c.id).label("id"))
        .where(
            alert_transitions.c.alert_key.in_(keys),
            alert_transitions.c.kind.in_([k.value for k in ACTION_KINDS]),
        )
        .group_by(alert_transitions.c.alert_key)
        .subquery()
    )
    query = sa.select(alert_transitions).join(newest, newest.c.id == alert_transitions.c.id)
    with engine.connect() as conn:
        found = [msgspec.convert(r, Transition, from_attributes=True) for r in conn.execute(query)]
    return {t.alert_key: t for t in found}
