"""The escalation policy table (pure): the code's default reproduces the
behaviour before tables were editable, a rule without a row takes its
priority's wildcard row, bad rows are refused with the reason, and an
unaccepted offer follows the failover chain: the next district's duty unit,
then the supervisor, each one timeout after the last."""

from __future__ import annotations

import msgspec
import pytest

from korgoo.alerts import machine
from korgoo.alerts.book import AlertBook
from korgoo.alerts.escalation import (
    CHANNELS,
    DEFAULT_TABLE,
    PolicyError,
    PolicyRow,
    check_table,
    decode,
    default_table,
    encode,
    lookup,
    policy_of,
    row_problem,
    with_rows,
)
from korgoo.alerts.model import EscalationStep, Transition
from korgoo.alerts.policy import agency_for, default_policy
from korgoo.domain.decisions import Decision, DecisionKind, Priority
from korgoo.domain.jurisdictions import next_district
from korgoo.domain.rules import Rule
from korgoo.domain.terms import OrderKind
from korgoo.notify.model import Channel

T0 = 1_780_000_000.0
KEY = "order-1:proximity.breach:prot-1:1"
NEXT_THEN_SUPERVISOR = PolicyRow(
    "proximity.breach",
    Priority.P1,
    60.0,
    (EscalationStep(60.0, "supervisor"),),
    unit="police_duty",
    probation_unit="police_duty",
    accept_s=100.0,
    failover=("police_duty:next", "supervisor"),
)


@pytest.mark.parametrize("rule", [r.value for r in Rule] + ["no.such.rule"])
@pytest.mark.parametrize("priority", list(Priority))
def test_the_default_table_reproduces_the_code(rule: str, priority: Priority) -> None:
    policy = policy_of(DEFAULT_TABLE, rule, priority)
    assert policy.unit == agency_for(rule, priority)
    assert policy.probation_unit == agency_for(rule, priority, OrderKind.PROBATION.value)
    base = default_policy(priority)
    assert (policy.ack_sla_s, policy.steps, policy.police_accept_s) == (
        base.ack_sla_s,
        base.steps,
        base.police_accept_s,
    )
    # A duty unit's offer passes to the next district's unit, then the supervisor.
    duty = "police_duty" in (policy.unit, policy.probation_unit)
    assert policy.failover == (("police_duty:next",) if duty else ()) + ("supervisor",)
    # Units outside the centre and the supervisor are written to; operators see the console.
    for recipient, channels in policy.channels.items():
        messages = () if recipient == "operator" else ("push", "sms", "email")
        assert channels == ("console", *messages), recipient
    assert policy.version == "default.2"


def test_a_rule_without_a_row_takes_the_wildcard_row_of_its_priority() -> None:
    assert lookup(DEFAULT_TABLE, "battery.critical", Priority.P3).rule == "*"
    assert lookup(DEFAULT_TABLE, "panic", Priority.P1).rule == "panic"
    assert policy_of(DEFAULT_TABLE, "battery.critical", Priority.P1).revision == "default.2/P1"
    assert policy_of(DEFAULT_TABLE, "panic", Priority.P1).revision == "default.2/panic/P1"
    # The setting of the acceptance timeout reaches every row.
    assert {r.accept_s for r in default_table(45.0).rows} == {45.0}


def test_channels_are_the_notifiers_names() -> None:
    assert {c.value for c in Channel} <= set(CHANNELS)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"rule": "no.such.rule"}, "unknown rule"),
        ({"ack_sla_s": 0.0}, "ack_sla_s must be a positive"),
        ({"ack_sla_s": float("nan")}, "ack_sla_s must be a positive"),
        ({"accept_s": 8 * 86400.0}, "at most a week"),
        ({"steps": (EscalationStep(-1.0, "supervisor"),)}, "steps[0].after_s"),
        ({"steps": (EscalationStep(10.0, "director"),)}, "unknown recipient"),
        (
            {"steps": (EscalationStep(60.0, "supervisor"), EscalationStep(30.0, "police_duty"))},
            "time order",
        ),
        ({"unit": "fire_brigade"}, "unknown unit"),
        ({"failover": ("police_duty:next", "mayor")}, "unknown step"),
        ({"failover": ("police_duty:next",)}, "supervisor"),
        ({"channels": {"supervisor": ("pigeon",)}}, "unknown channel"),
        ({"channels": {"director": ("sms",)}}, "unknown recipient"),
    ],
)
def test_a_bad_row_is_refused_with_the_reason(change: dict[str, object], said: str) -> None:
    row = msgspec.structs.replace(NEXT_THEN_SUPERVISOR, **change)
    problem = row_problem(row)
    assert problem is not None and said in str(problem)
    with pytest.raises(PolicyError, match=said.replace("[", r"\[").replace("]", r"\]")):
        with_rows(DEFAULT_TABLE, [row])
    assert row_problem(NEXT_THEN_SUPERVISOR) is None


