"""The live alerts, in memory: applies the engine's decisions, ticks SLA timers,
and routes operator actions to the state machine.

Deterministic: the same decisions, actions and ticks give the same transitions,
and the book first ticks to the time of every decision or action, so the
transitions do not depend on how often `tick` is called.

Episodes that were resolved are remembered by key, so that a retry or a replay
never raises them again, while the condition truly coming back is not lost:
- resolved after returning to normal: a newer OPENED/UPDATED reopens it;
- resolved while active (judged false by the operator): only a decision that
  escalates beyond that judgement (higher priority or stronger confidence)
  reopens it, until the engine clears it; after that any new decision does.
A reopened episode is a new alert keyed `<episode key>/reopened-<n>`, because
the resolved alert is final and its key is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import msgspec

from korgoo.alerts import machine
from korgoo.alerts.escalation import DEFAULT_TABLE, PolicyTable, policy_of
from korgoo.alerts.model import Alert, Outcome, Transition
from korgoo.alerts.policy import (
    ORDER_DISTRICT_UNITS,
    confidence_rank,
    default_priority,
    next_escalation_at,
    priority_rank,
)
from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.jurisdictions import district_at
from korgoo.domain.rules import episode_key, reopen_count, reopened_key
from korgoo.domain.terms import OrderKind
from korgoo.domain.text import N_

_ROUTED = frozenset({DecisionKind.OPENED, DecisionKind.UPDATED, DecisionKind.CLEARED})


class _Closed(NamedTuple):
    at: float  # when it was resolved
    live: bool  # resolved while its condition was active, not yet cleared by the engine
    priority: Priority
    confidence: Confidence | None
    reopened: int  # how many times the episode has been reopened


def queue_order(alert: Alert) -> tuple[int, bool, bool, float, str]:
    """Most urgent priority first; within a priority, active before returned to
    normal, then unacknowledged before acknowledged; then oldest first, because
    the longest-waiting alert is the nearest to (or furthest past) its SLA."""
    return (
        priority_rank(alert.priority),
        not alert.active,
        alert.acked,
        alert.opened_at,
        alert.alert_key,
    )


class BookState(NamedTuple):
    live: dict[str, Alert]
    route: dict[str, str]
    closed: dict[str, _Closed]
    changed: dict[str, Alert]


class AlertBook:
    def __init__(
        self,
        table: PolicyTable = DEFAULT_TABLE,
        *,
        auto_close_acked_rtn: bool = False,
        order_district: Callable[[str], str | None] = lambda _order_id: None,
        order_kind: Callable[[str], str | None] = lambda _order_id: None,
    ) -> None:
        self._table = table  # the escalation policy in force for alerts opening now
        self._order_district = order_district  # where an order was issued, for police offers
        self._order_kind = order_kind  # a probation order's alerts go to probation
        self._auto_close = auto_close_acked_rtn
        self._live: dict[str, Alert] = {}  # by alert key
        self._route: dict[str, str] = {}  # episode key -> live alert key, when they differ
        self._closed: dict[str, _Closed] = {}  # by episode key
        self._changed: dict[str, Alert] = {}  # alerts changed since take_changed()

    def load(self, alerts: Iterable[Alert]) -> None:
        """Restore after a restart: live alerts, and resolved ones (so they are not raised
        again). A loaded resolved episode counts as returned to normal (the alert record
        does not say whether its condition was active when resolved), so any newer
        decision for it reopens it: the cautious side."""
        for alert in alerts:
            key = episode_key(alert.alert_key)
            if alert.resolved:
                known = self._closed.get(key)
                n = max(reopen_count(alert.alert_key), known.reopened if known else 0)
                at = alert.resolved_at if alert.resolved_at is not None else alert.opened_at
                self._closed[key] = _Closed(at, False, alert.priority, alert.confidence, n)
            else:
                self._live[alert.alert_key] = alert
                if alert.alert_key != key:
                    self._route[key] = alert.alert_key

    @property
    def table(self) -> PolicyTable:
        return self._table

    def set_table(self, table: PolicyTable) -> None:
        """A new policy version, in force for alerts opening (or rising) from now:
        open alerts keep the policy frozen on them. The caller applies it in the
        order of the event log, so a replay opens the same alerts with it."""
        self._table = table

    def get(self, alert_key: str) -> Alert | None:
        return self._live.get(alert_key)

    def checkpoint(self) -> BookState:
        """The book's state now, to put back if what follows cannot be stored.
        Alerts are replaced, never changed in place, so shallow copies suffice."""
        return BookState(
            dict(self._live), dict(self._route), dict(self._closed), dict(self._changed)
        )

    def restore(self, state: BookState) -> None:
        self._live, self._route = dict(state.live), dict(state.route)
        self._closed, self._changed = dict(state.closed), dict(state.changed)

    def live(self) -> dict[str, Alert]:
        """A copy of the live alerts by key."""
        return dict(self._live)

    def alerts(self) -> list[Alert]:
        """The live alerts in queue order."""
        return sorted(self._live.values(), key=queue_order)

    def tick(self, now: float) -> list[Transition]:
        """SLA escalations due by `now`, each stamped at its due time, in time order."""
        due = []
        for key, alert in self._live.items():
            at = next_escalation_at(alert)
            if at is not None and at <= now:
                due.append(key)
        out: list[Transition] = []
        for key in sorted(due):
            self._live[key], transitions = machine.escalate_due(self._live[key], now)
            if transitions:
                self._changed[key] = self._live[key]
            out += transitions
        out.sort(key=lambda t: (t.at, t.alert_key))  # stable: steps of one alert keep order
        return out

    def apply(self, decision: Decision) -> list[Transition]:
        """Route an OPENED / UPDATED / CLEARED decision; other kinds are not alerts."""
        if decision.kind not in _ROUTED or not decision.alert_key:
            return []
        out = self.tick(decision.at)
        key = decision.alert_key
        live_key = self._route.get(key, key)
        alert = self._live.get(live_key)
        if alert is not None:
            routed = msgspec.structs.replace(decision, alert_key=live_key)
            if decision.kind is DecisionKind.CLEARED:
                new, transitions = machine.apply_clear(
                    alert, routed, auto_close_acked_rtn=self._auto_close
                )
            else:
                policy = (
                    policy_of(self._table, alert.rule, decision.priority)
                    if decision.priority
                    else None
                )
                new, transitions = machine.apply_update(alert, routed, policy)
                new, offered = self._offer(new, decision.at)  # a priority risen to P1
                transitions += offered
            self._keep(alert, new)
            return out + transitions
        closed = self._closed.get(key)
        if decision.kind is DecisionKind.CLEARED:
            if closed is not None and closed.live:
                self._closed[key] = closed._replace(live=False)
            return out
        if closed is None:
            # An UPDATED for an episode never seen (its OPENED was lost) still raises.
            return out + self._raise(decision, key, 0)
        if decision.at <= closed.at or (closed.live and not _escalates(closed, decision)):
            return out
        return out + self._raise(decision, key, closed.reopened + 1)

    def _raise(self, decision: Decision, key: str, reopening: int) -> list[Transition]:
        alert_key = reopened_key(key, reopening)
        opened = msgspec.structs.replace(decision, kind=DecisionKind.OPENED, alert_key=alert_key)
        priority = opened.priority or default_priority(opened.rule)
        alert, transitions = machine.raise_alert(
            opened, policy_of(self._table, opened.rule, priority)
        )
        alert, offered = self._offer(alert, decision.at)
        transitions += offered
        if reopening:
            raised = transitions[0]
            transitions[0] = msgspec.structs.replace(
                raised, details={**raised.details, "reopens": key, "reopening": reopening}
            )
            self._route[key] = alert_key
        self._live[alert_key] = alert
        self._changed[alert_key] = alert
        return transitions

    def _offer(self, alert: Alert, at: float) -> machine.Result:
        """Offer the alert to the unit its frozen policy names for its order's
        kind: a police unit in the district where the respondent is (the fix in
        the decision's evidence), else the order's district; probation always in
        the order's district. Decided from the decision, the order and the
        policy alone, so a replay offers it to the same unit."""
        if not alert.pages:
            return alert, []  # shown, not paged (a possible breach): no one is called
        probation = self._order_kind(alert.order_id) == OrderKind.PROBATION.value
        unit = alert.policy.probation_unit if probation else alert.policy.unit
        if unit is None or alert.police_offered_at is not None:
            return alert, []
        fix = alert.evidence.get("respondent_fix")
        district = None
        if unit not in ORDER_DISTRICT_UNITS and isinstance(fix, list | tuple) and len(fix) >= 3:
            district = district_at(float(fix[1]), float(fix[2]))
        basis = "respondent_position"
        if district is None:
            district, basis = self._order_district(alert.order_id), "order"
        if district is None:
            return alert, []  # no district known: the centre alone has it
        return machine.offer_police(alert, at, unit, district, basis)

    def police_accept(self, alert_key: str, actor: str, at: float) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.police_accept(a, actor, at))

    def police_stage(self, alert_key: str, actor: str, at: float, stage: str) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.police_stage(a, actor, at, stage))

    def police_report(
        self, alert_key: str, actor: str, at: float, outcome: str, note: str
    ) -> list[Transition]:
        return self._act(
            alert_key, at, lambda a: machine.police_report(a, actor, at, outcome, note)
        )

    def take_changed(self) -> dict[str, Alert]:
        """The alerts changed since the last call (resolved ones included), by key:
        what the store must write after applying decisions or actions."""
        changed, self._changed = self._changed, {}
        return changed

    def _keep(self, before: Alert, after: Alert) -> None:
        self._changed[after.alert_key] = after
        if not after.resolved:
            self._live[after.alert_key] = after
            return
        key = episode_key(after.alert_key)
        del self._live[after.alert_key]
        self._route.pop(key, None)
        at = after.resolved_at if after.resolved_at is not None else after.opened_at
        n = reopen_count(after.alert_key)
        live = before.active and not machine.is_latched(before)
        self._closed[key] = _Closed(at, live, after.priority, after.confidence, n)

    def _act(
        self, alert_key: str, at: float, action: Callable[[Alert], machine.Result]
    ) -> list[Transition]:
        alert = self._live.get(alert_key)
        if alert is None:
            raise machine.AlertError(
                N_(
                    "there is no open alert {alert_key}; it may have been resolved already",
                    alert_key=alert_key,
                )
            )
        action(alert)  # validate first: a refused action must not swallow due escalations
        out = self.tick(at)
        alert = self._live[alert_key]
        new, transitions = action(alert)
        self._keep(alert, new)
        return out + transitions

    def acknowledge(self, alert_key: str, actor: str, at: float) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.acknowledge(a, actor, at))

    def add_note(self, alert_key: str, actor: str, at: float, text: str) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.add_note(a, actor, at, text))

    def log_call(
        self, alert_key: str, actor: str, at: float, *, party: str, outcome: str, note: str = ""
    ) -> list[Transition]:
        return self._act(
            alert_key, at, lambda a: machine.log_call(a, actor, at, party, outcome, note=note)
        )

    def record_stage(self, alert_key: str, stage: str, at: float, actor: str) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.record_stage(a, stage, at, actor))

    def record_police_delivery(
        self, alert_key: str, at: float, actor: str, agency: str
    ) -> list[Transition]:
        """For the agencies' notifier, once the police confirmed a notification."""
        return self._act(
            alert_key, at, lambda a: machine.record_police_delivery(a, at, actor, agency)
        )

    def resolve(
        self, alert_key: str, actor: str, at: float, outcome: Outcome | str, note: str
    ) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.resolve(a, actor, at, outcome, note))

    def escalate(self, alert_key: str, actor: str, at: float, reason: str) -> list[Transition]:
        return self._act(alert_key, at, lambda a: machine.escalate(a, actor, at, reason))


def _escalates(closed: _Closed, decision: Decision) -> bool:
    """Whether a decision goes beyond what the operator judged false when resolving."""
    higher = decision.priority is not None and priority_rank(decision.priority) < priority_rank(
        closed.priority
    )
    stronger = decision.confidence is not None and confidence_rank(
        decision.confidence
    ) < confidence_rank(closed.confidence)
    return higher or stronger
