"""Alerts through the API: an alert raised by the engine from real fixes, worked
by an operator (acknowledge, note, call, stage, escalate, resolve) with the
timeline in order; the queue's filters and order; refusals with reasons."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from korgoo.domain.events import Signal, SignalKind
from korgoo.domain.ingest import Message

from ..unit.engine.conftest import HOME, T0, north_of
from .api_world import VICTIM_POS, World, iso, proximity_breach, world_fixture, zone_breach

__all__ = ["world_fixture"]


def path(key: str, action: str = "") -> str:
    return f"/api/v1/alerts/{quote(key, safe='')}" + (f"/{action}" if action else "")


async def test_engine_alert_worked_through_the_api_with_timeline_in_order(w: World) -> None:
    key = await zone_breach(w)
    op = await w.login("operator")
    queue = (await op.get("/api/v1/alerts")).json()
    assert [a["alert_key"] for a in queue] == [key]
    a = queue[0]
    assert a["rule"] == "zone.exclusion" and a["status"] == "unacknowledged" and a["active"]
    assert a["order_number"] == "OKT-1" and a["district"] == "KG-GB-OKT"
    assert a["opened_at"].endswith("+00:00")

    w.clock.t += 5
    r = await op.post(path(key, "acknowledge"))
    assert r.status_code == 200, r.text
    assert r.json()["alert"]["status"] == "acknowledged"
    assert r.json()["alert"]["acked_by"] == "operator"
    again = await op.post(path(key, "acknowledge"))
    assert again.status_code == 409 and "already acknowledged" in again.json()["detail"]

    w.clock.t += 5
    assert (await op.post(path(key, "notes"), json={"text": "watching the map"})).status_code == 200
    call = {"party": "protected", "outcome": "answered", "note": "she is safe at work"}
    assert (await op.post(path(key, "calls"), json=call)).status_code == 200
    assert (
        await op.post(path(key, "stages"), json={"stage": "police_notified"})
    ).status_code == 200
    r = await op.post(path(key, "escalate"), json={"reason": "respondent does not answer"})
    assert r.status_code == 200

    # Still inside the zone: only a false-alarm outcome may close it, and a note is needed.
    w.clock.t += 5
    r = await op.post(path(key, "resolve"), json={"outcome": "confirmed_violation", "note": "x"})
    assert r.status_code == 409 and "still active" in r.json()["detail"]
    r = await op.post(path(key, "resolve"), json={"outcome": "not-a-code", "note": "x"})
    assert r.status_code == 422 and "outcome" in r.json()["detail"]
    r = await op.post(path(key, "resolve"), json={"outcome": "confirmed_violation"})
    assert r.status_code == 422 and "'note' is required" in r.json()["detail"]

    # He leaves; the engine returns the alert to normal; then it is resolved.
    await w.fixes("bracelet-okt", T0 + 200, *[north_of(HOME, 2000)] * 6, step=30)
    w.clock.t += 5
    r = await op.post(
        path(key, "resolve"),
        json={"outcome": "confirmed_violation", "note": "police attended; report filed"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["alert"]["status"] == "resolved"
    assert r.json()["alert"]["outcome"] == "confirmed_violation"

    detail = (await op.get(path(key))).json()
    kinds = [t["kind"] for t in detail["timeline"]]
    assert kinds == [
        "raised",
        "acknowledged",
        "note",
        "call_logged",
        "stage",
        "escalated",
        "returned_to_normal",
        "resolved",
    ]
    ats = [t["at"] for t in detail["timeline"]]
    assert ats == sorted(ats)
    assert detail["timeline"][3]["details"]["party"] == "protected"
    assert (await op.get(path(key, "timeline"))).json() == detail["timeline"]
    assert detail["stages"]["police_notified"].endswith("+00:00")

    assert (await op.get("/api/v1/alerts")).json() == []
    resolved = (await op.get("/api/v1/alerts", params={"status": "resolved"})).json()
    assert [x["alert_key"] for x in resolved] == [key]
    # A resolved alert cannot be acted on.
    r = await op.post(path(key, "notes"), json={"text": "late"})
    assert r.status_code == 409 and "no open alert" in r.json()["detail"]

    # What the operator did is on the audit log.
    sup = await w.login("supervisor")
    audit = (await sup.get("/api/v1/audit", params={"actor": "operator"})).json()
    actions = {e["action"] for e in audit}
    assert {"alert.acknowledged", "alert.note", "alert.call_logged", "alert.resolved"} <= actions


async def strap_open(w: World, device: str, t: float) -> str:
    sig = Signal(device, t, t, SignalKind.STRAP_OPEN)
    w.clock.t = max(w.clock.t, t)
    await w.pipeline.submit([Message(event=sig, msg_key=f"strap:{device}:{t}")])
    await w.settled()
    keys = [
        a.alert_key
        for a in w.pipeline.open_alerts()
        if a.rule == "device.strap" and a.subject == device
    ]
    assert len(keys) == 1
    return keys[0]


async def test_queue_order_filters_and_jurisdiction(w: World) -> None:
    zone = await zone_breach(w)
    strap_len = await strap_open(w, "bracelet-len", T0 + 100)
    op = await w.login("operator")
    queue = (await op.get("/api/v1/alerts")).json()
    ranks = [(a["priority"], a["opened_at"]) for a in queue]
    assert ranks == sorted(ranks) and {a["alert_key"] for a in queue} == {zone, strap_len}

    async def keys(client: object, **params: object) -> set[str]:
        r = await client.get("/api/v1/alerts", params=params)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text
        return {a["alert_key"] for a in r.json()}

    assert await keys(op, rule="zone.exclusion") == {zone}
    assert await keys(op, district="KG-GB-LEN") == {strap_len}
    zone_priority = next(a["priority"] for a in queue if a["alert_key"] == zone)
    assert zone in await keys(op, priority=zone_priority)
    assert await keys(op, since=iso(T0 + 99)) == {strap_len}
    assert await keys(op, until=iso(T0 + 99)) == {zone}
    assert await keys(op, status="active") == {zone, strap_len}
    assert await keys(op, status="resolved") == set()
    bad = await op.get("/api/v1/alerts", params={"since": "yesterday"})
    assert bad.status_code == 422 and "ISO-8601" in bad.json()["detail"]
    bad = await op.get("/api/v1/alerts", params={"status": "closed"})
    assert bad.status_code == 422 and "status" in bad.json()["detail"]

    # A Leninsky operator sees Leninsky only, and cannot reach the Oktyabrsky alert.
    op_len = await w.login("operator-len")
    assert await keys(op_len) == {strap_len}
    assert await keys(op_len, district="KG-GB-OKT") == set()
    assert (await op_len.get(path(zone))).status_code == 404
    r = await op_len.post(path(zone, "acknowledge"))
    assert r.status_code == 404 and "outside your districts" in r.json()["detail"]
    assert (await op_len.post(path(strap_len, "acknowledge"))).status_code == 200
    assert (await op.get(path("no-such-alert"))).status_code == 404


async def test_who_may_act_on_alerts(w: World) -> None:
    zone = await zone_breach(w)
    admin = await w.login("admin")
    r = await admin.get("/api/v1/alerts")
    assert r.status_code == 403 and "alerts.read" in r.json()["detail"]
    r = await admin.post(path(zone, "acknowledge"))
    assert r.status_code == 403 and "alerts.act" in r.json()["detail"]
    anonymous = w.client()
    r = await anonymous.get("/api/v1/alerts")
    assert r.status_code == 401 and "Log in" in r.json()["detail"]
    # A logged-in operator without the CSRF header is refused before anything happens.
    op = await w.login("operator")
    del op.headers["X-CSRF-Token"]
    r = await op.post(path(zone, "acknowledge"))
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
    r = await op.post(path(zone, "acknowledge"), headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert w.pipeline.alert(zone) is not None and not w.pipeline.alert(zone).acked  # type: ignore[union-attr]
    sup = await w.login("supervisor")
    w.clock.t += 1
    assert (await sup.post(path(zone, "acknowledge"))).status_code == 200


async def test_protected_position_needs_permission_and_reason_and_is_audited(w: World) -> None:
    key = await proximity_breach(w)
    op = await w.login("operator")
    plain = (await op.get(path(key))).json()
    assert plain["protected_location_withheld"] is True
    assert "protected_fix" not in plain["evidence"]
    assert plain["evidence"]["respondent_fix"]["acc"] == 10.0
    raised = plain["timeline"][0]
    assert "protected_fix" not in raised["details"]["evidence"]
    queue_item = (await op.get("/api/v1/alerts")).json()[0]
    assert "protected_fix" not in queue_item["evidence"]

    reason = "dispatching police to the protected person"
    shown = (await op.get(path(key), params={"reason": reason})).json()
    assert shown["protected_location_withheld"] is False
    fix = shown["evidence"]["protected_fix"]
    assert fix["lat"] == pytest.approx(VICTIM_POS[0]) and fix["t"].endswith("+00:00")
    assert "protected_fix" in shown["timeline"][0]["details"]["evidence"]

    sup = await w.login("supervisor")
    reads = (await sup.get("/api/v1/audit", params={"action": "location.read"})).json()
    assert len(reads) == 1
    entry = reads[0]
    assert entry["actor"] == "operator" and entry["subject"] == f"alert:{key}"
    assert entry["details"]["reason"] == reason
    assert entry["details"]["persons"] == ["prot-okt"]
