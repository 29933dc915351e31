"""The statistics' computing on hand-made rows: monitored time across order
versions, status at the period's end, the nearest-rank percentile, the present
bounding monitored time, and devices counted only while they monitor an order."""

from __future__ import annotations

import pytest

from korgoo.figures.statistics import (
    DAY_S,
    AlertRow,
    AssignmentRow,
    Inputs,
    OrderRow,
    VersionRow,
    compute,
    monitored_spans,
    percentile,
    status_at,
)

D = DAY_S


def version(valid_from: float, status: str = "active", ends: float = 100 * D) -> VersionRow:
    return VersionRow(valid_from, status, 0.0, ends, "resp", ("prot",))


def order(*versions: VersionRow, district: str = "KG-GB-OKT", oid: str = "o1") -> OrderRow:
    return OrderRow(oid, "court", district, versions[0].valid_from, versions)


def test_a_revocation_ends_monitoring_and_a_variation_does_not() -> None:
    varied = order(version(0.0), version(5 * D, ends=50 * D))
    assert monitored_spans(varied) == [(0.0, 5 * D), (5 * D, 50 * D)]
    revoked = order(version(0.0), version(3 * D, status="revoked"))
    assert monitored_spans(revoked) == [(0.0, 3 * D)]
    assert status_at(revoked, 2 * D) == "active"
    assert status_at(revoked, 4 * D) == "revoked"
    assert status_at(revoked, -1.0) is None
    assert status_at(order(version(0.0, ends=10 * D)), 11 * D) == "ended"


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.9) == 9.0
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0], 0.9) == 3.0


def test_monitored_time_stops_at_the_present_and_devices_count_while_monitoring() -> None:
    orders = (
        order(version(0.0), version(3 * D, status="revoked")),
        order(version(0.0), oid="o2", district="KG-GB-LEN"),
    )
    assignments = (
        AssignmentRow("b1", "bracelet", "resp", 0.0, None),
        AssignmentRow("late", "respondent_app", "resp", 4 * D, None),  # after o1 ended...
        AssignmentRow("v1", "victim_app", "resp", 0.0, None),  # his phone is no victim app
    )
    alerts = (AlertRow("o1", "panic", "P1", D, D + 30, "confirmed_violation"),)
    s = compute(Inputs(orders, assignments, alerts), from_at=0.0, to_at=30 * D, now=10 * D)
    # o1 for 3 days, o2 for 10 (up to now, not to the period's end)
    assert s.person_days == pytest.approx(13.0)
    # ... but o2 has the same respondent, monitored then: the late phone counts for o2
    assert {c.key: c.count for c in s.orders_by_mode} == {
        "bracelet": 2,
        "respondent_app": 1,
        "victim_app": 0,
    }
    assert s.devices_in_use == 2
    okt = compute(
        Inputs(orders, assignments, alerts),
        from_at=0.0,
        to_at=30 * D,
        now=10 * D,
        district="KG-GB-OKT",
    )
    assert (okt.orders, okt.devices_in_use, okt.person_days) == (1, 1, 3.0)
    bracelet = next(r for r in okt.breaches_by_mode if r.key == "bracelet")
    assert bracelet.count == 1 and bracelet.rate == pytest.approx(1 / (3 / (365.25 / 12)))
