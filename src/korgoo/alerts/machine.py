"""The alert state machine after ISA-18.2: pure functions, time passed in.

Every function takes an alert (or a decision) and returns the new alert and the
transitions it made; the old alert is never mutated. An illegal operator action
raises `AlertError` with a message the operator can act on.

Rules decided here (and tested in tests/unit/test_alert_machine.py):

- Priority only rises within an episode. The engine's latest priority is kept
  in the UPDATED transition, but the alert's queue position, SLA and escalation
  are never undone by a jittery downgrade. On a rise, the current policy for the
  new priority is adopted (frozen again) and its steps already overdue fire at
  once; `escalations_done` carries over, so a step index already taken is not
  repeated.
- A condition that returns to normal keeps its acknowledgement state; an
  acknowledged alert that returned to normal is still not resolved (every alert
  needs an outcome code) unless the `auto_close_acked_rtn` flag is set.
- The same episode's condition coming back before resolution reactivates the
  alert and keeps its acknowledgement: the operator who owns it already handles
  the episode and sees the REACTIVATED transition; re-arming the SLA from the
  opening time would escalate past them at once.
- Resolution needs an outcome and a note, and normally a condition returned to
  normal. An active condition can be resolved only with an outcome saying the
  operator judged the condition itself false (GPS or technical false alarm,
  device fault, authorised presence); the RESOLVED transition records that the
  condition was still active, so the closure is never silent. Resolving an
  unacknowledged alert acknowledges it first (same operator, same time).
- Decisions are idempotent: a decision older than what the alert holds (before
  it opened, or at or before its last return to normal) changes nothing, a
  repeated decision finds nothing to change, and a late CLEARED (decided on a
  fix older than the live state) never returns a live condition to normal; a
  late episode (an alert raised for the record) is returned to normal by its own
  late CLEARED.
- Every function first takes the SLA escalations due by its time, with each
  escalation stamped at its due time, so the transitions are the same however
  often the clock ticks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import msgspec

from korgoo.alerts.model import Alert, EscalationPolicy, Outcome, Transition, TransitionKind
from korgoo.alerts.policy import (
    NEXT_DUTY_UNIT,
    POLICE_DUTY,
    default_priority,
    due_escalations,
    police_accept_due,
    priority_rank,
)
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.jurisdictions import next_district
from korgoo.domain.rules import LATCHING_RULES
from korgoo.domain.text import N_

ENGINE: Final = "engine"
SLA: Final = "sla"
POLICY: Final = "policy"
_SYSTEM_ACTORS: Final = frozenset({ENGINE, SLA, POLICY})

STAGES: Final = frozenset(
    {"victim_warned", "respondent_instructed", "police_notified", "police_on_scene"}
)
# Set only by a recorded delivery to the police (the agencies' notifier), never by
# an operator's stage: the protected person is told "the police have been
# notified" on this stage alone.
POLICE_DELIVERED: Final = "police_notification_delivered"
CALL_PARTIES: Final = frozenset({"respondent", "protected", "police", "probation", "other"})
# Outcomes by which an operator judges a live condition itself false.
FALSE_CONDITION_OUTCOMES: Final = frozenset(
    {
        Outcome.GPS_FALSE_ALARM,
        Outcome.TECHNICAL_FALSE_ALARM,
        Outcome.DEVICE_FAULT,
        Outcome.AUTHORISED_PRESENCE,
    }
)
AUTO_CLOSE_NOTE: Final = "closed by policy: acknowledged and returned to normal"

Result = tuple[Alert, list[Transition]]


class AlertError(ValueError):
    """An operator action the alert's state does not allow; the message says why."""


def _transition(
    alert: Alert,
    kind: TransitionKind,
    at: float,
    actor: str,
    details: Mapping[str, object] | None = None,
) -> Transition:
    return Transition(
        alert_key=alert.alert_key,
        kind=kind,
        at=at,
        actor=actor,
        active=alert.active,
        acked=alert.acked,
        resolved=alert.resolved,
        priority=alert.priority,
        details=dict(details) if details else {},
    )


