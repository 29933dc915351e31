from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from korgoo.alerts import machine
from korgoo.alerts.machine import AlertError
from korgoo.alerts.model import Alert, EscalationPolicy, Outcome, TransitionKind
from korgoo.alerts.policy import default_policy
from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority

KEY = "o1:proximity.breach:pp1:1"
T0 = 1_700_000_000.0


def decision(kind: DecisionKind, at: float, **fields: object) -> Decision:
    base: dict[str, object] = {
        "order_id": "o1",
        "rule": "proximity.breach",
        "alert_key": KEY,
        "subject": "pp1",
        "priority": Priority.P1,
        "confidence": Confidence.PROBABLE,
        "pages": True,
        "occurred_at": at - 2,
    }
    base.update(fields)
    return Decision(kind=kind, at=at, **base)  # type: ignore[arg-type]


def opened(at: float = T0, **fields: object) -> Alert:
    alert, _ = machine.raise_alert(
        decision(DecisionKind.OPENED, at, **fields), default_policy(Priority.P1)
    )
    return alert


def active_unacked() -> Alert:
    return opened()


def active_acked() -> Alert:
    return machine.acknowledge(opened(), "op1", T0 + 10)[0]


def rtn_unacked() -> Alert:
    return machine.apply_clear(opened(), decision(DecisionKind.CLEARED, T0 + 20))[0]


def rtn_acked() -> Alert:
    return machine.apply_clear(active_acked(), decision(DecisionKind.CLEARED, T0 + 20))[0]


def resolved() -> Alert:
    return machine.resolve(rtn_acked(), "op1", T0 + 30, Outcome.CONFIRMED_VIOLATION, "police")[0]


STATES: dict[str, Callable[[], Alert]] = {
    "active_unacked": active_unacked,
    "active_acked": active_acked,
    "rtn_unacked": rtn_unacked,
    "rtn_acked": rtn_acked,
    "resolved": resolved,
}

AT = T0 + 40  # an operator acts before the first P1 escalation step (60 s)


# --- raise ---------------------------------------------------------------------------------


def test_raise_from_opened_decision() -> None:
    policy = default_policy(Priority.P1)
    alert, transitions = machine.raise_alert(
        decision(DecisionKind.OPENED, T0, evidence={"distance_m": 80}, params_rev="p7"), policy
    )
    assert (alert.active, alert.acked, alert.resolved) == (True, False, False)
    assert alert.policy == policy
    assert alert.opened_at == T0
    assert alert.evidence == {"distance_m": 80}
    [t] = transitions
    assert t.kind is TransitionKind.RAISED
    assert (t.at, t.actor, t.active, t.acked, t.resolved) == (T0, "engine", True, False, False)
    assert t.details["params_rev"] == "p7"
    assert t.details["policy_revision"] == policy.revision


def test_raise_uses_the_default_priority_when_the_engine_gives_none() -> None:
    alert = opened(rule="battery.low", priority=None)
    assert alert.priority is Priority.P3


@pytest.mark.parametrize("kind", [DecisionKind.UPDATED, DecisionKind.CLEARED, DecisionKind.WARN])
def test_raise_needs_an_opened_decision(kind: DecisionKind) -> None:
    with pytest.raises(AlertError, match="opened decision"):
        machine.raise_alert(decision(kind, T0), default_policy(Priority.P1))


def test_raise_needs_a_key() -> None:
    with pytest.raises(AlertError, match="no alert key"):
        keyless = decision(DecisionKind.OPENED, T0, alert_key="")
        machine.raise_alert(keyless, default_policy(Priority.P1))


# --- the state matrix ----------------------------------------------------------------------

LEGAL_ACTIONS: dict[str, Callable[[Alert], machine.Result]] = {
    "note": lambda a: machine.add_note(a, "op2", AT, "called the protected person"),
    "call": lambda a: machine.log_call(a, "op2", AT, "police", "answered", note="unit 12 sent"),
    "stage": lambda a: machine.record_stage(a, "police_notified", AT, "op2"),
    "escalate": lambda a: machine.escalate(a, "op2", AT, "respondent not answering"),
}


@pytest.mark.parametrize("state", [s for s in STATES if s != "resolved"])
@pytest.mark.parametrize("action", list(LEGAL_ACTIONS))
def test_operator_actions_on_unresolved_alerts_keep_the_state(state: str, action: str) -> None:
    before = STATES[state]()
    after, [t] = LEGAL_ACTIONS[action](before)
    assert (after.active, after.acked, after.resolved) == (before.active, before.acked, False)
    assert (t.active, t.acked, t.resolved, t.actor, t.at) == (
        before.active,
        before.acked,
        False,
        "op2",
        AT,
    )


