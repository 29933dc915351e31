"""A late episode (raised for the record from buffered fixes) returns to normal
by its own late CLEARED, while a late CLEARED never clears a live alert."""

from __future__ import annotations

from korgoo.alerts.book import AlertBook
from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority


def decision(kind: DecisionKind, key: str, late: bool, at: float = 100.0) -> Decision:
    return Decision(
        kind=kind,
        at=at,
        order_id="o1",
        rule="proximity.breach",
        alert_key=key,
        subject="prot",
        priority=Priority.P2 if kind is DecisionKind.OPENED else None,
        confidence=Confidence.PROBABLE if kind is DecisionKind.OPENED else None,
        pages=kind is DecisionKind.OPENED,
        late=late,
    )


def test_late_episode_is_returned_to_normal_by_its_late_clear() -> None:
    book = AlertBook()
    key = "o1:proximity.breach:prot:2"
    book.apply(decision(DecisionKind.OPENED, key, late=True))
    out = book.apply(decision(DecisionKind.CLEARED, key, late=True))
    assert [t.kind.value for t in out] == ["returned_to_normal"]
    alert = book.get(key)
    assert alert is not None and alert.late and not alert.active and not alert.resolved


def test_late_clear_never_clears_a_live_alert() -> None:
    book = AlertBook()
    key = "o1:proximity.breach:prot:1"
    book.apply(decision(DecisionKind.OPENED, key, late=False))
    assert book.apply(decision(DecisionKind.CLEARED, key, late=True, at=110.0)) == []
    alert = book.get(key)
    assert alert is not None and alert.active
