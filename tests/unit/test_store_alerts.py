"""Alerts (state upserted, transitions and decisions stored once each)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from korgoo.alerts.model import (
    Alert,
    EscalationPolicy,
    EscalationStep,
    Outcome,
    Transition,
    TransitionKind,
)
from korgoo.domain.decisions import Confidence, Decision, DecisionKind, Priority
from korgoo.domain.terms import OrderKind
from korgoo.store.alerts import (
    AlertStatus,
    append_transitions,
    get_alert,
    list_alerts,
    load_open_alerts,
    save_alert,
    transitions,
)
from korgoo.store.db import open_engine
from korgoo.store.decisions import append_decisions, decisions_for
from korgoo.store.orders import create_order
from korgoo.store.registry import PersonRole, create_person
from tests.sqlite_files import copy_database

T0 = 1_760_000_000.0
POLICY = EscalationPolicy("rev-3", 120.0, (EscalationStep(120.0, "supervisor"),))


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> sa.Engine:
    copy_database(migrated_template, tmp_path / "korgoo.db")
    return open_engine(f"sqlite:///{tmp_path}/korgoo.db")


def make_order(engine: sa.Engine, order_id: str, district: str) -> None:
    with engine.begin() as conn:
        r = create_person(
            conn, role=PersonRole.RESPONDENT, display_name="respondent", district=district
        )
        create_order(
            conn,
            number=f"N-{order_id}",
            kind=OrderKind.COURT,
            issuing_authority="district court",
            legal_basis="Law No. 214",
            district=district,
            respondent_id=r.id,
            protected_ids=[],
            starts_at=T0,
            actor="operator",
            order_id=order_id,
            at=T0,
        )


def alert(key: str, order_id: str = "o1", **kw: object) -> Alert:
    fields: dict[str, object] = {
        "alert_key": key,
        "order_id": order_id,
        "rule": "proximity",
        "subject": "p1",
        "priority": Priority.P1,
        "confidence": Confidence.PROBABLE,
        "pages": True,
        "opened_at": T0 + 10,
        "occurred_at": T0 + 9,
        "policy": POLICY,
        "evidence": {"distance_m": 212.5, "fixes": [1, 2]},
    }
    fields.update(kw)
    return msgspec.convert(fields, Alert, from_attributes=True)


def save(engine: sa.Engine, *alerts: Alert) -> None:
    with engine.begin() as conn:
        for a in alerts:
            save_alert(conn, a)


class AlertStoreContract:
    def test_alert_round_trips_and_upsert_overwrites(self, engine: sa.Engine) -> None:
        make_order(engine, "o1", "KG-GB-LEN")
        first = alert("o1:proximity:p1:1")
        save(engine, first)
        assert get_alert(engine, first.alert_key) == first
        later = msgspec.structs.replace(
            first,
            acked=True,
            acked_at=T0 + 30,
            acked_by="operator1",
            resolved=True,
            resolved_at=T0 + 90,
            resolved_by="operator1",
            outcome=Outcome.CONFIRMED_VIOLATION,
            note="police on scene",
            stages={"victim_warned": T0 + 11, "police_notified": T0 + 12},
            escalations_done=1,
        )
        save(engine, later)
        assert get_alert(engine, first.alert_key) == later
        assert get_alert(engine, "missing") is None

    def test_open_alerts_and_filters(self, engine: sa.Engine) -> None:
        make_order(engine, "o1", "KG-GB-LEN")
        make_order(engine, "o2", "KG-GO")
        a = alert("o1:proximity:p1:1")
        b = alert("o1:zone:home:1", rule="zone", priority=Priority.P2, acked=True, opened_at=T0)
        c = alert("o2:strap:d1:1", "o2", rule="strap", resolved=True, opened_at=T0 + 50)
        save(engine, a, b, c)
        assert load_open_alerts(engine) == [b, a]

        def keys(**kw: object) -> list[str]:
            return [x.alert_key for x in list_alerts(engine, **kw)]  # type: ignore[arg-type]

        assert keys() == [c.alert_key, a.alert_key, b.alert_key]
        assert keys(status=AlertStatus.OPEN) == [a.alert_key, b.alert_key]
        assert keys(status=AlertStatus.UNACKNOWLEDGED) == [a.alert_key]
        assert keys(status=AlertStatus.ACKNOWLEDGED) == [b.alert_key]
        assert keys(status=AlertStatus.RESOLVED) == [c.alert_key]
        assert keys(priority=Priority.P2) == [b.alert_key]
        assert keys(priority=[Priority.P1, Priority.P2], rule="proximity") == [a.alert_key]
        assert keys(order_id="o2") == [c.alert_key]
        assert keys(since=T0 + 10) == [c.alert_key, a.alert_key]
        assert keys(until=T0 + 10) == [b.alert_key]
        assert keys(districts=["KG-GO"]) == [c.alert_key]
        assert keys(districts=["KG-GB-LEN", "KG-GO"], status=AlertStatus.OPEN) == [
            a.alert_key,
            b.alert_key,
        ]

    def test_transitions_are_stored_once_however_often_applied(self, engine: sa.Engine) -> None:
        key = "o1:proximity:p1:1"
        raised = Transition(
            key, TransitionKind.RAISED, T0, "engine", True, False, False, Priority.P1
        )
        acked = Transition(
            key,
            TransitionKind.ACKNOWLEDGED,
            T0 + 30,
            "operator1",
            True,
            True,
            False,
            details={"note": "calling the respondent"},
        )
        with engine.begin() as conn:
            assert append_transitions(conn, [raised, acked]) == 2
        with engine.begin() as conn:
            assert append_transitions(conn, [raised, acked]) == 0
        with engine.begin() as conn:
            assert append_transitions(conn, []) == 0
        assert transitions(engine, key) == [raised, acked]
        assert transitions(engine, "other") == []

    def test_decisions_are_stored_once_per_causing_event(self, engine: sa.Engine) -> None:
        opened = Decision(
            kind=DecisionKind.OPENED,
            at=T0,
            order_id="o1",
            rule="proximity",
            rule_version=2,
            params_rev="p7",
            alert_key="o1:proximity:p1:1",
            priority=Priority.P1,
            confidence=Confidence.CERTAIN,
            evidence={"distance_m": 120.0},
        )
        cleared = msgspec.structs.replace(opened, kind=DecisionKind.CLEARED, at=T0 + 60)
        with engine.begin() as conn:
            assert append_decisions(conn, [(5, opened), (9, cleared)]) == 2
        with engine.begin() as conn:  # replayed after a restart
            assert append_decisions(conn, [(5, opened), (9, cleared)]) == 0
        with engine.begin() as conn:  # the same decision caused by another event is kept
            assert append_decisions(conn, [(10, cleared)]) == 1
        assert decisions_for(engine, opened.alert_key) == [(5, opened), (9, cleared), (10, cleared)]


class TestAlertStoreSqlite(AlertStoreContract):
    pass
