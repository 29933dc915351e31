"""Identity check-ins: one the server asked for and the respondent did not make
by its deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from korgoo.domain.decisions import Decision, Priority
from korgoo.domain.events import Signal
from korgoo.domain.rules import EpisodeKey, Rule
from korgoo.engine.rules.common import close, instant, raise_certain

if TYPE_CHECKING:
    from korgoo.engine.monitor import OrderMonitor


def requested(m: OrderMonitor, due: float) -> None:
    m.checkin_due = due


def deadline(m: OrderMonitor, due: float, out: list[Decision]) -> None:
    """The deadline timer of a requested check-in ran out at `due`."""
    if m.checkin_due != due or not m.terms.active_at(due):
        return
    m.checkin_due = -1.0
    raise_certain(
        m,
        out,
        EpisodeKey(Rule.CHECKIN_MISSED, m.terms.respondent.person_id),
        at=due,
        occurred_at=due,
        priority=Priority.P3,
        pages=True,
        evidence={"due": due},
    )


def checked_in(m: OrderMonitor, t: float, now: float, out: list[Decision]) -> None:
    if m.checkin_due >= 0.0 and t <= m.checkin_due:
        m.checkin_due = -1.0
    close(m, out, EpisodeKey(Rule.CHECKIN_MISSED, m.terms.respondent.person_id), now, "checked_in")


def rejected(m: OrderMonitor, sig: Signal, now: float, out: list[Decision]) -> None:
    """An operator found the check-in photo is not the respondent: someone else
    carries his phone. Latching, like a strap opened: it needs an operator."""
    instant(
        m,
        out,
        EpisodeKey(Rule.CHECKIN_REJECTED, m.terms.respondent.person_id),
        at=now,
        occurred_at=sig.t,
        priority=Priority.P2,
        evidence={"signal": sig.kind.value, "device": sig.device_id},
    )