def test_a_table_needs_every_wildcard_row_once() -> None:
    check_table(DEFAULT_TABLE)
    no_p4 = msgspec.structs.replace(
        DEFAULT_TABLE, rows=tuple(r for r in DEFAULT_TABLE.rows if r.key != ("*", Priority.P4))
    )
    with pytest.raises(PolicyError, match="no row for every rule"):
        check_table(no_p4)
    twice = msgspec.structs.replace(
        DEFAULT_TABLE, rows=(*DEFAULT_TABLE.rows, DEFAULT_TABLE.rows[0])
    )
    with pytest.raises(PolicyError, match="twice"):
        check_table(twice)


def test_a_new_version_replaces_its_row_and_keeps_the_others() -> None:
    v1 = with_rows(DEFAULT_TABLE, [NEXT_THEN_SUPERVISOR])
    assert (v1.version, v1.number) == ("policy.1", 1)
    assert len(v1.rows) == len(DEFAULT_TABLE.rows)
    assert lookup(v1, "proximity.breach", Priority.P1) == NEXT_THEN_SUPERVISOR
    assert lookup(v1, "panic", Priority.P1) == lookup(DEFAULT_TABLE, "panic", Priority.P1)
    assert decode(encode(v1)) == v1
    assert with_rows(v1, []).version == "policy.2"


def test_the_next_district_goes_round_the_city_in_a_fixed_order() -> None:
    assert next_district("KG-GB-OKT") == "KG-GB-PER"
    assert next_district("KG-GB-SVE") == "KG-GB-LEN"
    assert next_district("KG-GB-OKT", ("KG-GB-OKT", "KG-GB-PER")) == "KG-GB-SVE"
    everyone = ("KG-GB-LEN", "KG-GB-OKT", "KG-GB-PER", "KG-GB-SVE")
    assert next_district("KG-GB-OKT", everyone) is None
    assert next_district("KG-C") is None  # a region: no next duty unit


def opened() -> Decision:
    return Decision(
        kind=DecisionKind.OPENED,
        at=T0,
        order_id="order-1",
        rule="proximity.breach",
        alert_key=KEY,
        subject="prot-1",
        priority=Priority.P1,
        pages=True,
        occurred_at=T0,
    )


def passed(out: list[Transition]) -> list[tuple[float, object, object]]:
    return [
        (t.at, t.details["notify"], t.details.get("district"))
        for t in out
        if t.details.get("reason") == "police_not_accepted"
    ]


def book(row: PolicyRow, district: str = "KG-GB-OKT") -> AlertBook:
    return AlertBook(with_rows(DEFAULT_TABLE, [row]), order_district=lambda _: district)


@pytest.mark.parametrize("ticks", [[T0 + 1000], [T0 + 99, T0 + 100, T0 + 150, T0 + 201, T0 + 999]])
def test_an_unaccepted_offer_goes_to_the_next_unit_then_the_supervisor(ticks: list[float]) -> None:
    b = book(NEXT_THEN_SUPERVISOR)
    b.apply(opened())
    out: list[Transition] = []
    for now in ticks:
        out += b.tick(now)
    assert passed(out) == [
        (T0 + 100, "police_duty", "KG-GB-PER"),
        (T0 + 200, "supervisor", "KG-GB-OKT"),  # where it began
    ]
    alert = b.get(KEY)
    assert alert is not None and alert.police_failed_over
    assert alert.police_next_districts == ("KG-GB-PER",)
    # The first unit may still accept.
    b.police_accept(KEY, "officer-okt", T0 + 1000)


def test_accepted_after_the_first_failover_the_supervisor_is_not_told() -> None:
    b = book(NEXT_THEN_SUPERVISOR)
    b.apply(opened())
    out = b.tick(T0 + 150)
    out += b.police_accept(KEY, "officer-per", T0 + 160)
    out += b.tick(T0 + 1000)
    assert passed(out) == [(T0 + 100, "police_duty", "KG-GB-PER")]


def test_two_next_units_then_the_supervisor() -> None:
    row = msgspec.structs.replace(
        NEXT_THEN_SUPERVISOR, failover=("police_duty:next", "police_duty:next", "supervisor")
    )
    b = book(row)
    b.apply(opened())
    assert passed(b.tick(T0 + 1000)) == [
        (T0 + 100, "police_duty", "KG-GB-PER"),
        (T0 + 200, "police_duty", "KG-GB-SVE"),
        (T0 + 300, "supervisor", "KG-GB-OKT"),
    ]


def test_with_no_next_unit_the_supervisor_is_told_at_the_first_timeout() -> None:
    b = book(NEXT_THEN_SUPERVISOR, district="KG-C")
    b.apply(opened())
    assert passed(b.tick(T0 + 1000)) == [(T0 + 100, "supervisor", "KG-C")]


def test_the_failover_is_the_same_however_the_clock_ticks() -> None:
    runs = []
    for step in (1.0, 7.0, 50.0, 500.0):
        b = book(NEXT_THEN_SUPERVISOR)
        b.apply(opened())
        out: list[Transition] = []
        now = T0
        while now < T0 + 600:
            now += step
            out += b.tick(now)
        runs.append(out)
    assert all(run == runs[0] for run in runs)
    assert machine.POLICY in {t.actor for t in runs[0]}