@pytest.mark.parametrize("action", [*LEGAL_ACTIONS, "ack", "resolve"])
def test_nothing_changes_a_resolved_alert(action: str) -> None:
    actions: dict[str, Callable[[Alert], machine.Result]] = {
        **LEGAL_ACTIONS,
        "ack": lambda a: machine.acknowledge(a, "op2", AT),
        "resolve": lambda a: machine.resolve(a, "op2", AT, Outcome.OTHER, "again"),
    }
    with pytest.raises(AlertError, match="already resolved"):
        actions[action](resolved())


@pytest.mark.parametrize("kind", [DecisionKind.OPENED, DecisionKind.UPDATED, DecisionKind.CLEARED])
def test_the_engine_cannot_change_a_resolved_alert(kind: DecisionKind) -> None:
    alert = resolved()
    with pytest.raises(AlertError, match="resolved"):
        if kind is DecisionKind.CLEARED:
            machine.apply_clear(alert, decision(kind, AT))
        else:
            machine.apply_update(alert, decision(kind, AT))


@pytest.mark.parametrize("state", ["active_unacked", "rtn_unacked"])
def test_acknowledge_unacked(state: str) -> None:
    before = STATES[state]()
    after, [t] = machine.acknowledge(before, "op2", AT)
    assert after.acked and after.acked_at == AT and after.acked_by == "op2"
    assert after.active == before.active  # acknowledging never clears a live condition
    assert t.kind is TransitionKind.ACKNOWLEDGED and t.acked and t.active == before.active


@pytest.mark.parametrize("state", ["active_acked", "rtn_acked"])
def test_acknowledge_twice_is_refused(state: str) -> None:
    with pytest.raises(AlertError, match="already acknowledged by op1"):
        machine.acknowledge(STATES[state](), "op2", AT)


@pytest.mark.parametrize("state", ["active_unacked", "active_acked"])
def test_clear_returns_to_normal_without_resolving(state: str) -> None:
    before = STATES[state]()
    after, [t] = machine.apply_clear(before, decision(DecisionKind.CLEARED, AT))
    assert (after.active, after.acked, after.resolved) == (False, before.acked, False)
    assert after.returned_at == AT
    assert t.kind is TransitionKind.RETURNED_TO_NORMAL and t.actor == "engine"


@pytest.mark.parametrize("state", ["rtn_unacked", "rtn_acked"])
def test_clear_when_already_normal_is_a_no_op(state: str) -> None:
    before = STATES[state]()
    assert machine.apply_clear(before, decision(DecisionKind.CLEARED, AT)) == (before, [])


def test_auto_close_of_acknowledged_rtn_is_a_policy_flag() -> None:
    cleared = decision(DecisionKind.CLEARED, AT)
    kept, _ = machine.apply_clear(active_acked(), cleared)
    assert not kept.resolved
    closed, ts = machine.apply_clear(active_acked(), cleared, auto_close_acked_rtn=True)
    assert closed.resolved and closed.outcome is Outcome.OTHER and closed.resolved_by == "policy"
    assert [t.kind for t in ts] == [TransitionKind.RETURNED_TO_NORMAL, TransitionKind.RESOLVED]
    # an unacknowledged alert is never closed by the flag: it still needs an operator
    still, _ = machine.apply_clear(active_unacked(), cleared, auto_close_acked_rtn=True)
    assert not still.resolved


def test_late_clear_never_moves_a_live_state_back() -> None:
    before = active_unacked()
    assert machine.apply_clear(before, decision(DecisionKind.CLEARED, AT, late=True)) == (
        before,
        [],
    )


@pytest.mark.parametrize("state", ["rtn_unacked", "rtn_acked"])
@pytest.mark.parametrize("kind", [DecisionKind.OPENED, DecisionKind.UPDATED])
def test_condition_coming_back_reactivates_keeping_the_ack(state: str, kind: DecisionKind) -> None:
    before = STATES[state]()
    after, [t] = machine.apply_update(before, decision(kind, AT))
    assert after.active and after.acked == before.acked and not after.resolved
    assert t.kind is TransitionKind.REACTIVATED and t.active


def test_reactivate_on_active_alert_does_nothing() -> None:
    before = active_unacked()
    assert machine.reactivate(before, decision(DecisionKind.UPDATED, AT)) == (before, [])