def is_latched(alert: Alert) -> bool:
    """Held active until acknowledged although its condition has ended (the
    instantaneous alarms of LATCHING_RULES; their episodes never come back)."""
    return (
        alert.rule in LATCHING_RULES
        and alert.active
        and not alert.acked
        and alert.returned_at is not None
    )


def _check_time(at: float) -> None:
    if not math.isfinite(at):
        raise AlertError(N_("the time {at} is not a valid time", at=repr(at)))


def _check_operator(alert: Alert, actor: str, at: float) -> None:
    _check_time(at)
    if not actor.strip():
        raise AlertError(N_("say who is acting: the operator's user name is missing"))
    if actor in _SYSTEM_ACTORS:
        raise AlertError(
            N_("'{actor}' is reserved for the system; act under your own user name", actor=actor)
        )
    if alert.resolved:
        raise AlertError(
            N_(
                "alert {alert_key} was already resolved by {resolved_by} "
                "({outcome}); it cannot be changed",
                alert_key=alert.alert_key,
                resolved_by=alert.resolved_by,
                outcome=alert.outcome,
            )
        )


def _check_decision(alert: Alert, decision: Decision, *kinds: DecisionKind) -> None:
    if decision.kind not in kinds:
        raise AlertError(N_("a {kind} decision cannot be applied here", kind=decision.kind))
    if decision.alert_key != alert.alert_key:
        raise AlertError(
            N_(
                "decision for {decided} cannot be applied to alert {alert_key}",
                decided=decision.alert_key,
                alert_key=alert.alert_key,
            )
        )
    _check_time(decision.at)
    if alert.resolved:
        raise AlertError(
            N_(
                "alert {alert_key} is resolved; the engine cannot change it",
                alert_key=alert.alert_key,
            )
        )


def is_stale(alert: Alert, decision: Decision) -> bool:
    """A decision from before what the alert already holds (a retry or a replay)."""
    if decision.at < alert.opened_at:
        return True
    if decision.kind is DecisionKind.OPENED and decision.at == alert.opened_at:
        return True  # the decision that raised this alert, retried
    return alert.returned_at is not None and decision.at <= alert.returned_at


def escalate_due(alert: Alert, now: float) -> Result:
    """Take the frozen policy's steps due by `now`, and the police offer's
    acceptance timeout if it ran out, each stamped at its due time."""
    alert, out = _take_steps(alert, now, None)
    due = police_accept_due(alert)
    while due is not None and due <= now:
        alert, passed = _fail_over(alert, due)
        out += passed
        due = police_accept_due(alert)
    out.sort(key=lambda t: t.at)  # stable: the policy's steps keep their order
    return alert, out


def _fail_over(alert: Alert, due: float) -> Result:
    """The offer was not accepted by `due`: take the next step of the failover
    chain that can be taken (a next duty unit only if a district is left)."""
    chain = alert.policy.failover
    step = alert.police_failovers
    while step < len(chain):
        name = chain[step]
        step += 1
        latest = alert.police_next_districts[-1:] or (alert.police_district,)
        details: dict[str, object] = {
            "reason": "police_not_accepted",
            "unit": alert.police_unit,
            "offered_at": alert.police_offered_at,
            "policy_revision": alert.policy.revision,
        }
        if name == NEXT_DUTY_UNIT:
            first = alert.police_district or ""
            district = next_district(first, (first, *alert.police_next_districts))
            if district is None:
                continue  # no next unit: the chain's next step, at the same time
            alert = msgspec.structs.replace(
                alert,
                police_failovers=step,
                police_next_districts=(*alert.police_next_districts, district),
                police_passed_at=due,
            )
            details |= {
                "notify": POLICE_DUTY,
                "district": district,
                "from_district": latest[0],
                "accept_within_s": alert.policy.police_accept_s,
            }
        else:
            alert = msgspec.structs.replace(
                alert, police_failovers=step, police_failed_over=True, police_passed_at=due
            )
            # The supervisor of the district the offer began in, whichever unit saw it last.
            details |= {"notify": "supervisor", "district": alert.police_district or latest[0]}
        # Actor "policy", as for the offer: an SLA step may fall due at the same
        # instant, and a timeline line is unique by (alert, kind, time, actor).
        return alert, [_transition(alert, TransitionKind.ESCALATED, due, POLICY, details)]
    return msgspec.structs.replace(alert, police_failovers=step, police_failed_over=True), []


