"""The escalation policy as data: one row per (rule, priority), versioned.

A row says how long the centre has to acknowledge, whom the centre's steps
tell and when, which unit is offered the alert at once (another on a
probation order), how long that unit has to accept, who is told in turn when
it does not (the failover chain), and by which channels each recipient is
reached. A rule without a row of its own takes the wildcard row ("*") of its
priority, which every table has.

A table is a version: a supervisor's edit makes a new one (docs/escalation.md).
The version in force when an alert opens is frozen onto it
(`EscalationPolicy`), so an edit never changes the timers of open alerts. The
code's default table reproduces the behaviour before tables were editable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

import msgspec

from korgoo.alerts.model import EscalationPolicy, EscalationStep
from korgoo.alerts.policy import (
    DEFAULT_REVISION,
    DISTRICT_INSPECTOR,
    NEXT_DUTY_UNIT,
    POLICE_DUTY,
    PROBATION,
    SUPERVISOR,
    agency_for,
    default_policy,
)
from korgoo.domain.decisions import Priority
from korgoo.domain.rules import CATALOGUE, Rule
from korgoo.domain.terms import OrderKind
from korgoo.domain.text import N_, Text

ANY_RULE: Final = "*"
UNITS: Final = (POLICE_DUTY, DISTRICT_INSPECTOR, PROBATION)
FAILOVER_STEPS: Final = (NEXT_DUTY_UNIT, SUPERVISOR)
# Who a centre step may tell, and whose channels a row may name.
RECIPIENTS: Final = (SUPERVISOR, "operator", *UNITS)
# The channel names of `notify.model.Channel` and the console's own (a unit test
# keeps them in step; the core cannot import the notifier).
CHANNELS: Final = ("console", "push", "sms", "email")
RULES: Final = tuple(r.value for r in Rule)
MAX_TIMEOUT_S: Final = 7 * 86400.0  # a week: anything longer is a typing slip


class PolicyError(ValueError):
    """A policy table or row that cannot be put in force; the Text says why."""


class PolicyRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rule: str  # a rule, or "*" for every rule of the priority without its own row
    priority: Priority
    ack_sla_s: float
    steps: tuple[EscalationStep, ...] = ()
    unit: str | None = None  # offered the alert at once
    probation_unit: str | None = None  # the same, on a probation order
    accept_s: float = 120.0
    failover: tuple[str, ...] = (SUPERVISOR,)
    channels: dict[str, tuple[str, ...]] = {}

    @property
    def key(self) -> tuple[str, Priority]:
        return (self.rule, self.priority)


class PolicyTable(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str  # "default.2" for the code's table, else "policy.<n>"
    number: int  # 0 for the code's table; each saved version adds one
    rows: tuple[PolicyRow, ...]


# Units outside the centre are written to (their view also shows the alert);
# the centre's own people see it in the console.
UNIT_MESSAGE_CHANNELS: Final = ("push", "sms", "email")


def _default_channels(recipient: str, messages: tuple[str, ...]) -> tuple[str, ...]:
    if recipient in UNITS or recipient == SUPERVISOR:
        return ("console", *messages)
    return ("console",)


def _default_row(
    rule: str, priority: Priority, accept_s: float, messages: tuple[str, ...]
) -> PolicyRow:
    base = default_policy(priority)
    unit = None if rule == ANY_RULE else agency_for(rule, priority)
    probation = None if rule == ANY_RULE else agency_for(rule, priority, OrderKind.PROBATION.value)
    recipients = {SUPERVISOR, "operator", *(s.notify for s in base.steps)} | {unit, probation}
    # An offer to a duty unit not accepted in time goes to the next district's
    # unit, then to the centre's supervisor.
    duty = POLICE_DUTY in (unit, probation)
    return PolicyRow(
        rule=rule,
        priority=priority,
        ack_sla_s=base.ack_sla_s,
        steps=base.steps,
        unit=unit,
        probation_unit=probation,
        accept_s=accept_s,
        failover=(NEXT_DUTY_UNIT, SUPERVISOR) if duty else (SUPERVISOR,),
        channels={r: _default_channels(r, messages) for r in RECIPIENTS if r in recipients},
    )


def default_table(
    accept_s: float = 120.0, messages: tuple[str, ...] = UNIT_MESSAGE_CHANNELS
) -> PolicyTable:
    """The code's table: a wildcard row per priority, and a row for each
    (rule, priority) that offers the alert to a unit (`agency_for`); units and
    the supervisor get messages over `messages`, in that order."""
    rows = [_default_row(ANY_RULE, p, accept_s, messages) for p in Priority]
    for rule in CATALOGUE:
        for p in Priority:
            row = _default_row(rule.value, p, accept_s, messages)
            if row.unit is not None or row.probation_unit is not None:
                rows.append(row)
    return PolicyTable(version=DEFAULT_REVISION, number=0, rows=tuple(rows))


DEFAULT_TABLE: Final = default_table()


def lookup(table: PolicyTable, rule: str, priority: Priority) -> PolicyRow:
    """The row of (rule, priority), else the wildcard row of the priority."""
    wildcard = None
    for row in table.rows:
        if row.priority is priority:
            if row.rule == rule:
                return row
            if row.rule == ANY_RULE:
                wildcard = row
    if wildcard is None:
        raise PolicyError(
            N_("the policy has no row for every rule at {priority}", priority=priority)
        )
    return wildcard


def policy_of(table: PolicyTable, rule: str, priority: Priority) -> EscalationPolicy:
    """The policy frozen onto an alert of `rule` at `priority` opening now."""
    row = lookup(table, rule, priority)
    where = priority.value if row.rule == ANY_RULE else f"{row.rule}/{priority.value}"
    return EscalationPolicy(
        revision=f"{table.version}/{where}",
        ack_sla_s=row.ack_sla_s,
        steps=row.steps,
        police_accept_s=row.accept_s,
        version=table.version,
        unit=row.unit,
        probation_unit=row.probation_unit,
        failover=row.failover,
        channels=row.channels,
    )


def _seconds(value: float, name: str, *, zero_ok: bool = False) -> Text | None:
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        return N_("{field} must be a positive number of seconds", field=name)
    if value > MAX_TIMEOUT_S:
        return N_(
            "{field} must be at most a week ({limit} s)", field=name, limit=int(MAX_TIMEOUT_S)
        )
    return None


def row_problem(row: PolicyRow) -> Text | None:
    """What is wrong with a row, or None."""
    if row.rule != ANY_RULE and row.rule not in RULES:
        return N_("unknown rule '{rule}'", rule=row.rule)
    for value, name in ((row.ack_sla_s, "ack_sla_s"), (row.accept_s, "accept_s")):
        problem = _seconds(value, name)
        if problem is not None:
            return problem
    previous = 0.0
    for i, step in enumerate(row.steps):
        problem = _seconds(step.after_s, f"steps[{i}].after_s", zero_ok=True)
        if problem is not None:
            return problem
        if step.notify not in RECIPIENTS:
            return N_("steps[{i}]: unknown recipient '{who}'", i=i, who=step.notify)
        if step.after_s < previous:
            return N_("steps[{i}] comes before the step above it; list steps in time order", i=i)
        previous = step.after_s
    for unit in (row.unit, row.probation_unit):
        if unit is not None and unit not in UNITS:
            return N_("unknown unit '{unit}'", unit=unit)
    for i, step_name in enumerate(row.failover):
        if step_name not in FAILOVER_STEPS:
            return N_("failover[{i}]: unknown step '{step}'", i=i, step=step_name)
    if POLICE_DUTY in (row.unit, row.probation_unit) and row.failover[-1:] != (SUPERVISOR,):
        # An unaccepted offer to the police must end with someone in the centre.
        return N_(
            "a row that offers the alert to the police duty unit must end its failover "
            "with the supervisor"
        )
    for who, channels in row.channels.items():
        if who not in RECIPIENTS:
            return N_("channels: unknown recipient '{who}'", who=who)
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            return N_("channels of {who}: unknown channel '{channel}'", who=who, channel=unknown[0])
    return None


def check_table(table: PolicyTable) -> None:
    """Refuse a table that cannot be put in force: a bad row, a row twice, or a
    priority without its wildcard row."""
    seen: set[tuple[str, Priority]] = set()
    for row in table.rows:
        problem = row_problem(row)
        if problem is not None:
            raise PolicyError(problem)
        if row.key in seen:
            raise PolicyError(
                N_("the row {rule} {priority} is given twice", rule=row.rule, priority=row.priority)
            )
        seen.add(row.key)
    for p in Priority:
        if (ANY_RULE, p) not in seen:
            raise PolicyError(N_("the policy has no row for every rule at {priority}", priority=p))


def with_rows(table: PolicyTable, rows: Iterable[PolicyRow]) -> PolicyTable:
    """The next version: `rows` replace the rows of their (rule, priority) or
    are added, ordered wildcard first, then by rule and priority."""
    by_key = {row.key: row for row in table.rows}
    by_key.update((row.key, row) for row in rows)
    ordered = sorted(by_key.values(), key=lambda r: (r.rule != ANY_RULE, r.rule, r.priority))
    number = table.number + 1
    new = PolicyTable(version=f"policy.{number}", number=number, rows=tuple(ordered))
    check_table(new)
    return new


def encode(table: PolicyTable) -> str:
    return msgspec.json.encode(table).decode()


def decode(text: str | bytes) -> PolicyTable:
    table = msgspec.json.decode(text, type=PolicyTable)
    check_table(table)
    return table
