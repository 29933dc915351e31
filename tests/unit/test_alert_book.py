from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from korgoo.alerts.book import AlertBook
from korgoo.alerts.escalation import DEFAULT_TABLE, PolicyRow, with_rows
from korgoo.alerts.machine import AlertError
from korgoo.alerts.model import (
    Alert,
    EscalationStep,
    Outcome,
    Transition,
    TransitionKind,
)
from korgoo.alerts.policy import default_policy
from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority

T0 = 1_700_000_000.0
BREACH = "o1:proximity.breach:pp1:1"
STRAP = "o2:device.strap:dev9:1"
BATTERY = "o3:battery.low:dev3:1"


def decision(kind: DecisionKind, key: str, at: float, **fields: object) -> Decision:
    order, rule, subject, _ = key.split(":")
    base: dict[str, object] = {
        "order_id": order,
        "rule": rule,
        "alert_key": key,
        "subject": subject,
        "priority": Priority.P1,
        "confidence": Confidence.PROBABLE,
        "pages": True,
        "occurred_at": at - 1,
    }
    base.update(fields)
    return Decision(kind=kind, at=at, **base)  # type: ignore[arg-type]


def encode(transitions: list[Transition]) -> bytes:
    return msgspec.json.encode(transitions)


def test_opened_raises_once() -> None:
    book = AlertBook()
    first = book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    assert [t.kind for t in first] == [TransitionKind.RAISED]
    assert book.apply(decision(DecisionKind.OPENED, BREACH, T0)) == []
    assert [a.alert_key for a in book.alerts()] == [BREACH]


@pytest.mark.parametrize("kind", [DecisionKind.INSTRUCT, DecisionKind.WARN, DecisionKind.REJECTED])
def test_messages_and_rejections_are_not_alerts(kind: DecisionKind) -> None:
    book = AlertBook()
    assert book.apply(decision(kind, BREACH, T0)) == []
    assert book.alerts() == []


def test_an_update_for_an_episode_never_seen_still_raises() -> None:
    book = AlertBook()
    [t] = book.apply(decision(DecisionKind.UPDATED, BREACH, T0))
    assert t.kind is TransitionKind.RAISED
    assert book.apply(decision(DecisionKind.CLEARED, STRAP, T0)) == []  # nothing to clear


def test_full_episode_through_the_book() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    assert book.acknowledge(BREACH, "op1", T0 + 20)[0].kind is TransitionKind.ACKNOWLEDGED
    book.record_stage(BREACH, "police_notified", T0 + 30, "op1")
    book.log_call(BREACH, "op1", T0 + 35, party="protected", outcome="answered")
    book.add_note(BREACH, "op1", T0 + 36, "protected person safe indoors")
    with pytest.raises(AlertError, match="still active"):
        book.resolve(BREACH, "op1", T0 + 40, Outcome.CONFIRMED_VIOLATION, "arrested")
    book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 50))
    ts = book.resolve(BREACH, "op1", T0 + 60, Outcome.CONFIRMED_VIOLATION, "arrested")
    assert ts[-1].kind is TransitionKind.RESOLVED
    assert book.get(BREACH) is None and book.alerts() == []
    with pytest.raises(AlertError, match="no open alert"):
        book.acknowledge(BREACH, "op1", T0 + 70)


def test_auto_close_flag_removes_an_acknowledged_alert_on_return_to_normal() -> None:
    book = AlertBook(auto_close_acked_rtn=True)
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    book.acknowledge(BREACH, "op1", T0 + 5)
    ts = book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 9))
    assert [t.kind for t in ts] == [TransitionKind.RETURNED_TO_NORMAL, TransitionKind.RESOLVED]
    assert book.alerts() == []


def test_replayed_decisions_after_resolution_raise_nothing() -> None:
    book = AlertBook()
    stream = [
        decision(DecisionKind.OPENED, BREACH, T0),
        decision(DecisionKind.UPDATED, BREACH, T0 + 5, confidence=Confidence.CERTAIN),
        decision(DecisionKind.CLEARED, BREACH, T0 + 10),
    ]
    for d in stream:
        book.apply(d)
    book.resolve(BREACH, "op1", T0 + 30, Outcome.CONFIRMED_VIOLATION, "police attended")
    for d in stream:
        assert book.apply(d) == []
    assert book.alerts() == []


def test_condition_back_after_resolution_reopens_as_a_new_alert() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 10))
    book.resolve(BREACH, "op1", T0 + 30, Outcome.CONFIRMED_VIOLATION, "police attended")
    [t] = book.apply(decision(DecisionKind.UPDATED, BREACH, T0 + 40))
    assert t.kind is TransitionKind.RAISED
    assert t.alert_key == f"{BREACH}/reopened-1" and t.details["reopens"] == BREACH
    # further decisions for the episode reach the reopened alert
    [c] = book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 50))
    assert c.kind is TransitionKind.RETURNED_TO_NORMAL and c.alert_key == f"{BREACH}/reopened-1"