@pytest.mark.parametrize("state", ["rtn_unacked", "rtn_acked"])
@pytest.mark.parametrize("outcome", list(Outcome))
def test_resolve_after_return_to_normal(state: str, outcome: Outcome) -> None:
    before = STATES[state]()
    after, ts = machine.resolve(before, "op2", AT, outcome, "spoke to the protected person")
    assert (after.active, after.acked, after.resolved) == (False, True, True)
    assert after.outcome is outcome and after.resolved_by == "op2" and after.resolved_at == AT
    assert ts[-1].kind is TransitionKind.RESOLVED and ts[-1].details["condition_active"] is False
    if before.acked:
        assert len(ts) == 1 and after.acked_by == "op1"
    else:  # resolving takes the alert on: the ack time is the operator's first action
        assert ts[0].kind is TransitionKind.ACKNOWLEDGED and after.acked_at == AT


@pytest.mark.parametrize("state", ["active_unacked", "active_acked"])
@pytest.mark.parametrize("outcome", [Outcome.CONFIRMED_VIOLATION, Outcome.OTHER])
def test_an_active_condition_cannot_be_resolved_as_handled(state: str, outcome: Outcome) -> None:
    with pytest.raises(AlertError, match="still active"):
        machine.resolve(STATES[state](), "op2", AT, outcome, "done")


@pytest.mark.parametrize("state", ["active_unacked", "active_acked"])
@pytest.mark.parametrize("outcome", sorted(machine.FALSE_CONDITION_OUTCOMES))
def test_an_active_condition_judged_false_can_be_resolved(state: str, outcome: Outcome) -> None:
    after, ts = machine.resolve(STATES[state](), "op2", AT, outcome, "fix 400 m off, indoors")
    assert after.resolved and not after.active and after.acked
    assert ts[-1].details["condition_active"] is True  # recorded, never silent


@pytest.mark.parametrize("note", ["", "   "])
def test_resolve_needs_a_note(note: str) -> None:
    with pytest.raises(AlertError, match="note is required"):
        machine.resolve(rtn_acked(), "op2", AT, Outcome.CONFIRMED_VIOLATION, note)


def test_resolve_needs_a_known_outcome() -> None:
    with pytest.raises(AlertError, match="unknown outcome 'fine'"):
        machine.resolve(rtn_acked(), "op2", AT, "fine", "ok")
    after, _ = machine.resolve(rtn_acked(), "op2", AT, "gps_false_alarm", "jitter")
    assert after.outcome is Outcome.GPS_FALSE_ALARM


@pytest.mark.parametrize("actor", ["", "engine", "sla", "policy"])
def test_actions_need_a_real_operator(actor: str) -> None:
    with pytest.raises(AlertError):
        machine.acknowledge(active_unacked(), actor, AT)


def test_bad_inputs_are_refused_with_reasons() -> None:
    alert = active_unacked()
    with pytest.raises(AlertError, match="note is empty"):
        machine.add_note(alert, "op", AT, " ")
    with pytest.raises(AlertError, match="unknown call party 'neighbour'"):
        machine.log_call(alert, "op", AT, "neighbour", "answered")
    with pytest.raises(AlertError, match="how the call went"):
        machine.log_call(alert, "op", AT, "protected", "")
    with pytest.raises(AlertError, match="unknown stage 'lunch'"):
        machine.record_stage(alert, "lunch", AT, "op")
    with pytest.raises(AlertError, match="why"):
        machine.escalate(alert, "op", AT, "")
    with pytest.raises(AlertError, match="not a valid time"):
        machine.acknowledge(alert, "op", float("nan"))
    with pytest.raises(AlertError, match="cannot be applied to alert"):
        machine.apply_update(alert, decision(DecisionKind.UPDATED, AT, alert_key="other"))


def test_a_stage_is_recorded_once_the_first_time_counts() -> None:
    alert, [t] = machine.record_stage(active_unacked(), "victim_warned", T0 + 5, "op1")
    assert alert.stages == {"victim_warned": T0 + 5} and t.details == {"stage": "victim_warned"}
    again, ts = machine.record_stage(alert, "victim_warned", T0 + 9, "op2")
    assert again.stages == {"victim_warned": T0 + 5} and ts == []


def test_functions_never_mutate_their_input() -> None:
    before = active_unacked()
    snapshot = msgspec.json.encode(before)
    machine.record_stage(before, "victim_warned", AT, "op1")
    machine.acknowledge(before, "op1", AT)
    machine.apply_update(before, decision(DecisionKind.UPDATED, AT, evidence={"d": 1}))
    assert msgspec.json.encode(before) == snapshot


# --- updates and idempotence ---------------------------------------------------------------


def test_update_changes_confidence_and_evidence() -> None:
    upd = decision(DecisionKind.UPDATED, AT, confidence=Confidence.CERTAIN, evidence={"d": 12})
    after, [t] = machine.apply_update(active_unacked(), upd)
    assert after.confidence is Confidence.CERTAIN and after.evidence == {"d": 12}
    assert t.kind is TransitionKind.UPDATED and t.details["confidence"] is Confidence.CERTAIN


