"""The ministry's statistics through the API: a centre seeded with known orders,
devices and alerts gives exactly those figures, as JSON and in the exports
(CSV and XLSX, read back), with counts from 1 to 4 shown as "<5"."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from korgoo.alerts.model import Alert, EscalationPolicy, Outcome
from korgoo.domain.decisions import Priority
from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus
from korgoo.figures.statistics import MONTH_DAYS
from korgoo.store.alerts import save_alert
from korgoo.store.devices import assign_device, enrol_device
from korgoo.store.orders import create_order
from korgoo.store.registry import PersonRole, create_person

from ..unit.engine.conftest import T0
from .api_world import LEN, OKT, World, iso, world_fixture

__all__ = ["world_fixture"]

P0 = T0 - 3600  # the period: two days from the world's orders' start
P1 = P0 + 2 * 86400
PERIOD = {"from": iso(P0), "to": iso(P1)}
POLICY = EscalationPolicy(revision="test", ack_sla_s=120.0)


def alert(
    n: int,
    order_id: str,
    rule: str,
    priority: Priority,
    opened: float,
    *,
    ack_after: float | None = None,
    outcome: Outcome | None = None,
    stages: dict[str, float] | None = None,
) -> Alert:
    return Alert(
        alert_key=f"{order_id}:{rule}:subject:{n}",
        order_id=order_id,
        rule=rule,
        subject="subject",
        priority=priority,
        confidence=None,
        pages=True,
        opened_at=opened,
        occurred_at=opened,
        policy=POLICY,
        active=False,
        acked=ack_after is not None,
        acked_at=None if ack_after is None else opened + ack_after,
        acked_by=None if ack_after is None else "operator",
        resolved=outcome is not None,
        resolved_at=None if outcome is None else opened + 3000,
        outcome=outcome,
        stages={k: opened + v for k, v in (stages or {}).items()},
    )


def seed(w: World) -> None:
    """Beside the world's two court orders (Oktyabrsky: bracelet and victim app;
    Leninsky: bracelet), both monitored the whole period: a temporary order
    monitored for its first day (a respondent app), a draft entered in the
    period, and five alerts in the period and one before it."""
    with w.pipeline.db.begin() as conn:
        create_person(
            conn,
            role=PersonRole.RESPONDENT,
            display_name="r",
            district=OKT,
            person_id="resp-tmp",
            at=P0,
        )
        create_person(
            conn,
            role=PersonRole.PROTECTED,
            display_name="p",
            district=OKT,
            person_id="prot-tmp",
            at=P0,
        )
        enrol_device(conn, "phone-tmp", DeviceKind.RESPONDENT_APP, at=P0)
        assign_device(conn, "phone-tmp", "resp-tmp", actor="setup", at=P0)
        common = {"issuing_authority": "police", "legal_basis": "Law No. 214", "actor": "setup"}
        create_order(
            conn,
            order_id="order-tmp",
            number="TMP-1",
            kind=OrderKind.TEMPORARY,
            district=OKT,
            respondent_id="resp-tmp",
            protected_ids=["prot-tmp"],
            starts_at=P0,
            ends_at=P0 + 86400,
            at=P0,
            **common,
        )
        create_order(
            conn,
            order_id="order-draft",
            number="DRAFT-1",
            kind=OrderKind.COURT,
            district=OKT,
            respondent_id="resp-tmp",
            protected_ids=["prot-tmp"],
            starts_at=P1,
            ends_at=P1 + 86400,
            status=OrderStatus.DRAFT,
            at=P0 + 3600,
            **common,
        )
        for a in (
            alert(
                1,
                "order-okt",
                "zone.exclusion",
                Priority.P2,
                P0 + 1000,
                ack_after=60,
                outcome=Outcome.CONFIRMED_VIOLATION,
                stages={"police_notified": 300, "police_on_scene": 1500},
            ),
            alert(
                2,
                "order-okt",
                "zone.exclusion",
                Priority.P2,
                P0 + 5000,
                ack_after=120,
                outcome=Outcome.GPS_FALSE_ALARM,
            ),
            alert(
                3,
                "order-len",
                "device.no_signal",
                Priority.P2,
                P0 + 9000,
                ack_after=600,
                outcome=Outcome.DEVICE_FAULT,
            ),
            alert(
                4,
                "order-tmp",
                "zone.exclusion",
                Priority.P2,
                P0 + 20000,
                ack_after=30,
                outcome=Outcome.TECHNICAL_FALSE_ALARM,
            ),
            alert(5, "order-okt", "panic", Priority.P1, P0 + 30000),
            alert(6, "order-okt", "panic", Priority.P1, P0 - 100, ack_after=5),  # before the period
        ):
            save_alert(conn, a)
    w.clock.t = P1 + 3600  # the period is over


def counts(items: list[dict[str, object]]) -> dict[object, object]:
    return {c["key"]: c["count"] for c in items}


async def test_seeded_figures_come_out_exactly(w: World) -> None:
    seed(w)
    client = await w.login("statistics")
    r = await client.get("/api/v1/statistics", params=PERIOD)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["from_at"] == iso(P0) and s["to_at"] == iso(P1)
    assert s["orders"] == 4
    assert counts(s["orders_by_kind"]) == {"temporary": 1, "court": 3, "probation": 0}
    assert counts(s["orders_by_district"]) == {OKT: 3, LEN: 1}
    assert counts(s["orders_by_status"]) == {"draft": 1, "active": 2, "ended": 1, "revoked": 0}
    assert counts(s["orders_by_mode"]) == {"bracelet": 2, "respondent_app": 1, "victim_app": 1}
    assert s["devices_in_use"] == 4
    assert counts(s["devices_by_kind"]) == {"bracelet": 2, "respondent_app": 1, "victim_app": 1}
    assert s["alerts"] == 5
    assert counts(s["alerts_by_rule"]) == {"zone.exclusion": 3, "panic": 1, "device.no_signal": 1}
    assert counts(s["alerts_by_priority"]) == {"P1": 1, "P2": 4, "P3": 0, "P4": 0}
    assert counts(s["alerts_by_outcome"]) == {
        "true_breach": 1,
        "false_alarm": 2,
        "device_fault": 1,
        "authorised_presence": 0,
        "other": 0,
        "open": 1,
    }
    assert s["person_days"] == 5.0  # 2 + 2 + 1 (the temporary order's one day) + 0
    false = {r["key"]: (r["count"], r["rate"]) for r in s["false_alarms_by_rule"]}
    assert false == {"zone.exclusion": (2, 0.4), "panic": (0, 0.0), "device.no_signal": (0, 0.0)}
    times = {t["stage"]: (t["n"], t["median_s"], t["p90_s"]) for t in s["response_times"]}
    assert times == {
        "acknowledged": (4, 90.0, 600.0),  # 30, 60, 120, 600 s
        "police_notified": (1, 300.0, 300.0),
        "police_accepted": (0, None, None),  # not recorded yet
        "police_on_scene": (1, 1500.0, 1500.0),
    }
    breaches = {b["key"]: (b["count"], b["exposure"], b["rate"]) for b in s["breaches_by_mode"]}
    assert breaches["bracelet"][0] == 1 and breaches["victim_app"][0] == 1
    assert breaches["respondent_app"] == (0, round(1 / MONTH_DAYS, 4), 0.0)
    assert breaches["bracelet"][2] == pytest.approx(MONTH_DAYS / 4)  # 1 over 4 order-days
    assert breaches["victim_app"][2] == pytest.approx(MONTH_DAYS / 2)

    r = await client.get("/api/v1/statistics", params={**PERIOD, "district": OKT})
    s = r.json()
    assert (s["orders"], s["alerts"], s["devices_in_use"]) == (3, 4, 3)
    assert counts(s["orders_by_district"]) == {OKT: 3}
    await client.aclose()


async def test_a_district_outside_the_users_is_refused_and_scoping_applies(w: World) -> None:
    seed(w)
    client = await w.login("statistics-len")
    r = await client.get("/api/v1/statistics", params={**PERIOD, "district": OKT})
    assert r.status_code == 403
    r = await client.get("/api/v1/statistics", params=PERIOD)
    assert (r.json()["orders"], r.json()["alerts"]) == (1, 1)
    r = await client.get("/api/v1/statistics", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert r.status_code == 422
    await client.aclose()


async def test_statistics_role_is_created_by_an_administrator_and_sees_no_person(
    w: World,
) -> None:
    admin = await w.login("admin")
    new = {"username": "analyst", "role": "statistics", "reason": "the ministry asked"}
    r = await admin.post("/api/v1/users", json=new)
    assert r.status_code == 201, r.text
    assert r.json()["user"]["permissions"] == ["statistics.read"]
    await admin.aclose()
    client = await w.login("statistics")
    assert (await client.get("/api/v1/statistics")).status_code == 200
    for path in (
        "/api/v1/persons",
        "/api/v1/orders",
        "/api/v1/alerts",
        "/api/v1/devices",
        "/api/v1/audit",
    ):
        assert (await client.get(path)).status_code == 403, path
    await client.aclose()


async def test_exports_suppress_small_counts(w: World) -> None:
    seed(w)
    client = await w.login("statistics")
    r = await client.get("/api/v1/statistics.csv", params={**PERIOD, "lang": "ru"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Раздел", "Код", "Показатель", "Число", "Значение"]
    by_code = {(row[0], row[1]): row for row in rows[1:]}
    orders = next(row for row in rows if row[1] == "orders")
    assert orders[3] == "<5"  # 4 orders
    assert next(row for row in rows if row[1] == "alerts")[3] == "5"
    kinds = [row for row in rows if row[1] in ("temporary", "court")]
    assert [(k[1], k[3]) for k in kinds] == [("temporary", "<5"), ("court", "<5")]
    zero = next(row for row in rows if row[1] == "revoked")
    assert zero[3] == "0"
    false = next(row for row in rows if row[1] == "zone.exclusion" and row[4])
    assert (false[3], false[4]) == ("<5", "<5")  # 2 false alarms: the rate would give them back
    ack = next(row for row in rows if row[1] == "acknowledged")
    assert (ack[3], ack[4]) == ("<5", "90 / 600")
    accepted = next(row for row in rows if row[1] == "police_accepted")
    assert accepted[4] == "ещё не регистрируется"
    assert len(by_code) == len(rows) - 1

    r = await client.get("/api/v1/statistics.xlsx", params={**PERIOD, "lang": "en"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = values.index(["Section", "Code", "Item", "Count", "Value"])
    table = {row[1]: row for row in values[header + 1 :]}
    assert table["orders"][3] == "<5"
    assert table["alerts"][3] == 5
    assert table["P2"][3] == "<5" and table["P3"][3] == 0
    assert table["false_alarm"][2] == "False alarm"
    assert table["person_days"][4] == 5.0
    await client.aclose()