def test_a_live_condition_judged_false_reopens_only_when_it_gets_worse() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0, confidence=Confidence.POSSIBLE))
    ts = book.resolve(BREACH, "op1", T0 + 30, Outcome.GPS_FALSE_ALARM, "fix 300 m off, indoors")
    assert ts[-1].details["condition_active"] is True
    same = decision(DecisionKind.UPDATED, BREACH, T0 + 40, confidence=Confidence.POSSIBLE)
    assert book.apply(same) == []  # the operator's judgement holds
    worse = decision(DecisionKind.UPDATED, BREACH, T0 + 50, confidence=Confidence.CERTAIN)
    [t] = book.apply(worse)
    assert t.kind is TransitionKind.RAISED and t.alert_key == f"{BREACH}/reopened-1"
    assert book.get(f"{BREACH}/reopened-1") is not None


def test_a_false_judged_episode_cleared_by_the_engine_reopens_on_any_return() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    book.resolve(BREACH, "op1", T0 + 30, Outcome.DEVICE_FAULT, "bracelet reboot loop")
    assert book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 40)) == []
    [t] = book.apply(decision(DecisionKind.UPDATED, BREACH, T0 + 50))
    assert t.kind is TransitionKind.RAISED


def test_load_restores_live_and_resolved_alerts() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    book.apply(decision(DecisionKind.OPENED, STRAP, T0 + 1, priority=Priority.P2))
    book.apply(decision(DecisionKind.CLEARED, STRAP, T0 + 2))
    book.resolve(STRAP, "op1", T0 + 5, Outcome.TECHNICAL_FALSE_ALARM, "strap reseated")
    live = book.alerts()
    resolved_strap = Alert(
        alert_key=STRAP,
        order_id="o2",
        rule="device.strap",
        subject="dev9",
        priority=Priority.P2,
        confidence=None,
        pages=True,
        opened_at=T0 + 1,
        occurred_at=T0,
        policy=default_policy(Priority.P2),
        active=False,
        acked=True,
        acked_at=T0 + 5,
        resolved=True,
        resolved_at=T0 + 5,
        outcome=Outcome.TECHNICAL_FALSE_ALARM,
    )
    restarted = AlertBook()
    restarted.load([*live, resolved_strap])
    assert restarted.alerts() == live
    assert restarted.apply(decision(DecisionKind.OPENED, BREACH, T0)) == []
    assert restarted.apply(decision(DecisionKind.OPENED, STRAP, T0 + 1)) == []
    assert restarted.tick(T0 + 1000) == book.tick(T0 + 1000)


def test_queue_is_priority_then_age() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BATTERY, T0, priority=Priority.P3))
    book.apply(decision(DecisionKind.OPENED, STRAP, T0 + 1, priority=Priority.P2))
    book.apply(decision(DecisionKind.OPENED, "o4:zone.exclusion:z1:1", T0 + 2, priority=None))
    book.apply(decision(DecisionKind.OPENED, BREACH, T0 + 3))
    book.apply(decision(DecisionKind.OPENED, "o5:panic:dev5:1", T0 + 4))
    assert [a.alert_key for a in book.alerts()] == [
        BREACH,
        "o5:panic:dev5:1",
        STRAP,
        "o4:zone.exclusion:z1:1",
        BATTERY,
    ]
    # acknowledged and returned to normal, a P1 goes below the active P1 but
    # stays above every lower priority: it is never lost
    book.acknowledge(BREACH, "op1", T0 + 10)
    book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 11))
    assert [a.alert_key for a in book.alerts()][:3] == ["o5:panic:dev5:1", BREACH, STRAP]


def test_queue_puts_active_then_unacknowledged_first_within_a_priority() -> None:
    book = AlertBook()
    keys = [f"o{i}:proximity.breach:pp{i}:1" for i in range(4)]
    for i, key in enumerate(keys):  # keys[0] is the oldest
        book.apply(decision(DecisionKind.OPENED, key, T0 + i))
    book.apply(decision(DecisionKind.CLEARED, keys[0], T0 + 10))  # returned, unacknowledged
    book.acknowledge(keys[1], "op1", T0 + 11)  # active, acknowledged
    book.acknowledge(keys[2], "op1", T0 + 12)
    book.apply(decision(DecisionKind.CLEARED, keys[2], T0 + 13))  # returned, acknowledged
    assert [a.alert_key for a in book.alerts()] == [keys[3], keys[1], keys[0], keys[2]]
    # within one class, the oldest first
    book.apply(decision(DecisionKind.OPENED, "o9:proximity.breach:pp9:1", T0 + 20))
    assert [a.alert_key for a in book.alerts()][:2] == [keys[3], "o9:proximity.breach:pp9:1"]


