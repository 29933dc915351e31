"""Default priorities by rule, acknowledgement SLAs and escalation steps.

The engine puts a priority on every decision (it knows context such as whether
the respondent is near the protected person); `DEFAULT_PRIORITY` is the table it
and the alert machine fall back on. An escalation policy is looked up by
priority when an alert opens and is then frozen onto the alert, so editing the
settings later never changes the timers of alerts already open.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import msgspec

from korgoo.alerts.model import Alert, EscalationPolicy, EscalationStep
from korgoo.domain.decisions import Confidence, Priority
from korgoo.domain.rules import CATALOGUE, Rule
from korgoo.domain.terms import OrderKind


class PolicyError(ValueError):
    """A policy from the settings is malformed; the message says which field and why."""


# Most urgent first: the order of the operators' queue.
PRIORITY_ORDER: tuple[Priority, ...] = (Priority.P1, Priority.P2, Priority.P3, Priority.P4)
_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITY_ORDER)}

# Strongest first; an alert without a confidence (device signals) ranks last.
CONFIDENCE_ORDER: tuple[Confidence, ...] = (
    Confidence.CERTAIN,
    Confidence.PROBABLE,
    Confidence.POSSIBLE,
)
_CONFIDENCE_RANK = {c: i for i, c in enumerate(CONFIDENCE_ORDER)}

DEFAULT_PRIORITY: Mapping[str, Priority] = MappingProxyType(
    {rule.value: spec.priority for rule, spec in CATALOGUE.items()}
)

# A rule missing from the table still raises an alert: an operator must see it.
UNKNOWN_RULE_PRIORITY = Priority.P2

DEFAULT_REVISION = "default.2"

_DEFAULT_SLA_S: Mapping[Priority, float] = MappingProxyType(
    {Priority.P1: 60.0, Priority.P2: 300.0, Priority.P3: 900.0, Priority.P4: 3600.0}
)
_DEFAULT_STEPS: Mapping[Priority, tuple[EscalationStep, ...]] = MappingProxyType(
    {
        Priority.P1: (
            EscalationStep(after_s=60.0, notify="supervisor"),
            EscalationStep(after_s=120.0, notify="police_duty"),
        ),
        Priority.P2: (EscalationStep(after_s=300.0, notify="supervisor"),),
        Priority.P3: (EscalationStep(after_s=900.0, notify="supervisor"),),
        Priority.P4: (EscalationStep(after_s=3600.0, notify="supervisor"),),
    }
)


# Who outside the centre is offered an alert the moment it opens (docs/escalation.md):
# a P1 breach or panic goes to the police duty unit of the district where the
# respondent is; a strap removal to the district inspector; on a probation order,
# a curfew breach, an exclusion-zone entry and a strap removal go to the probation
# officer of the order's district instead; device faults stay in the centre.
POLICE_DUTY: Final = "police_duty"
DISTRICT_INSPECTOR: Final = "district_inspector"
PROBATION: Final = "probation"
SUPERVISOR: Final = "supervisor"
NEXT_DUTY_UNIT: Final = "police_duty:next"  # failover: the duty unit of the next district
_DUTY_RULES: Final = frozenset(
    {Rule.PROXIMITY_BREACH.value, Rule.ZONE_EXCLUSION.value, Rule.PANIC.value}
)
_PROBATION_RULES: Final = frozenset(
    {Rule.ZONE_INCLUSION.value, Rule.ZONE_EXCLUSION.value, Rule.DEVICE_STRAP.value}
)
# Units that serve the order's district, wherever the respondent is.
ORDER_DISTRICT_UNITS: Final = frozenset({PROBATION})


def agency_for(rule: str, priority: Priority, order_kind: str | None = None) -> str | None:
    """The unit an alert of `rule` at `priority` on an order of `order_kind`
    is offered to, if any."""
    if rule in _DUTY_RULES and priority is Priority.P1:
        return POLICE_DUTY
    if order_kind == OrderKind.PROBATION.value and rule in _PROBATION_RULES:
        return PROBATION
    if rule == Rule.DEVICE_STRAP.value:
        return DISTRICT_INSPECTOR
    return None


def police_accept_due(alert: Alert) -> float | None:
    """When an offer to the police duty unit, unaccepted, passes to the next
    step of its failover chain: one timeout after it was offered or last passed."""
    if (
        alert.police_unit != POLICE_DUTY
        or alert.police_offered_at is None
        or alert.police_accepted_by is not None
        or alert.police_failed_over
        or alert.police_failovers >= len(alert.policy.failover)
        or alert.resolved
    ):
        return None
    since = (
        alert.police_passed_at if alert.police_passed_at is not None else alert.police_offered_at
    )
    return since + alert.policy.police_accept_s


def priority_rank(priority: Priority) -> int:
    """0 for the most urgent priority (P1)."""
    return _PRIORITY_RANK[priority]


def confidence_rank(confidence: Confidence | None) -> int:
    """0 for certain; no confidence ranks below possible."""
    return len(CONFIDENCE_ORDER) if confidence is None else _CONFIDENCE_RANK[confidence]


def default_priority(rule: str) -> Priority:
    return DEFAULT_PRIORITY.get(rule, UNKNOWN_RULE_PRIORITY)


def default_policy(priority: Priority) -> EscalationPolicy:
    return EscalationPolicy(
        revision=f"{DEFAULT_REVISION}/{priority.value}",
        ack_sla_s=_DEFAULT_SLA_S[priority],
        steps=_DEFAULT_STEPS[priority],
    )


_POLICY_FIELDS = frozenset({"revision", "ack_sla_s", "steps", "police_accept_s"})
_STEP_FIELDS = frozenset({"after_s", "notify"})


def policy_from_mapping(data: Mapping[str, object]) -> EscalationPolicy:
    """Build a policy from settings, e.g.

    {"revision": "2026-03", "ack_sla_s": 60,
     "steps": [{"after_s": 60, "notify": "supervisor"}, ...]}

    Unknown keys are refused rather than ignored: a misspelt "steps" must not
    silently leave an alert without escalation.
    """
    if not isinstance(data, Mapping):
        raise PolicyError(f"an escalation policy must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - _POLICY_FIELDS)
    if unknown:
        raise PolicyError(
            f"unknown escalation policy field(s) {unknown}; allowed: {sorted(_POLICY_FIELDS)}"
        )
    steps = data.get("steps", ())
    if isinstance(steps, list | tuple):
        for i, step in enumerate(steps):
            if isinstance(step, Mapping):
                bad = sorted(set(step) - _STEP_FIELDS)
                if bad:
                    raise PolicyError(
                        f"steps[{i}]: unknown field(s) {bad}; allowed: {sorted(_STEP_FIELDS)}"
                    )
    try:
        policy = msgspec.convert(dict(data), EscalationPolicy, strict=False)
    except msgspec.ValidationError as exc:
        raise PolicyError(f"invalid escalation policy: {exc}") from None
    _check(policy)
    return policy


def _check(policy: EscalationPolicy) -> None:
    if not policy.revision.strip():
        raise PolicyError("revision must not be empty: alerts record which policy they used")
    if not (math.isfinite(policy.ack_sla_s) and policy.ack_sla_s > 0):
        raise PolicyError(f"ack_sla_s must be a positive number of seconds, got {policy.ack_sla_s}")
    if not (math.isfinite(policy.police_accept_s) and policy.police_accept_s > 0):
        raise PolicyError(
            f"police_accept_s must be a positive number of seconds, got {policy.police_accept_s}"
        )
    previous = 0.0
    for i, step in enumerate(policy.steps):
        if not step.notify.strip():
            raise PolicyError(f"steps[{i}].notify must name a role or unit")
        if not (math.isfinite(step.after_s) and step.after_s >= 0):
            raise PolicyError(f"steps[{i}].after_s must be zero or more, got {step.after_s}")
        if step.after_s < previous:
            raise PolicyError(
                f"steps[{i}].after_s={step.after_s} comes before the previous step "
                f"({previous}); list steps in time order"
            )
        previous = step.after_s


def sla_due(alert: Alert) -> float | None:
    """When the acknowledgement is due; None once acknowledged or resolved, and
    for an alert shown but not paged (a possible breach)."""
    if alert.acked or alert.resolved or not alert.pages:
        return None
    return alert.opened_at + alert.policy.ack_sla_s


def next_escalation_at(alert: Alert) -> float | None:
    """When the next step of the alert's policy, or its police offer's acceptance
    timeout, comes due; None if none will."""
    police = police_accept_due(alert)
    if (
        alert.acked
        or alert.resolved
        or not alert.pages
        or alert.escalations_done >= len(alert.policy.steps)
    ):
        return police
    step = alert.opened_at + alert.policy.steps[alert.escalations_done].after_s
    return step if police is None else min(step, police)


def due_escalations(alert: Alert, now: float) -> list[EscalationStep]:
    """The steps of the alert's frozen policy due by `now` and not yet taken.

    An alert escalates while it is unacknowledged, whether or not its condition
    has returned to normal: a strap opened and closed again still needs an operator.
    An alert shown but not paged (a possible breach) has no steps: it is not
    waiting for anyone; once it pages, the steps count from its opening.
    """
    if alert.acked or alert.resolved or not alert.pages:
        return []
    due: list[EscalationStep] = []
    for step in alert.policy.steps[alert.escalations_done :]:
        if alert.opened_at + step.after_s > now:
            break  # steps are in time order
        due.append(step)
    return due