def _take_steps(alert: Alert, now: float, late_at: float | None) -> Result:
    """The policy's steps due by `now`: each stamped at its due time, or, when a
    newly adopted policy finds them already overdue, at `late_at`."""
    transitions: list[Transition] = []
    for step in due_escalations(alert, now):
        index = alert.escalations_done
        alert = msgspec.structs.replace(alert, escalations_done=index + 1)
        due = alert.opened_at + step.after_s
        details: dict[str, object] = {
            "notify": step.notify,
            "step": index,
            "policy_revision": alert.policy.revision,
        }
        if late_at is not None:
            details["overdue_since"] = due
        stamp = due if late_at is None else late_at
        transitions.append(_transition(alert, TransitionKind.ESCALATED, stamp, SLA, details))
    return alert, transitions


def raise_alert(decision: Decision, policy: EscalationPolicy) -> Result:
    """A new alert from an OPENED decision: active, unacknowledged, policy frozen on."""
    if decision.kind is not DecisionKind.OPENED:
        raise AlertError(
            N_("an alert is raised from an opened decision, not {kind}", kind=decision.kind)
        )
    if not decision.alert_key:
        raise AlertError(N_("the decision has no alert key; it cannot be raised idempotently"))
    _check_time(decision.at)
    alert = Alert(
        alert_key=decision.alert_key,
        order_id=decision.order_id,
        rule=decision.rule,
        subject=decision.subject,
        priority=decision.priority or default_priority(decision.rule),
        confidence=decision.confidence,
        pages=decision.pages,
        opened_at=decision.at,
        occurred_at=decision.occurred_at,
        policy=policy,
        late=decision.late,
        evidence=dict(decision.evidence),
    )
    details: dict[str, object] = {
        "rule_version": decision.rule_version,
        "params_rev": decision.params_rev,
        "policy_revision": policy.revision,
        "pages": decision.pages,
    }
    if decision.confidence is not None:
        details["confidence"] = decision.confidence
    if decision.late:
        details["late"] = True
    if decision.evidence:
        details["evidence"] = dict(decision.evidence)
    return alert, [_transition(alert, TransitionKind.RAISED, decision.at, ENGINE, details)]


def _absorb(alert: Alert, decision: Decision) -> tuple[Alert, dict[str, object], bool]:
    """Fold an OPENED/UPDATED decision in: (alert, what changed, whether priority rose)."""
    changes: dict[str, object] = {}
    rose = decision.priority is not None and priority_rank(decision.priority) < priority_rank(
        alert.priority
    )
    priority = decision.priority if rose and decision.priority else alert.priority
    if rose:
        changes["priority_from"] = alert.priority
    confidence = alert.confidence if decision.confidence is None else decision.confidence
    if confidence != alert.confidence:
        changes["confidence"] = confidence
    pages = alert.pages or decision.pages
    if pages != alert.pages:
        changes["pages"] = True
    evidence = {**alert.evidence, **decision.evidence}
    if evidence != alert.evidence:
        changes["evidence"] = dict(decision.evidence)
    if changes and decision.priority is not None:
        changes["engine_priority"] = decision.priority
    alert = msgspec.structs.replace(
        alert, priority=priority, confidence=confidence, pages=pages, evidence=evidence
    )
    return alert, changes, rose


def _adopt(alert: Alert, policy: EscalationPolicy | None, at: float) -> Result:
    """Freeze the policy of a risen priority on; its overdue steps fire at `at`."""
    if policy is None or policy == alert.policy:
        return alert, []
    alert = msgspec.structs.replace(alert, policy=policy)
    return _take_steps(alert, at, at)


def apply_update(
    alert: Alert, decision: Decision, policy: EscalationPolicy | None = None
) -> Result:
    """An OPENED or UPDATED decision for an existing alert.

    `policy` is the current policy for the decision's priority; it is adopted
    only if the priority rises. After a return to normal this reactivates.
    """
    _check_decision(alert, decision, DecisionKind.OPENED, DecisionKind.UPDATED)
    if not alert.active:
        return reactivate(alert, decision, policy)
    if is_stale(alert, decision):
        return alert, []
    alert, out = escalate_due(alert, decision.at)
    alert, changes, rose = _absorb(alert, decision)
    if not changes:
        return alert, out
    out.append(_transition(alert, TransitionKind.UPDATED, decision.at, ENGINE, changes))
    if rose:
        alert, adopted = _adopt(alert, policy, decision.at)
        out += adopted
    return alert, out