def test_a_two_hour_old_p1_does_not_push_a_fresh_sos_down() -> None:
    book = AlertBook()
    old = "o1:proximity.breach:pp1:1"
    sos = "o2:panic:pp2:1"
    book.apply(decision(DecisionKind.OPENED, old, T0))
    book.acknowledge(old, "op1", T0 + 60)
    book.apply(decision(DecisionKind.OPENED, sos, T0 + 7200, rule="panic"))
    book.apply(decision(DecisionKind.CLEARED, sos, T0 + 7200, rule="panic"))
    (first, second) = book.alerts()
    assert first.alert_key == sos and first.active
    assert second.alert_key == old


def test_an_instantaneous_alarm_stays_active_until_acknowledged() -> None:
    book = AlertBook()
    sos = "o2:panic:pp2:1"
    book.apply(decision(DecisionKind.OPENED, sos, T0, rule="panic"))
    cleared = book.apply(decision(DecisionKind.CLEARED, sos, T0, rule="panic"))
    held = book.get(sos)
    assert held is not None and held.active and held.returned_at == T0
    assert [t.kind for t in cleared] == [TransitionKind.UPDATED]
    assert cleared[0].details["condition_ended"] is True
    acked = book.acknowledge(sos, "op1", T0 + 30)
    assert [t.kind for t in acked] == [
        TransitionKind.ACKNOWLEDGED,
        TransitionKind.RETURNED_TO_NORMAL,
    ]
    after = book.get(sos)
    assert after is not None and not after.active and after.returned_at == T0
    # a breach is not latching: it returns to normal with its condition
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    book.apply(decision(DecisionKind.CLEARED, BREACH, T0 + 5))
    breach = book.get(BREACH)
    assert breach is not None and not breach.active


def test_a_held_alarm_may_be_resolved_as_a_confirmed_violation() -> None:
    book = AlertBook()
    strap = "o2:device.strap:dev9:1"
    book.apply(decision(DecisionKind.OPENED, strap, T0, rule="device.strap"))
    book.apply(decision(DecisionKind.CLEARED, strap, T0 + 3, rule="device.strap"))
    book.resolve(strap, "op1", T0 + 40, Outcome.CONFIRMED_VIOLATION, "strap cut")
    assert book.get(strap) is None


def test_policy_is_frozen_when_the_alert_opens() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    edited = PolicyRow("panic", Priority.P1, 10.0, (EscalationStep(10.0, "supervisor"),))
    book.set_table(with_rows(DEFAULT_TABLE, [edited]))
    assert book.tick(T0 + 59) == []
    ts = book.tick(T0 + 200)
    assert [(t.at, t.details["notify"]) for t in ts] == [
        (T0 + 60, "supervisor"),
        (T0 + 120, "police_duty"),
    ]
    book.apply(decision(DecisionKind.OPENED, "o5:panic:dev5:1", T0 + 300))
    assert book.get("o5:panic:dev5:1").policy.revision == "policy.1/panic/P1"  # type: ignore[union-attr]


def test_each_step_escalates_once_and_stops_at_acknowledgement() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    [t] = book.tick(T0 + 61)
    assert (t.kind, t.at, t.actor, t.details["notify"]) == (
        TransitionKind.ESCALATED,
        T0 + 60,
        "sla",
        "supervisor",
    )
    assert book.tick(T0 + 62) == []
    book.acknowledge(BREACH, "op1", T0 + 100)
    assert book.tick(T0 + 10_000) == []


def test_a_refused_action_does_not_swallow_due_escalations() -> None:
    book = AlertBook()
    book.apply(decision(DecisionKind.OPENED, BREACH, T0))
    with pytest.raises(AlertError):
        book.resolve(BREACH, "op1", T0 + 200, Outcome.CONFIRMED_VIOLATION, "")
    assert len(book.tick(T0 + 200)) == 2


