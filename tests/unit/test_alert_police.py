"""The police offer in the alert book: which unit and district, the acceptance
timeout stamped at its due time however the clock ticks, the steps in order,
and the same offer on a replay."""

from __future__ import annotations

import msgspec
import pytest

from korgoo.alerts.book import AlertBook
from korgoo.alerts.machine import AlertError
from korgoo.alerts.model import Transition
from korgoo.alerts.policy import agency_for
from korgoo.domain.decisions import Decision, DecisionKind, Priority
from korgoo.domain.jurisdictions import district_at

T0 = 1_780_000_000.0
IN_SVERDLOVSKY = (42.88, 74.66)  # north-east Bishkek
KEY = "order-1:proximity.breach:prot-1:1"


def opened(
    rule: str = "proximity.breach", priority: Priority = Priority.P1, **evidence: object
) -> Decision:
    return Decision(
        kind=DecisionKind.OPENED,
        at=T0,
        order_id="order-1",
        rule=rule,
        alert_key=f"order-1:{rule}:prot-1:1",
        subject="prot-1",
        priority=priority,
        pages=True,
        occurred_at=T0,
        evidence=dict(evidence),
    )


def book() -> AlertBook:
    return AlertBook(order_district=lambda order_id: "KG-GB-OKT")


def offers(transitions: list[Transition]) -> list[dict[str, object]]:
    return [dict(t.details) for t in transitions if t.kind == "escalated" and t.actor == "policy"]


def test_who_is_offered_what() -> None:
    assert agency_for("proximity.breach", Priority.P1) == "police_duty"
    assert agency_for("zone.exclusion", Priority.P1) == "police_duty"
    assert agency_for("panic", Priority.P1) == "police_duty"
    assert agency_for("zone.exclusion", Priority.P2) is None
    assert agency_for("device.strap", Priority.P2) == "district_inspector"
    assert agency_for("battery.critical", Priority.P1) is None
    assert agency_for("device.no_signal", Priority.P2) is None


def test_the_district_is_where_the_respondent_is_else_the_orders() -> None:
    assert district_at(*IN_SVERDLOVSKY) == "KG-GB-SVE"
    b = book()
    fix = [T0, IN_SVERDLOVSKY[0], IN_SVERDLOVSKY[1], 10.0]
    (offer,) = offers(b.apply(opened(respondent_fix=fix)))
    assert (offer["district"], offer["basis"]) == ("KG-GB-SVE", "respondent_position")
    (offer,) = offers(book().apply(opened()))
    assert (offer["district"], offer["basis"]) == ("KG-GB-OKT", "order")
    far = [T0, 42.49, 78.39, 10.0]  # Karakol: in no district of the table
    (offer,) = offers(book().apply(opened(respondent_fix=far)))
    assert offer["basis"] == "order"


def test_a_rise_to_p1_offers_it_then() -> None:
    b = book()
    assert offers(b.apply(opened(priority=Priority.P2))) == []
    rise = Decision(
        kind=DecisionKind.UPDATED,
        at=T0 + 30,
        order_id="order-1",
        rule="proximity.breach",
        alert_key=KEY,
        subject="prot-1",
        priority=Priority.P1,
    )
    (offer,) = offers(b.apply(rise))
    assert offer["notify"] == "police_duty"
    alert = b.get(KEY)
    assert alert is not None and alert.police_offered_at == T0 + 30


@pytest.mark.parametrize(
    "ticks", [[T0 + 121, T0 + 239, T0 + 241], [T0 + 60, T0 + 119, T0 + 120, T0 + 500]]
)
def test_an_unaccepted_offer_goes_to_the_next_unit_then_the_supervisor_at_their_due_times(
    ticks: list[float],
) -> None:
    b = book()
    b.apply(opened())
    out: list[Transition] = []
    for now in ticks:
        out += b.tick(now)
    failover = [t for t in out if t.details.get("reason") == "police_not_accepted"]
    assert [(t.at, t.details["notify"]) for t in failover] == [
        (T0 + 120, "police_duty"),
        (T0 + 240, "supervisor"),
    ]
    assert failover[0].details["district"] != failover[0].details["from_district"]


