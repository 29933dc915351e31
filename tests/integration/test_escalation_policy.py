"""The escalation policy through the API: a supervisor saves a new version
with a reason; an alert opening after it takes it while an alert already open
keeps its own; an unaccepted P1 offer fails over to the next district's duty
unit, then to the supervisor, at its due times by the injected clock; a replay
of the log (the version in it) gives the same timeline; an operator is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from korgoo.api.auth import add_user
from korgoo.domain.events import SignalKind
from korgoo.service.pipeline import Pipeline
from korgoo.store.alerts import transitions
from korgoo.store.db import migrate, open_engine
from korgoo.store.schema import escalation_policies, events

from ..unit.engine.conftest import T0
from .api_world import World, proximity_breach, world_fixture
from .test_api_police import signal

__all__ = ["world_fixture"]

POLICY = "/api/v1/escalation-policy"
PER = "KG-GB-PER"
BREACH_P1 = {
    "rule": "proximity.breach",
    "priority": "P1",
    "ack_sla_s": 60,
    "steps": [{"after_s": 60, "notify": "supervisor"}, {"after_s": 120, "notify": "police_duty"}],
    "unit": "police_duty",
    "probation_unit": "police_duty",
    "accept_s": 120,
    "failover": ["police_duty:next", "supervisor"],
    "channels": {"supervisor": ["console", "push"], "police_duty": ["console", "sms"]},
}


async def save(w: World, row: dict[str, Any], reason: str = "failover to the next unit") -> Any:
    sup = await w.login("supervisor")
    base = (await sup.get(POLICY)).json()["current"]["version"]
    return await sup.post(POLICY, json={"base_version": base, "rows": [row], "reason": reason})


def lines(w: World, key: str) -> list[tuple[str, float, str, dict[str, Any]]]:
    return [(t.kind.value, t.at, t.actor, t.details) for t in transitions(w.pipeline.db, key)]


async def test_an_operator_may_not_read_or_change_the_policy(w: World) -> None:
    op = await w.login("operator")
    assert (await op.get(POLICY)).status_code == 403
    r = await op.post(
        POLICY, json={"base_version": "default.2", "rows": [BREACH_P1], "reason": "x y z"}
    )
    assert r.status_code == 403
    sup = await w.login("supervisor")
    data = (await sup.get(POLICY)).json()
    assert data["current"]["version"] == "default.2" and data["versions"] == []
    row = next(
        r
        for r in data["current"]["rows"]
        if (r["rule"], r["priority"]) == ("proximity.breach", "P1")
    )
    assert row["unit"] == "police_duty" and row["failover"] == ["police_duty:next", "supervisor"]


async def test_bad_rows_and_a_stale_base_are_refused_with_the_reason(w: World) -> None:
    r = await save(w, BREACH_P1 | {"ack_sla_s": 0})
    assert r.status_code == 422 and "ack_sla_s" in r.json()["detail"], r.text
    r = await save(w, BREACH_P1 | {"failover": ["police_duty:next"]})
    assert r.status_code == 422 and "supervisor" in r.json()["detail"], r.text
    r = await save(w, BREACH_P1 | {"channels": {"supervisor": ["pigeon"]}})
    assert r.status_code == 422 and "pigeon" in r.json()["detail"], r.text
    sup = await w.login("supervisor")
    body = {"base_version": "policy.7", "rows": [BREACH_P1], "reason": "stale edit"}
    assert (await sup.post(POLICY, json=body)).status_code == 409
    assert (await sup.get(POLICY)).json()["current"]["version"] == "default.2"


async def test_a_new_version_applies_to_new_alerts_and_an_open_one_keeps_its_own(
    w: World,
) -> None:
    await signal(w, "victim-app-okt", T0 + 5, SignalKind.SOS)
    [panic] = [a for a in w.pipeline.open_alerts() if a.rule == "panic"]
    assert panic.policy.version == "default.2"

    r = await save(w, BREACH_P1, reason="the next unit before the supervisor")
    assert r.status_code == 201, r.text
    assert r.json()["version"] == "policy.1"
    sup = await w.login("supervisor")
    data = (await sup.get(POLICY)).json()
    assert data["current"]["version"] == "policy.1"
    [version] = data["versions"]
    assert (version["version"], version["author"], version["reason"]) == (
        "policy.1",
        "supervisor",
        "the next unit before the supervisor",
    )

    key = await proximity_breach(w)
    alert = w.pipeline.alert(key)
    assert alert is not None
    assert alert.policy.version == "policy.1"
    assert alert.policy.failover == ("police_duty:next", "supervisor")
    assert alert.policy.channels["police_duty"] == ("console", "sms")
    panic_now = w.pipeline.alert(panic.alert_key)
    assert panic_now is not None and panic_now.policy == panic.policy  # frozen at opening


async def failover_scenario(w: World) -> str:
    w.users["police-per"] = add_user(
        w.pipeline.db,
        "police-per",
        role="police_duty_officer",
        districts=(PER,),
        now=w.auth_clock(),
    )
    assert (await save(w, BREACH_P1)).status_code == 201
    key = await proximity_breach(w)
    alert = w.pipeline.alert(key)
    assert alert is not None and alert.police_district == "KG-GB-OKT"
    offered = alert.police_offered_at
    assert offered is not None

    w.clock.t = offered + 119
    await w.pipeline.advance()
    per = await w.login("police-per")
    assert (await per.get("/api/v1/police/alerts")).json() == []

    w.clock.t = offered + 121
    await w.pipeline.advance()
    passed = [ln for ln in lines(w, key) if ln[3].get("reason") == "police_not_accepted"]
    assert [(at, d["notify"], d["district"]) for _, at, _, d in passed] == [
        (offered + 120, "police_duty", PER)
    ]
    seen = (await per.get("/api/v1/police/alerts")).json()
    assert [a["alert_key"] for a in seen] == [key]
    assert seen[0]["next_districts"] == [PER]
    okt = await w.login("police-okt")
    assert [a["alert_key"] for a in (await okt.get("/api/v1/police/alerts")).json()] == [key]

    w.clock.t = offered + 239
    await w.pipeline.advance()
    assert len([ln for ln in lines(w, key) if ln[3].get("reason") == "police_not_accepted"]) == 1
    w.clock.t = offered + 300
    await w.pipeline.advance()
    passed = [ln for ln in lines(w, key) if ln[3].get("reason") == "police_not_accepted"]
    assert [(at, d["notify"]) for _, at, _, d in passed] == [
        (offered + 120, "police_duty"),
        (offered + 240, "supervisor"),
    ]
    # The first unit may still accept after both timeouts.
    r = await okt.post(f"/api/v1/police/alerts/{quote(key, safe='')}/accept")
    assert r.status_code == 200, r.text
    return key


async def test_an_unaccepted_p1_fails_over_to_the_next_unit_then_the_supervisor(
    w: World,
) -> None:
    await failover_scenario(w)


async def test_a_replay_of_the_log_gives_the_same_timeline(w: World, tmp_path: Path) -> None:
    key = await failover_scenario(w)
    before = [ln for ln in lines(w, key) if ln[2] in ("engine", "sla", "policy")]
    await w.pipeline.stop()
    # A fresh store holding only the log: the version in force comes from it.
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    migrate(url)
    db = open_engine(url)
    with w.pipeline.db.connect() as src, db.begin() as dst:
        rows = [dict(r._mapping) for r in src.execute(sa.select(events).order_by(events.c.seq))]
        dst.execute(sa.insert(events), rows)
    again = Pipeline(db, w.pipeline.settings, clock=w.clock)
    await again.start(tick_every=None)
    try:
        await again.advance()
        after = [
            (t.kind.value, t.at, t.actor, t.details)
            for t in transitions(db, key)
            if t.actor in ("engine", "sla", "policy")
        ]
        assert after == before
        alert = again.alert(key)
        assert alert is not None and alert.policy.version == "policy.1"
        assert again.escalation_policy().version == "policy.1"
        with db.connect() as conn:  # the versions table is rebuilt from the log
            assert conn.scalar(sa.select(sa.func.count()).select_from(escalation_policies)) == 1
    finally:
        await again.stop()