def reactivate(alert: Alert, decision: Decision, policy: EscalationPolicy | None = None) -> Result:
    """The same episode's condition came back after returning to normal."""
    _check_decision(alert, decision, DecisionKind.OPENED, DecisionKind.UPDATED)
    if alert.active or is_stale(alert, decision):
        return alert, []
    alert, out = escalate_due(alert, decision.at)
    alert, changes, rose = _absorb(alert, decision)
    alert = msgspec.structs.replace(alert, active=True)
    out.append(_transition(alert, TransitionKind.REACTIVATED, decision.at, ENGINE, changes))
    if rose:
        alert, adopted = _adopt(alert, policy, decision.at)
        out += adopted
    return alert, out


def apply_clear(alert: Alert, decision: Decision, *, auto_close_acked_rtn: bool = False) -> Result:
    """The condition returned to normal. It still needs an operator and an outcome,
    unless it was acknowledged and `auto_close_acked_rtn` is set."""
    _check_decision(alert, decision, DecisionKind.CLEARED)
    if (decision.late and not alert.late) or not alert.active or is_stale(alert, decision):
        return alert, []
    alert, out = escalate_due(alert, decision.at)
    details: dict[str, object] = {"evidence": dict(decision.evidence)} if decision.evidence else {}
    if alert.rule in LATCHING_RULES and not alert.acked:
        # Held active until acknowledged; `returned_at` keeps when the condition ended.
        alert = msgspec.structs.replace(alert, returned_at=decision.at)
        details["condition_ended"] = True
        out.append(_transition(alert, TransitionKind.UPDATED, decision.at, ENGINE, details))
        return alert, out
    alert = msgspec.structs.replace(alert, active=False, returned_at=decision.at)
    out.append(_transition(alert, TransitionKind.RETURNED_TO_NORMAL, decision.at, ENGINE, details))
    if auto_close_acked_rtn and alert.acked:
        alert = msgspec.structs.replace(
            alert,
            resolved=True,
            resolved_at=decision.at,
            resolved_by=POLICY,
            outcome=Outcome.OTHER,
            note=AUTO_CLOSE_NOTE,
        )
        out.append(
            _transition(
                alert,
                TransitionKind.RESOLVED,
                decision.at,
                POLICY,
                {"outcome": Outcome.OTHER, "note": AUTO_CLOSE_NOTE, "condition_active": False},
            )
        )
    return alert, out


def acknowledge(alert: Alert, actor: str, at: float) -> Result:
    """The operator takes the alert on. It does not clear an active condition."""
    _check_operator(alert, actor, at)
    if alert.acked:
        raise AlertError(
            N_(
                "alert {alert_key} was already acknowledged by {acked_by}; nothing to do",
                alert_key=alert.alert_key,
                acked_by=alert.acked_by,
            )
        )
    alert, out = escalate_due(alert, at)
    latched = is_latched(alert)
    alert = msgspec.structs.replace(alert, acked=True, acked_at=at, acked_by=actor)
    out.append(_transition(alert, TransitionKind.ACKNOWLEDGED, at, actor))
    if latched:
        alert = msgspec.structs.replace(alert, active=False)
        details = {"condition_ended_at": alert.returned_at}
        out.append(_transition(alert, TransitionKind.RETURNED_TO_NORMAL, at, actor, details))
    return alert, out


def add_note(alert: Alert, actor: str, at: float, text: str) -> Result:
    _check_operator(alert, actor, at)
    if not text.strip():
        raise AlertError(N_("the note is empty; write what was done or observed"))
    alert, out = escalate_due(alert, at)
    out.append(_transition(alert, TransitionKind.NOTE, at, actor, {"text": text}))
    return alert, out