def test_accepted_in_time_nothing_goes_to_the_supervisor_and_steps_come_in_order() -> None:
    b = book()
    b.apply(opened())
    with pytest.raises(AlertError, match="accept"):
        b.police_stage(KEY, "officer", T0 + 10, "police_on_scene")
    b.police_accept(KEY, "officer", T0 + 20)
    b.police_stage(KEY, "officer", T0 + 40, "police_dispatched")
    b.police_stage(KEY, "officer", T0 + 300, "police_on_scene")
    assert not [t for t in b.tick(T0 + 1000) if t.details.get("reason") == "police_not_accepted"]
    alert = b.get(KEY)
    assert alert is not None
    assert alert.stages["police_notification_delivered"] == T0 + 20
    assert alert.stages["police_on_scene"] == T0 + 300
    with pytest.raises(AlertError, match="unknown outcome"):
        b.police_report(KEY, "officer", T0 + 400, "shot", "x")
    with pytest.raises(AlertError, match="note"):
        b.police_report(KEY, "officer", T0 + 400, "respondent_detained", " ")


def test_a_replay_offers_it_to_the_same_unit() -> None:
    fix = [T0, IN_SVERDLOVSKY[0], IN_SVERDLOVSKY[1], 10.0]
    first, second = book(), book()
    a = first.apply(opened(respondent_fix=fix)) + first.tick(T0 + 200)
    b = second.apply(opened(respondent_fix=fix)) + second.tick(T0 + 200)
    assert a == b


def test_a_probation_clients_curfew_exclusion_and_strap_go_to_probation() -> None:
    assert agency_for("zone.inclusion", Priority.P2, "probation") == "probation"
    assert agency_for("zone.exclusion", Priority.P2, "probation") == "probation"
    assert agency_for("device.strap", Priority.P2, "probation") == "probation"
    assert agency_for("zone.inclusion", Priority.P2, "court") is None
    assert agency_for("device.no_signal", Priority.P2, "probation") is None
    # A P1 exclusion breach still calls the police duty unit first.
    assert agency_for("zone.exclusion", Priority.P1, "probation") == "police_duty"


def test_probation_is_offered_in_the_orders_district_wherever_he_is() -> None:
    b = AlertBook(order_district=lambda _: "KG-GB-OKT", order_kind=lambda _: "probation")
    fix = [T0, IN_SVERDLOVSKY[0], IN_SVERDLOVSKY[1], 10.0]
    (offer,) = offers(b.apply(opened("zone.inclusion", Priority.P2, respondent_fix=fix)))
    assert (offer["notify"], offer["district"], offer["basis"]) == (
        "probation",
        "KG-GB-OKT",
        "order",
    )


def test_a_possible_breach_shown_not_paged_is_offered_to_no_one_until_it_pages() -> None:
    b = AlertBook(order_district=lambda _: "KG-GB-OKT", order_kind=lambda _: "probation")
    fix = [T0, IN_SVERDLOVSKY[0], IN_SVERDLOVSKY[1], 10.0]
    shown = Decision(
        kind=DecisionKind.OPENED,
        at=T0,
        order_id="order-1",
        rule="zone.exclusion",
        alert_key="order-1:zone.exclusion:home:1",
        subject="home",
        priority=Priority.P4,
        pages=False,
        occurred_at=T0,
        evidence={"respondent_fix": fix},
    )
    assert offers(b.apply(shown)) == []
    # No step, no offer, two days on: it is not waiting for anyone.
    assert [t for t in b.tick(T0 + 2 * 86400) if t.kind == "escalated"] == []
    paged = msgspec.structs.replace(
        shown, kind=DecisionKind.UPDATED, at=T0 + 60, priority=Priority.P2, pages=True
    )
    (offer,) = offers(b.apply(paged))
    assert offer["notify"] == "probation"
