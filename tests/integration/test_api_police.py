"""The police through the API: police roles created by the administrator and
bound to districts; a police user of one district sees nothing of another; a
P1 breach is offered at once to the duty unit of the district where the
respondent is, worked there (accept, dispatched, on scene, outcome) with each
step on the centre's timeline; an offer not accepted in time passes to the
centre supervisor, by the injected clock; a strap removal goes to the district
inspector, device faults stay in the centre."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from korgoo.domain.events import Signal, SignalKind
from korgoo.domain.ingest import Message
from korgoo.store.alerts import get_alert

from ..unit.engine.conftest import T0
from .api_world import World, proximity_breach, world_fixture

__all__ = ["world_fixture"]


def police(key: str, action: str = "") -> str:
    return f"/api/v1/police/alerts/{quote(key, safe='')}" + (f"/{action}" if action else "")


def centre(key: str) -> str:
    return f"/api/v1/alerts/{quote(key, safe='')}"


async def signal(w: World, device: str, t: float, kind: SignalKind) -> None:
    w.clock.t = max(w.clock.t, t)
    sig = Signal(device, t, t, kind)
    await w.pipeline.submit([Message(event=sig, msg_key=f"{kind}:{device}:{t}")])
    await w.settled()


async def test_the_administrator_creates_police_users_bound_to_districts(w: World) -> None:
    admin = await w.login("admin")
    for role in ("police_duty_officer", "police_district_inspector"):
        body = {"username": f"new-{role}", "role": role, "reason": "new unit member"}
        r = await admin.post("/api/v1/users", json=body)
        assert r.status_code == 422 and "districts" in r.json()["detail"], r.text
        r = await admin.post("/api/v1/users", json=body | {"districts": ["KG-GB-OKT"]})
        assert r.status_code == 201, r.text
        assert r.json()["user"]["districts"] == ["KG-GB-OKT"]
        assert "police.respond" in r.json()["user"]["permissions"]
        # Unbinding them from every district is refused too.
        patch = {"districts": [], "reason": "moved"}
        r = await admin.patch(f"/api/v1/users/new-{role}", json=patch)
        assert r.status_code == 422, r.text


async def test_a_police_user_sees_nothing_of_another_district(w: World) -> None:
    key = await proximity_breach(w)  # in Oktyabrsky
    okt, len_ = await w.login("police-okt"), await w.login("police-len")

    assert (await okt.get("/api/v1/orders/order-okt")).status_code == 200
    assert (await okt.get("/api/v1/persons/prot-okt")).status_code == 200
    assert (await okt.get("/api/v1/tracks/bracelet-okt")).status_code == 200
    assert [a["alert_key"] for a in (await okt.get("/api/v1/police/alerts")).json()] == [key]

    assert (await len_.get("/api/v1/orders/order-okt")).status_code == 404
    assert [o["id"] for o in (await len_.get("/api/v1/orders")).json()] == ["order-len"]
    assert (await len_.get("/api/v1/persons/prot-okt")).status_code == 404
    assert (await len_.get("/api/v1/persons/resp-okt")).status_code == 404
    assert (await len_.get("/api/v1/tracks/bracelet-okt")).status_code == 404
    assert (await len_.get("/api/v1/police/alerts")).json() == []
    assert (await len_.get(police(key))).status_code == 404
    assert (await len_.post(police(key, "accept"))).status_code == 404
    # The centre's queue is not theirs at all.
    assert (await len_.get("/api/v1/alerts")).status_code == 403
    assert (await okt.get(centre(key))).status_code == 403


async def test_a_breach_is_offered_to_the_district_unit_and_worked_on_the_timeline(
    w: World,
) -> None:
    key = await proximity_breach(w)
    alert = w.pipeline.alert(key)
    assert alert is not None and alert.priority == "P1"
    assert (alert.police_unit, alert.police_district) == ("police_duty", "KG-GB-OKT")
    offered_at = alert.police_offered_at
    assert offered_at == alert.opened_at  # at once, not after the centre's SLA

    officer = await w.login("police-okt")
    listed = (await officer.get("/api/v1/police/alerts")).json()
    assert listed[0]["district"] == "KG-GB-OKT" and listed[0]["accepted_by"] is None
    assert listed[0]["respondent_position"]["lat"] > 42.8
    # The order's no-contact condition is on the card, as the order says it now.
    assert listed[0]["no_contact"] is False
    sup = await w.login("supervisor")
    varied = {"changes": {"no_contact": True}, "reason": "court added no contact"}
    r = await sup.post(f"/api/v1/orders/{alert.order_id}/variations", json=varied)
    assert r.status_code == 201, r.text
    assert (await officer.get("/api/v1/police/alerts")).json()[0]["no_contact"] is True
    assert (await officer.get(police(key))).json()["no_contact"] is True

    # Steps come in order: nothing before accepting.
    r = await officer.post(police(key, "dispatched"))
    assert r.status_code == 409 and "accept" in r.json()["detail"]

    steps = [("accept", None), ("dispatched", None), ("on-scene", None)]
    steps.append(("outcome", {"outcome": "respondent_removed", "note": "escorted him away"}))
    for i, (step, body) in enumerate(steps, start=1):
        w.clock.t = offered_at + 30 * i
        r = await officer.post(police(key, step), json=body)
        assert r.status_code == 200, r.text
    out = r.json()
    assert out["accepted_by"] == "police-okt" and out["accept_due_at"] is None
    assert all(out["stages"][s] for s in ("accepted", "dispatched", "on_scene", "reported"))
    r = await officer.post(police(key, "accept"))
    assert r.status_code == 409 and "already accepted" in r.json()["detail"]
    r = await officer.post(police(key, "outcome"), json={"outcome": "nonsense", "note": "x"})
    assert r.status_code == 409

    # The centre's timeline shows each step with its actor and time.
    op = await w.login("operator")
    timeline = (await op.get(centre(key) + "/timeline")).json()
    offer = next(t for t in timeline if t["details"].get("notify") == "police_duty")
    assert offer["kind"] == "escalated" and offer["details"]["district"] == "KG-GB-OKT"
    assert offer["details"]["basis"] == "respondent_position"
    police_steps = [
        (t["details"]["stage"], t["actor"]) for t in timeline if t["actor"] == "police-okt"
    ]
    assert police_steps == [
        ("police_notification_delivered", "police-okt"),
        ("police_dispatched", "police-okt"),
        ("police_on_scene", "police-okt"),
        ("police_reported", "police-okt"),
    ]
    reported = next(t for t in timeline if t["details"].get("stage") == "police_reported")
    assert reported["details"]["note"] == "escorted him away"
    assert not any(t["details"].get("reason") == "police_not_accepted" for t in timeline)

    # Response times are stored on the alert for the statistics.
    stored = get_alert(w.pipeline.db, key)
    assert stored is not None
    assert stored.stages["police_notified"] == offered_at
    assert stored.stages["police_notification_delivered"] == offered_at + 30
    assert stored.stages["police_on_scene"] == offered_at + 90
    stats = await (await w.login("statistics")).get(
        "/api/v1/statistics", params={"since": "2026-01-01", "until": "2027-01-01"}
    )
    assert stats.status_code == 200, stats.text
    times = {r["stage"]: r for r in stats.json()["response_times"]}
    assert (times["police_accepted"]["n"], times["police_accepted"]["median_s"]) == (1, 30.0)
    assert (times["police_on_scene"]["n"], times["police_on_scene"]["median_s"]) == (1, 90.0)


async def test_an_unaccepted_offer_passes_to_the_next_unit_then_the_supervisor_on_time(
    w: World,
) -> None:
    key = await proximity_breach(w)
    alert = w.pipeline.alert(key)
    assert alert is not None and alert.police_offered_at is not None
    accept_s = w.pipeline.settings.police_accept_s
    due = alert.police_offered_at + accept_s

    w.clock.t = due - 1
    await w.pipeline.advance()
    alert = w.pipeline.alert(key)
    assert alert is not None and not alert.police_next_districts

    w.clock.t = due + 5
    await w.pipeline.advance()
    alert = w.pipeline.alert(key)
    assert alert is not None and not alert.police_failed_over
    op = await w.login("operator")
    timeline = (await op.get(centre(key) + "/timeline")).json()
    failover = [t for t in timeline if t["details"].get("reason") == "police_not_accepted"]
    assert [t["details"]["notify"] for t in failover] == ["police_duty"]
    assert failover[0]["details"]["from_district"] == "KG-GB-OKT"
    assert failover[0]["details"]["district"] not in ("KG-GB-OKT", None)
    assert datetime.fromisoformat(failover[0]["at"]).timestamp() == due  # stamped when due

    w.clock.t = due + accept_s + 5
    await w.pipeline.advance()
    alert = w.pipeline.alert(key)
    assert alert is not None and alert.police_failed_over
    timeline = (await op.get(centre(key) + "/timeline")).json()
    failover = [t for t in timeline if t["details"].get("reason") == "police_not_accepted"]
    assert [t["details"]["notify"] for t in failover] == ["police_duty", "supervisor"]
    assert datetime.fromisoformat(failover[1]["at"]).timestamp() == due + accept_s

    # Still open to the police: the first unit may accept late.
    officer = await w.login("police-okt")
    assert (await officer.post(police(key, "accept"))).status_code == 200


async def test_her_position_needs_the_capability_and_a_reason(w: World) -> None:
    key = await proximity_breach(w)
    officer = await w.login("police-okt")
    plain = (await officer.get(police(key))).json()
    assert plain["protected_position"] is None and plain["protected_location_withheld"]
    assert plain["respondent_position"] is not None
    shown = (await officer.get(police(key), params={"reason": "sending a unit to her"})).json()
    assert shown["protected_position"]["lat"] > 42.8
    sup = await w.login("supervisor")
    audit = (await sup.get("/api/v1/audit", params={"actor": "police-okt"})).json()
    reads = [e for e in audit if e["action"] == "location.read"]
    assert reads and reads[0]["details"]["reason"] == "sending a unit to her"

    # The district inspector of the same district is another unit: the duty
    # unit's offers are not his.
    inspector = await w.login("inspector-okt")
    assert (await inspector.get(police(key))).status_code == 404
    assert (await inspector.get("/api/v1/police/alerts")).json() == []


async def test_strap_removal_goes_to_the_inspector_and_device_faults_stay_in_the_centre(
    w: World,
) -> None:
    await signal(w, "bracelet-okt", T0 + 50, SignalKind.STRAP_OPEN)
    await signal(w, "bracelet-okt", T0 + 60, SignalKind.POWER_OFF)
    by_rule = {a.rule: a for a in w.pipeline.open_alerts()}
    strap = by_rule["device.strap"]
    assert (strap.police_unit, strap.police_district) == ("district_inspector", "KG-GB-OKT")
    assert strap.police_accepted_by is None and not strap.police_failed_over
    faults = [a for a in w.pipeline.open_alerts() if a.rule != "device.strap"]
    assert faults and all(a.police_offered_at is None for a in faults)

    inspector = await w.login("inspector-okt")
    listed = [a["alert_key"] for a in (await inspector.get("/api/v1/police/alerts")).json()]
    assert listed == [strap.alert_key]
    # The inspector has no acceptance timeout: nothing passes to the supervisor.
    w.clock.t = T0 + 3600
    await w.pipeline.advance()
    after = w.pipeline.alert(strap.alert_key)
    assert after is not None and not after.police_failed_over