def log_call(
    alert: Alert, actor: str, at: float, party: str, outcome: str, *, note: str = ""
) -> Result:
    """A phone call made about the alert: to whom, and how it went."""
    _check_operator(alert, actor, at)
    if party not in CALL_PARTIES:
        raise AlertError(
            N_(
                "unknown call party '{party}'; choose one of {call_parties}",
                party=party,
                call_parties=sorted(CALL_PARTIES),
            )
        )
    if not outcome.strip():
        raise AlertError(N_("say how the call went (answered, no answer, ...)"))
    alert, out = escalate_due(alert, at)
    details = {"party": party, "outcome": outcome, "note": note}
    out.append(_transition(alert, TransitionKind.CALL_LOGGED, at, actor, details))
    return alert, out


def record_stage(alert: Alert, stage: str, at: float, actor: str) -> Result:
    """A response stage timestamp; the first record of a stage counts, later ones are no-ops."""
    _check_operator(alert, actor, at)
    if stage not in STAGES:
        raise AlertError(
            N_(
                "unknown stage '{stage}'; choose one of {stages}",
                stage=stage,
                stages=sorted(STAGES),
            )
        )
    alert, out = escalate_due(alert, at)
    if stage in alert.stages:
        return alert, out
    alert = msgspec.structs.replace(alert, stages={**alert.stages, stage: at})
    out.append(_transition(alert, TransitionKind.STAGE, at, actor, {"stage": stage}))
    return alert, out


def record_police_delivery(alert: Alert, at: float, actor: str, agency: str) -> Result:
    """A notification to the police was delivered (the agency confirmed receipt)."""
    _check_time(at)
    if not agency.strip():
        raise AlertError(N_("say which agency confirmed the notification"))
    if POLICE_DELIVERED in alert.stages:
        return alert, []
    alert = msgspec.structs.replace(alert, stages={**alert.stages, POLICE_DELIVERED: at})
    details = {"stage": POLICE_DELIVERED, "agency": agency}
    return alert, [_transition(alert, TransitionKind.STAGE, at, actor, details)]


def resolve(alert: Alert, actor: str, at: float, outcome: Outcome | str, note: str) -> Result:
    """Close the alert with an outcome code and a note. See the module rules."""
    _check_operator(alert, actor, at)
    try:
        code = Outcome(outcome)
    except ValueError:
        raise AlertError(
            N_(
                "unknown outcome '{outcome}'; choose one of {outcomes}",
                outcome=outcome,
                outcomes=[o.value for o in Outcome],
            )
        ) from None
    if not note.strip():
        raise AlertError(N_("a note is required to resolve: say what was done and why"))
    was_active = alert.active and not is_latched(alert)
    if was_active and code not in FALSE_CONDITION_OUTCOMES:
        raise AlertError(
            N_(
                "the condition is still active: act on it and wait for it to return to "
                "normal, or, if you judge the condition itself false, resolve it as a GPS "
                "or technical false alarm, a device fault or an authorised presence"
            )
        )
    alert, out = escalate_due(alert, at)
    if not alert.acked:
        alert = msgspec.structs.replace(alert, acked=True, acked_at=at, acked_by=actor)
        out.append(_transition(alert, TransitionKind.ACKNOWLEDGED, at, actor))
    alert = msgspec.structs.replace(
        alert,
        active=False,
        resolved=True,
        resolved_at=at,
        resolved_by=actor,
        outcome=code,
        note=note,
    )
    details = {"outcome": code, "note": note, "condition_active": was_active}
    out.append(_transition(alert, TransitionKind.RESOLVED, at, actor, details))
    return alert, out


def escalate(alert: Alert, actor: str, at: float, reason: str) -> Result:
    """An operator escalates by hand; the SLA steps are not consumed by it."""
    _check_operator(alert, actor, at)
    if not reason.strip():
        raise AlertError(N_("say why the alert is escalated"))
    alert, out = escalate_due(alert, at)
    details = {"reason": reason, "manual": True}
    out.append(_transition(alert, TransitionKind.ESCALATED, at, actor, details))
    return alert, out


# -- the police's part (docs/escalation.md) ---------------------------------------

