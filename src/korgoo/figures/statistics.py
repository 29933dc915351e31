"""The statistics of the monitoring centre over a period: figures only, never a person.

`compute` takes the rows the store gives (orders with their versions, device
assignments, alerts opened in the period) and returns counts, rates and
response times. It is a pure function of its arguments: the caller passes the
present (`now`), so a period reaching into the future counts monitored time
only up to now. What each figure means is in docs/statistics.md.

- An order counts in the period when it was monitored at some moment of it (a
  version with status active in force, within its start and end) or was
  entered in it. Its status is that of the version in force at the period's
  end; an active order past its end date counts as ended.
- Its monitoring modes are the kinds of the devices assigned to its
  respondent (bracelet, respondent app) and to its protected persons (victim
  app) at some moment it was monitored in the period: an order may have two.
  A device is in use when it was so assigned.
- A monitored person-day is one day of one order's respondent under
  monitoring; an order-month is 365.25 / 12 such days.
- Alerts count when they opened in the period. Their outcome is classed as a
  true breach, a false alarm (GPS or technical), a device fault, an authorised
  presence, another outcome, or still open.
- Response times run from the alert's opening to its acknowledgement and to
  each police stage recorded on it; a stage never recorded has no figure.
  Medians interpolate between the two middle values; the 90th percentile is
  the nearest rank (the smallest value at or above 90 % of the values).
"""

from __future__ import annotations

import math
import statistics as stats
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

import msgspec

from korgoo.alerts.machine import POLICE_DELIVERED
from korgoo.alerts.model import Outcome
from korgoo.domain.decisions import Priority
from korgoo.domain.rules import CATALOGUE
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus

DAY_S: Final = 86400.0
MONTH_DAYS: Final = 365.25 / 12

# Outcome codes of a resolved alert -> the ministry's classes.
OUTCOME_CLASSES: Final[dict[str, str]] = {
    Outcome.CONFIRMED_VIOLATION: "true_breach",
    Outcome.GPS_FALSE_ALARM: "false_alarm",
    Outcome.TECHNICAL_FALSE_ALARM: "false_alarm",
    Outcome.DEVICE_FAULT: "device_fault",
    Outcome.AUTHORISED_PRESENCE: "authorised_presence",
    Outcome.OTHER: "other",
}
OUTCOME_CLASS_ORDER: Final = (
    "true_breach",
    "false_alarm",
    "device_fault",
    "authorised_presence",
    "other",
    "open",
)
MODES: Final = (DeviceKind.BRACELET, DeviceKind.RESPONDENT_APP, DeviceKind.VICTIM_APP)
# Response stages: the figure's key -> the alert's stage it ends at
# ("acknowledged" is the alert's acknowledgement time).
STAGES: Final[dict[str, str]] = {
    "acknowledged": "acknowledged",
    "police_notified": "police_notified",
    "police_accepted": POLICE_DELIVERED,  # the agency confirmed receipt
    "police_on_scene": "police_on_scene",
}
_LIVE_MODES: Final = {
    "respondent": (DeviceKind.BRACELET, DeviceKind.RESPONDENT_APP),
    "protected": (DeviceKind.VICTIM_APP,),
}


class VersionRow(msgspec.Struct, frozen=True):
    valid_from: float
    status: str
    starts_at: float
    ends_at: float
    respondent_id: str
    protected_ids: tuple[str, ...] = ()


class OrderRow(msgspec.Struct, frozen=True):
    order_id: str
    kind: str
    district: str
    created_at: float
    versions: tuple[VersionRow, ...]  # in version order


class AssignmentRow(msgspec.Struct, frozen=True):
    device_id: str
    device_kind: str
    person_id: str
    from_at: float
    to_at: float | None


class AlertRow(msgspec.Struct, frozen=True):
    order_id: str
    rule: str
    priority: str
    opened_at: float
    acked_at: float | None
    outcome: str | None  # None while unresolved
    stages: dict[str, float] = {}


class Inputs(msgspec.Struct, frozen=True):
    orders: tuple[OrderRow, ...]
    assignments: tuple[AssignmentRow, ...]
    alerts: tuple[AlertRow, ...]  # opened in the period


class Count(msgspec.Struct, frozen=True):
    key: str
    count: int


class Rate(msgspec.Struct, frozen=True):
    """`count` events over `exposure` (person-days or order-months)."""

    key: str
    count: int
    exposure: float
    rate: float | None  # None without exposure


class Timing(msgspec.Struct, frozen=True):
    stage: str
    n: int
    median_s: float | None  # None: not recorded yet
    p90_s: float | None


class Statistics(msgspec.Struct, frozen=True):
    from_at: float
    to_at: float
    district: str | None
    orders: int
    orders_by_kind: list[Count]
    orders_by_district: list[Count]
    orders_by_status: list[Count]
    orders_by_mode: list[Count]
    devices_in_use: int
    devices_by_kind: list[Count]
    alerts: int
    alerts_by_rule: list[Count]
    alerts_by_priority: list[Count]
    alerts_by_outcome: list[Count]
    person_days: float
    order_months: float
    false_alarms_by_rule: list[Rate]
    response_times: list[Timing]
    breaches_by_mode: list[Rate]


def outcome_class(outcome: str | None) -> str:
    return "open" if outcome is None else OUTCOME_CLASSES.get(outcome, "other")


def monitored_spans(order: OrderRow) -> list[tuple[float, float]]:
    """The times the order was under monitoring: each version with status
    active, from when it took effect until the next one, within its dates."""
    spans = []
    for i, v in enumerate(order.versions):
        until = order.versions[i + 1].valid_from if i + 1 < len(order.versions) else math.inf
        if v.status == OrderStatus.ACTIVE:
            lo, hi = max(v.valid_from, v.starts_at), min(until, v.ends_at)
            if hi > lo:
                spans.append((lo, hi))
    return spans