def scenario(book: AlertBook, tick_every: float | None) -> list[Transition]:
    """Three alerts over 30 minutes with operator actions, ticked at a given spacing."""
    events: list[tuple[float, Any]] = [
        (T0, decision(DecisionKind.OPENED, BREACH, T0)),
        (T0 + 3, decision(DecisionKind.OPENED, STRAP, T0 + 3, priority=Priority.P2)),
        (T0 + 7, decision(DecisionKind.OPENED, BATTERY, T0 + 7, priority=Priority.P3)),
        (T0 + 90, lambda: book.acknowledge(STRAP, "op1", T0 + 90)),
        (T0 + 95, decision(DecisionKind.UPDATED, BREACH, T0 + 95, confidence=Confidence.CERTAIN)),
        (T0 + 400, decision(DecisionKind.CLEARED, BREACH, T0 + 400)),
        (T0 + 500, lambda: book.acknowledge(BREACH, "op2", T0 + 500)),
        (T0 + 600, lambda: book.resolve(BREACH, "op2", T0 + 600, Outcome.OTHER, "left area")),
        (T0 + 1000, decision(DecisionKind.UPDATED, BATTERY, T0 + 1000, priority=Priority.P2)),
    ]
    end = T0 + 1800
    out: list[Transition] = []
    now = T0
    for at, event in events:
        if tick_every is not None:
            while now + tick_every <= at:
                now += tick_every
                out += book.tick(now)
        out += book.apply(event) if isinstance(event, Decision) else event()
    out += book.tick(end)
    return out


def test_escalation_is_the_same_with_coarse_fine_or_no_ticks() -> None:
    fine = scenario(AlertBook(), 0.5)
    assert encode(fine) == encode(scenario(AlertBook(), 47.0))
    assert encode(fine) == encode(scenario(AlertBook(), None))
    escalated = [(t.alert_key, t.at) for t in fine if t.kind is TransitionKind.ESCALATED]
    # the battery alert's P3 step (900 s) came before its rise to P2, whose single
    # step is then already taken; the acknowledged strap alert never escalates
    assert escalated == [(BREACH, T0 + 60), (BREACH, T0 + 120), (BATTERY, T0 + 907)]


# --- property: random interleavings --------------------------------------------------------

KEYS = [BREACH, STRAP]
op = st.one_of(
    st.tuples(
        st.sampled_from(["open", "update"]),
        st.sampled_from(KEYS),
        st.sampled_from(list(Priority)),
        st.sampled_from([None, *Confidence]),
    ),
    st.tuples(st.just("clear"), st.sampled_from(KEYS), st.booleans()),
    st.tuples(st.sampled_from(["ack", "note", "escalate", "tick"]), st.sampled_from(KEYS)),
    st.tuples(st.just("stage"), st.sampled_from(KEYS), st.sampled_from(["victim_warned", "x"])),
    st.tuples(
        st.just("resolve"), st.sampled_from(KEYS), st.sampled_from(list(Outcome)), st.booleans()
    ),
)
timed_ops = st.lists(st.tuples(st.floats(0, 200), op), max_size=40)


def run(
    ops: list[tuple[float, tuple[Any, ...]]], with_ticks: bool = True
) -> tuple[bytes, list[str]]:
    """The transitions made and the refusals, in order."""
    book = AlertBook()
    out: list[Transition] = []
    refused: list[str] = []
    now = T0
    for dt, (name, key, *args) in ops:
        now += dt
        try:
            if name in ("open", "update"):
                kind = DecisionKind.OPENED if name == "open" else DecisionKind.UPDATED
                out += book.apply(
                    decision(kind, key, now, priority=args[0], confidence=args[1], evidence={})
                )
            elif name == "clear":
                out += book.apply(decision(DecisionKind.CLEARED, key, now, late=args[0]))
            elif name == "tick":
                out += book.tick(now) if with_ticks else []
            elif name == "ack":
                out += book.acknowledge(key, "op1", now)
            elif name == "note":
                out += book.add_note(key, "op1", now, "called")
            elif name == "escalate":
                out += book.escalate(key, "op1", now, "no answer")
            elif name == "stage":
                out += book.record_stage(key, args[0], now, "op1")
            else:
                out += book.resolve(key, "op1", now, args[0], "checked" if args[1] else "")
        except AlertError as exc:
            refused.append(str(exc))
        for alert in book.alerts():
            assert not (alert.resolved and alert.active)
            assert alert.acked == (alert.acked_at is not None)
            assert not alert.resolved  # resolved alerts leave the live book
    out += book.tick(now + 10_000)
    for t in out:
        assert not (t.resolved and t.active)
        assert t.actor
    return encode(out), refused


@settings(max_examples=300, deadline=None)
@given(timed_ops)
def test_random_interleavings_keep_the_invariants_and_replay_identically(
    ops: list[tuple[float, tuple[Any, ...]]],
) -> None:
    first = run(ops)
    assert run(ops) == first
    # Tick spacing never changes the transitions. (A refused action does not tick, so
    # its refusal may come before or after escalations due by then: it is not a record.)
    assert run(ops, with_ticks=False) == first
