from __future__ import annotations

import pytest

from korgoo.alerts.model import Alert, EscalationPolicy, EscalationStep
from korgoo.alerts.policy import (
    DEFAULT_PRIORITY,
    PRIORITY_ORDER,
    PolicyError,
    default_policy,
    default_priority,
    due_escalations,
    next_escalation_at,
    policy_from_mapping,
    priority_rank,
    sla_due,
)
from korgoo.domain.decisions import Priority


def _alert(policy: EscalationPolicy, **fields: object) -> Alert:
    base: dict[str, object] = {
        "alert_key": "o1:proximity.breach:pp1:1",
        "order_id": "o1",
        "rule": "proximity.breach",
        "subject": "pp1",
        "priority": Priority.P1,
        "confidence": None,
        "pages": True,
        "opened_at": 1000.0,
        "occurred_at": 999.0,
        "policy": policy,
    }
    base.update(fields)
    return Alert(**base)  # type: ignore[arg-type]


def test_priority_table_matches_the_rules_the_engine_uses() -> None:
    assert DEFAULT_PRIORITY["proximity.breach"] is Priority.P1
    assert DEFAULT_PRIORITY["panic"] is Priority.P1
    assert DEFAULT_PRIORITY["proximity.approach"] is Priority.P2
    assert DEFAULT_PRIORITY["proximity.prealert"] is Priority.P3
    assert DEFAULT_PRIORITY["battery.critical"] is Priority.P2
    assert DEFAULT_PRIORITY["checkin.missed"] is Priority.P3
    with pytest.raises(TypeError):
        DEFAULT_PRIORITY["panic"] = Priority.P4  # type: ignore[index]


def test_unknown_rule_still_gets_a_priority_that_is_seen() -> None:
    assert default_priority("some.future.rule") is Priority.P2


def test_priority_order_is_most_urgent_first() -> None:
    assert PRIORITY_ORDER == (Priority.P1, Priority.P2, Priority.P3, Priority.P4)
    assert [priority_rank(p) for p in PRIORITY_ORDER] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("priority", "sla", "steps"),
    [
        (Priority.P1, 60.0, [(60.0, "supervisor"), (120.0, "police_duty")]),
        (Priority.P2, 300.0, [(300.0, "supervisor")]),
        (Priority.P3, 900.0, [(900.0, "supervisor")]),
        (Priority.P4, 3600.0, [(3600.0, "supervisor")]),
    ],
)
def test_default_policy(priority: Priority, sla: float, steps: list[tuple[float, str]]) -> None:
    policy = default_policy(priority)
    assert policy.ack_sla_s == sla
    assert [(s.after_s, s.notify) for s in policy.steps] == steps
    assert policy.revision.endswith(priority.value)


def test_policy_from_mapping_accepts_settings() -> None:
    policy = policy_from_mapping(
        {
            "revision": "2026-03",
            "ack_sla_s": "45",  # from the environment numbers arrive as text
            "steps": [{"after_s": 45, "notify": "supervisor"}, {"after_s": 90, "notify": "police"}],
        }
    )
    assert policy == EscalationPolicy(
        revision="2026-03",
        ack_sla_s=45.0,
        steps=(EscalationStep(45.0, "supervisor"), EscalationStep(90.0, "police")),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"revision": "r", "ack_sla_s": 60, "step": []}, "unknown escalation policy field"),
        ({"revision": "r", "steps": []}, "ack_sla_s"),
        ({"revision": "", "ack_sla_s": 60}, "revision must not be empty"),
        ({"revision": "r", "ack_sla_s": 0}, "positive"),
        ({"revision": "r", "ack_sla_s": float("inf")}, "positive"),
        ({"revision": "r", "ack_sla_s": "soon"}, "ack_sla_s"),
        (
            {"revision": "r", "ack_sla_s": 60, "steps": [{"after_s": 60, "who": "x"}]},
            "steps[0]: unknown field",
        ),
        (
            {"revision": "r", "ack_sla_s": 60, "steps": [{"after_s": -1, "notify": "x"}]},
            "steps[0].after_s",
        ),
        (
            {"revision": "r", "ack_sla_s": 60, "steps": [{"after_s": 1, "notify": " "}]},
            "steps[0].notify",
        ),
        (
            {
                "revision": "r",
                "ack_sla_s": 60,
                "steps": [{"after_s": 120, "notify": "a"}, {"after_s": 60, "notify": "b"}],
            },
            "time order",
        ),
    ],
)
def test_policy_from_mapping_refuses_bad_settings(data: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(data)
    assert message in str(info.value)


def test_sla_due_until_acknowledged() -> None:
    alert = _alert(default_policy(Priority.P1))
    assert sla_due(alert) == 1060.0
    assert sla_due(_alert(default_policy(Priority.P1), acked=True, acked_at=1010.0)) is None
    assert sla_due(_alert(default_policy(Priority.P1), resolved=True, active=False)) is None


def test_due_escalations_in_order_and_only_once() -> None:
    policy = default_policy(Priority.P1)
    alert = _alert(policy)
    assert due_escalations(alert, 1059.9) == []
    assert due_escalations(alert, 1060.0) == [policy.steps[0]]
    assert due_escalations(alert, 5000.0) == list(policy.steps)
    assert due_escalations(_alert(policy, escalations_done=1), 5000.0) == [policy.steps[1]]
    assert due_escalations(_alert(policy, escalations_done=2), 5000.0) == []


def test_no_escalation_once_acknowledged_but_yes_after_return_to_normal() -> None:
    policy = default_policy(Priority.P1)
    assert due_escalations(_alert(policy, acked=True, acked_at=1001.0), 5000.0) == []
    rtn = _alert(policy, active=False, returned_at=1010.0)
    assert due_escalations(rtn, 5000.0) == list(policy.steps)


def test_next_escalation_at_is_the_first_step_not_taken() -> None:
    policy = default_policy(Priority.P1)
    assert next_escalation_at(_alert(policy)) == 1060.0
    assert next_escalation_at(_alert(policy, escalations_done=1)) == 1120.0
    assert next_escalation_at(_alert(policy, escalations_done=2)) is None
    assert next_escalation_at(_alert(policy, acked=True, acked_at=1001.0)) is None


def test_an_alert_shown_but_not_paged_is_due_to_no_one() -> None:
    # A possible breach (P4, not paged): no acknowledgement due, no escalation
    # step, nothing scheduled; once it pages, its steps count from its opening.
    policy = default_policy(Priority.P4)
    shown = _alert(policy, priority=Priority.P4, pages=False)
    assert policy.steps
    assert sla_due(shown) is None
    assert due_escalations(shown, 1000.0 + 10 * 86400) == []
    assert next_escalation_at(shown) is None
    paged = _alert(policy, priority=Priority.P4, pages=True)
    assert sla_due(paged) == 1000.0 + policy.ack_sla_s
    assert due_escalations(paged, 1000.0 + 10 * 86400) == list(policy.steps)