def overlap(spans: Iterable[tuple[float, float]], lo: float, hi: float) -> float:
    return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in spans)


def status_at(order: OrderRow, t: float) -> str | None:
    """The status of the version in force at `t` (None before the first)."""
    current = None
    for v in order.versions:
        if v.valid_from <= t:
            current = v
    if current is None:
        return None
    if current.status == OrderStatus.ACTIVE and current.ends_at <= t:
        return OrderStatus.ENDED
    return current.status


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of sorted `values` (0 < p <= 1)."""
    return values[max(0, math.ceil(p * len(values)) - 1)]


def _counts(counter: Counter[str], keys: Iterable[str] = ()) -> list[Count]:
    """`keys` first in their order (zeros included), then any others by count."""
    known = list(dict.fromkeys(keys))
    rest = sorted((k for k in counter if k not in known), key=lambda k: (-counter[k], k))
    return [Count(k, counter[k]) for k in (*known, *rest)]


def _rate(key: str, count: int, exposure: float) -> Rate:
    return Rate(key, count, round(exposure, 4), count / exposure if exposure > 0 else None)


def compute(
    inputs: Inputs, *, from_at: float, to_at: float, now: float, district: str | None = None
) -> Statistics:
    end = min(to_at, now)
    counted: list[tuple[OrderRow, float]] = []  # with its monitored seconds in the period
    for order in inputs.orders:
        if district is not None and order.district != district:
            continue
        seconds = overlap(monitored_spans(order), from_at, end)
        if seconds > 0 or from_at <= order.created_at < to_at:
            counted.append((order, seconds))

    # person -> [(order, party role, the order's monitored spans in the period)]
    parties: dict[str, list[tuple[str, str, list[tuple[float, float]]]]] = {}
    for order, seconds in counted:
        if seconds <= 0:
            continue
        spans = [(max(a, from_at), min(b, end)) for a, b in monitored_spans(order)]
        spans = [(a, b) for a, b in spans if b > a]
        for v in order.versions:
            for person, role in (
                (v.respondent_id, "respondent"),
                *((p, "protected") for p in v.protected_ids),
            ):
                parties.setdefault(person, []).append((order.order_id, role, spans))
    modes: dict[str, set[str]] = {}
    devices: dict[str, str] = {}
    for a in inputs.assignments:
        until = math.inf if a.to_at is None else a.to_at
        for order_id, role, spans in parties.get(a.person_id, ()):
            if a.device_kind in _LIVE_MODES[role] and overlap(spans, a.from_at, until) > 0:
                modes.setdefault(order_id, set()).add(a.device_kind)
                devices[a.device_id] = a.device_kind

    by_kind: Counter[str] = Counter()
    by_district: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_mode: Counter[str] = Counter()
    days_by_mode: dict[str, float] = {m.value: 0.0 for m in MODES}
    person_days = 0.0
    for order, seconds in counted:
        by_kind[order.kind] += 1
        by_district[order.district] += 1
        by_status[status_at(order, end) or OrderStatus.DRAFT] += 1
        person_days += seconds / DAY_S
        for mode in modes.get(order.order_id, ()):
            by_mode[mode] += 1
            days_by_mode[mode] = days_by_mode.get(mode, 0.0) + seconds / DAY_S

    ids = {order.order_id for order, _ in counted}
    alerts = [a for a in inputs.alerts if a.order_id in ids and from_at <= a.opened_at < to_at]
    false_alarms: Counter[str] = Counter()
    breaches: Counter[str] = Counter()
    for alert in alerts:
        cls = outcome_class(alert.outcome)
        if cls == "false_alarm":
            false_alarms[alert.rule] += 1
        if cls == "true_breach":
            for mode in modes.get(alert.order_id, ()):
                breaches[mode] += 1
    by_rule = Counter(a.rule for a in alerts)
    rule_order = [r.value for r in CATALOGUE]

    timings = []
    for stage, field in STAGES.items():
        waits = sorted(
            t - a.opened_at
            for a in alerts
            if (t := (a.acked_at if field == "acknowledged" else a.stages.get(field))) is not None
        )
        timings.append(
            Timing(
                stage,
                len(waits),
                stats.median(waits) if waits else None,
                percentile(waits, 0.9) if waits else None,
            )
        )

    return Statistics(
        from_at=from_at,
        to_at=to_at,
        district=district,
        orders=len(counted),
        orders_by_kind=_counts(by_kind, [k.value for k in OrderKind]),
        orders_by_district=_counts(by_district),
        orders_by_status=_counts(by_status, [s.value for s in OrderStatus]),
        orders_by_mode=_counts(by_mode, [m.value for m in MODES]),
        devices_in_use=len(devices),
        devices_by_kind=_counts(Counter(devices.values()), [m.value for m in MODES]),
        alerts=len(alerts),
        alerts_by_rule=_counts(by_rule, [r for r in rule_order if by_rule[r]]),
        alerts_by_priority=_counts(
            Counter(a.priority for a in alerts), [p.value for p in Priority]
        ),
        alerts_by_outcome=_counts(
            Counter(outcome_class(a.outcome) for a in alerts), OUTCOME_CLASS_ORDER
        ),
        person_days=round(person_days, 4),
        order_months=round(person_days / MONTH_DAYS, 4),
        false_alarms_by_rule=[
            _rate(r, false_alarms[r], person_days) for r in rule_order if by_rule[r]
        ],
        response_times=timings,
        breaches_by_mode=[
            _rate(m.value, breaches[m.value], days_by_mode[m.value] / MONTH_DAYS) for m in MODES
        ],
    )
