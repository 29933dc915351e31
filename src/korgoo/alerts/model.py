"""The alert record and its transitions (value objects; the logic is in machine.py).

ISA-18.2 states: the condition is active or returned to normal (`active`), and
the alert is unacknowledged or acknowledged (`acked`). A condition that clears
by itself still needs an operator; acknowledging never clears a live condition.
Resolution closes the alert and needs an outcome code and a note.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from korgoo.domain.decisions import Confidence, Priority


class Outcome(StrEnum):
    CONFIRMED_VIOLATION = "confirmed_violation"
    GPS_FALSE_ALARM = "gps_false_alarm"
    TECHNICAL_FALSE_ALARM = "technical_false_alarm"
    DEVICE_FAULT = "device_fault"
    AUTHORISED_PRESENCE = "authorised_presence"
    OTHER = "other"


class TransitionKind(StrEnum):
    RAISED = "raised"
    UPDATED = "updated"  # priority / confidence changed by the engine
    RETURNED_TO_NORMAL = "returned_to_normal"
    REACTIVATED = "reactivated"
    ACKNOWLEDGED = "acknowledged"
    NOTE = "note"
    CALL_LOGGED = "call_logged"
    ESCALATED = "escalated"  # SLA ran out, or an operator escalated
    STAGE = "stage"  # a stage timestamp: victim warned, police notified, on scene
    NOTIFICATION = "notification"  # an SMS or e-mail sent, delivered or failed
    RESOLVED = "resolved"


class EscalationStep(msgspec.Struct, frozen=True):
    after_s: float  # seconds after the alert opened with no acknowledgement
    notify: str  # role or unit to escalate to: "supervisor", "police_duty", ...


class EscalationPolicy(msgspec.Struct, frozen=True):
    """Frozen onto an alert when it opens; later policy edits do not change it."""

    revision: str
    ack_sla_s: float
    steps: tuple[EscalationStep, ...] = ()
    # How long a police unit offered the alert has to accept it before the
    # failover chain's next step (docs/escalation.md).
    police_accept_s: float = 120.0
    # The version of the policy table it came from, and that table's row: the
    # unit offered the alert at once (on a probation order, `probation_unit`),
    # who is told in turn when the offer is not accepted in time, and the
    # channels each recipient is reached by.
    version: str = ""
    unit: str | None = None
    probation_unit: str | None = None
    failover: tuple[str, ...] = ("supervisor",)
    channels: dict[str, tuple[str, ...]] = {}


class Alert(msgspec.Struct, omit_defaults=True):
    alert_key: str
    order_id: str
    rule: str
    subject: str
    priority: Priority
    confidence: Confidence | None
    pages: bool
    opened_at: float
    occurred_at: float
    policy: EscalationPolicy
    active: bool = True
    acked: bool = False
    resolved: bool = False
    late: bool = False
    acked_at: float | None = None
    acked_by: str | None = None
    returned_at: float | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    outcome: Outcome | None = None
    note: str | None = None
    escalations_done: int = 0
    # The police offer (docs/escalation.md): the unit ("police_duty" or
    # "district_inspector") and district it went to, when, who accepted it, and
    # whether the acceptance timeout passed it on to the centre supervisor.
    police_unit: str | None = None
    police_district: str | None = None
    police_offered_at: float | None = None
    police_accepted_by: str | None = None
    police_failed_over: bool = False
    # Failover (docs/escalation.md): the chain steps taken, the next districts'
    # duty units the offer passed to (in order; the first unit may still
    # accept), and when it last passed.
    police_failovers: int = 0
    police_next_districts: tuple[str, ...] = ()
    police_passed_at: float | None = None
    # Stage timestamps for response-time figures: victim_warned, police_notified,
    # police_on_scene, respondent_instructed.
    stages: dict[str, float] = {}
    evidence: dict[str, object] = {}


class Transition(msgspec.Struct, frozen=True, omit_defaults=True):
    alert_key: str
    kind: TransitionKind
    at: float
    actor: str  # "engine", "sla" or a user name
    active: bool
    acked: bool
    resolved: bool
    priority: Priority | None = None
    details: dict[str, object] = {}