def test_the_same_decision_twice_makes_no_second_transition() -> None:
    upd = decision(DecisionKind.UPDATED, AT, confidence=Confidence.CERTAIN)
    once, [_] = machine.apply_update(active_unacked(), upd)
    assert machine.apply_update(once, upd) == (once, [])
    # the OPENED that raised it, retried, finds nothing to change either
    assert machine.apply_update(once, decision(DecisionKind.OPENED, T0)) == (once, [])
    cleared, [_] = machine.apply_clear(once, decision(DecisionKind.CLEARED, AT + 1))
    assert machine.apply_clear(cleared, decision(DecisionKind.CLEARED, AT + 1)) == (cleared, [])


def test_replayed_decisions_from_before_a_return_to_normal_do_not_reactivate() -> None:
    alert = rtn_unacked()  # opened at T0, cleared at T0 + 20
    assert machine.apply_update(alert, decision(DecisionKind.OPENED, T0)) == (alert, [])
    assert machine.apply_update(alert, decision(DecisionKind.UPDATED, T0 + 20)) == (alert, [])
    back, _ = machine.apply_update(alert, decision(DecisionKind.UPDATED, T0 + 25))
    # and the old CLEARED replayed after reactivation does not clear it again
    assert machine.apply_clear(back, decision(DecisionKind.CLEARED, T0 + 20)) == (back, [])


def test_priority_only_rises_within_an_episode() -> None:
    alert = opened(rule="device.strap", priority=Priority.P2)
    down, ts = machine.apply_update(alert, decision(DecisionKind.UPDATED, AT, priority=Priority.P3))
    assert down.priority is Priority.P2 and ts == []
    up, [t] = machine.apply_update(alert, decision(DecisionKind.UPDATED, AT, priority=Priority.P1))
    assert up.priority is Priority.P1 and t.priority is Priority.P1
    assert t.details["priority_from"] is Priority.P2
    lower = decision(DecisionKind.UPDATED, AT + 1, priority=Priority.P2)
    assert machine.apply_update(up, lower)[0].priority is Priority.P1


def test_a_rise_adopts_the_stricter_policy_and_fires_its_overdue_steps_now() -> None:
    p2 = default_policy(Priority.P2)
    alert, _ = machine.raise_alert(decision(DecisionKind.OPENED, T0, priority=Priority.P2), p2)
    upd = decision(DecisionKind.UPDATED, T0 + 90, priority=Priority.P1)
    after, ts = machine.apply_update(alert, upd, default_policy(Priority.P1))
    assert after.policy == default_policy(Priority.P1)
    assert [(t.kind, t.at, t.details.get("notify")) for t in ts] == [
        (TransitionKind.UPDATED, T0 + 90, None),
        (TransitionKind.ESCALATED, T0 + 90, "supervisor"),  # P1 step due at 60 s is overdue
    ]
    assert after.escalations_done == 1
    later, [t] = machine.escalate_due(after, T0 + 500)
    assert (t.at, t.details["notify"]) == (T0 + 120, "police_duty")
    assert later.escalations_done == 2


def test_policy_is_not_replaced_without_a_rise() -> None:
    alert = active_unacked()
    other = EscalationPolicy(revision="new", ack_sla_s=10, steps=())
    upd = decision(DecisionKind.UPDATED, AT, confidence=Confidence.CERTAIN)
    after, _ = machine.apply_update(alert, upd, other)
    assert after.policy == alert.policy


# --- SLA escalation ------------------------------------------------------------------------


def test_sla_escalations_are_stamped_at_their_due_time() -> None:
    alert = active_unacked()
    after, ts = machine.escalate_due(alert, T0 + 10_000)
    assert [(t.at, t.actor, t.details["notify"]) for t in ts] == [
        (T0 + 60, "sla", "supervisor"),
        (T0 + 120, "sla", "police_duty"),
    ]
    assert machine.escalate_due(after, T0 + 20_000) == (after, [])


def test_an_action_first_takes_the_escalations_due_before_it() -> None:
    alert, ts = machine.acknowledge(active_unacked(), "op1", T0 + 90)
    assert [t.kind for t in ts] == [TransitionKind.ESCALATED, TransitionKind.ACKNOWLEDGED]
    assert ts[0].at == T0 + 60 and not ts[0].acked
    assert machine.escalate_due(alert, T0 + 10_000) == (alert, [])


def test_manual_escalation_does_not_use_up_sla_steps() -> None:
    alert, [t] = machine.escalate(active_unacked(), "op1", T0 + 5, "protected person scared")
    assert t.details == {"reason": "protected person scared", "manual": True}
    assert alert.escalations_done == 0