# What a police officer records after acting on the alert.
POLICE_OUTCOMES: Final = frozenset(
    {"respondent_detained", "respondent_removed", "respondent_not_found", "no_breach", "other"}
)
POLICE_ACCEPTED: Final = POLICE_DELIVERED  # the statistics' "police_accepted"
POLICE_DISPATCHED: Final = "police_dispatched"
POLICE_ON_SCENE: Final = "police_on_scene"
POLICE_REPORTED: Final = "police_reported"


def offer_police(alert: Alert, at: float, unit: str, district: str, basis: str) -> Result:
    """Offer the alert to a police unit of `district` (once per alert). `basis`
    says how the district was found: "respondent_position" or "order"."""
    _check_time(at)
    if alert.police_offered_at is not None or alert.resolved:
        return alert, []
    stages = {**alert.stages, "police_notified": at} if unit == POLICE_DUTY else alert.stages
    alert = msgspec.structs.replace(
        alert, police_unit=unit, police_district=district, police_offered_at=at, stages=stages
    )
    details: dict[str, object] = {
        "notify": unit,
        "district": district,
        "basis": basis,
        "policy_revision": alert.policy.revision,
    }
    if unit == POLICE_DUTY:
        details["accept_within_s"] = alert.policy.police_accept_s
    return alert, [_transition(alert, TransitionKind.ESCALATED, at, POLICY, details)]


def _check_police(alert: Alert, actor: str, at: float, *, accepted: bool) -> None:
    _check_operator(alert, actor, at)
    if alert.police_offered_at is None:
        raise AlertError(
            N_("alert {alert_key} was not offered to the police", alert_key=alert.alert_key)
        )
    if accepted and alert.police_accepted_by is None:
        raise AlertError(N_("accept the alert first"))


def police_accept(alert: Alert, actor: str, at: float) -> Result:
    """A police officer of the offered unit takes the alert on."""
    _check_police(alert, actor, at, accepted=False)
    if alert.police_accepted_by is not None:
        raise AlertError(
            N_(
                "alert {alert_key} was already accepted by {police_accepted_by}",
                alert_key=alert.alert_key,
                police_accepted_by=alert.police_accepted_by,
            )
        )
    alert, out = escalate_due(alert, at)
    alert = msgspec.structs.replace(
        alert, police_accepted_by=actor, stages={**alert.stages, POLICE_ACCEPTED: at}
    )
    details = {"stage": POLICE_ACCEPTED, "agency": alert.police_district or "", "accepted": True}
    out.append(_transition(alert, TransitionKind.STAGE, at, actor, details))
    return alert, out


def police_stage(alert: Alert, actor: str, at: float, stage: str) -> Result:
    """Unit dispatched, or on scene; the first record of each counts."""
    _check_police(alert, actor, at, accepted=True)
    if stage not in (POLICE_DISPATCHED, POLICE_ON_SCENE):
        raise AlertError(N_("unknown police stage '{stage}'", stage=stage))
    alert, out = escalate_due(alert, at)
    if stage in alert.stages:
        return alert, out
    alert = msgspec.structs.replace(alert, stages={**alert.stages, stage: at})
    out.append(_transition(alert, TransitionKind.STAGE, at, actor, {"stage": stage}))
    return alert, out


def police_report(alert: Alert, actor: str, at: float, outcome: str, note: str) -> Result:
    """The police's outcome and note. The alert stays open: the centre resolves it."""
    _check_police(alert, actor, at, accepted=True)
    if outcome not in POLICE_OUTCOMES:
        raise AlertError(
            N_(
                "unknown outcome '{outcome}'; choose one of {police_outcomes}",
                outcome=outcome,
                police_outcomes=sorted(POLICE_OUTCOMES),
            )
        )
    if not note.strip():
        raise AlertError(N_("a note is required: say what was found and done"))
    alert, out = escalate_due(alert, at)
    first = alert.stages.get(POLICE_REPORTED, at)  # a later report adds, the first counts
    alert = msgspec.structs.replace(alert, stages={**alert.stages, POLICE_REPORTED: first})
    details = {"stage": POLICE_REPORTED, "outcome": outcome, "note": note}
    out.append(_transition(alert, TransitionKind.STAGE, at, actor, details))
    return alert, out
