"""Devices, tracks and the live map through the API: enrolment (with a secret
shown once for apps), unknown senders enrolled, assignment changing what the
engine monitors, last contact and battery; tracks of respondents and of
protected persons (permission, reason, audit); the live map from the engine."""

from __future__ import annotations

import pytest

from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.store.audit import audit_entries

from ..unit.engine.conftest import HOME, T0, north_of
from .api_world import VICTIM_POS, World, iso, world_fixture

__all__ = ["world_fixture"]


async def test_enrol_list_and_secret_shown_once(w: World) -> None:
    admin = await w.login("admin")
    r = await admin.post(
        "/api/v1/devices", json={"device_id": "app-9", "kind": "respondent_app", "model": "phone"}
    )
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    assert secret and r.json()["has_secret"]
    # The gateways accept it at once, with that secret.
    assert w.pipeline.lookup_device("app-9") is not None
    assert w.pipeline.authenticate("app-9", secret)
    assert "secret" not in (await admin.get("/api/v1/devices/app-9")).json()
    # A bracelet is enrolled with the one protocol it speaks; an app with none.
    r = await admin.post("/api/v1/devices", json={"device_id": "bracelet-9", "kind": "bracelet"})
    assert r.status_code == 422 and "protocol" in r.json()["detail"]
    app_with_protocol = {"device_id": "app-10", "kind": "victim_app", "protocol": "osmand"}
    r = await admin.post("/api/v1/devices", json=app_with_protocol)
    assert r.status_code == 422 and "secret" in r.json()["detail"]
    bracelet = {"device_id": "bracelet-9", "kind": "bracelet", "protocol": "gt06"}
    r = await admin.post("/api/v1/devices", json=bracelet)
    assert r.status_code == 201 and r.json()["secret"] is None
    assert r.json()["protocol"] == "gt06"
    assert w.pipeline.lookup_device("bracelet-9") == DeviceInfo(
        "bracelet-9", DeviceKind.BRACELET, protocol="gt06"
    )
    dup = await admin.post("/api/v1/devices", json={"device_id": "app-9", "kind": "victim_app"})
    assert dup.status_code == 409 and "already enrolled" in dup.json()["detail"]
    r = await admin.post("/api/v1/devices", json={"device_id": "x", "kind": "watch"})
    assert r.status_code == 422 and "'kind'" in r.json()["detail"]

    op = await w.login("operator")
    r = await op.post("/api/v1/devices", json={"device_id": "y", "kind": "bracelet"})
    assert r.status_code == 403 and "devices.write" in r.json()["detail"]

    # Last contact and battery come from the newest message in the log.
    await w.fixes("bracelet-okt", T0 + 10, north_of(HOME, 800))
    listed = {d["id"]: d for d in (await op.get("/api/v1/devices")).json()}
    assert set(listed) == {"bracelet-okt", "victim-app-okt", "bracelet-len", "app-9", "bracelet-9"}
    b = listed["bracelet-okt"]
    assert b["person_id"] == "resp-okt" and b["district"] == "KG-GB-OKT"
    assert b["last_contact"] == iso(T0 + 10) and b["battery"] == 80.0
    assert listed["app-9"]["person_id"] is None and listed["app-9"]["last_contact"] is None

    # Leninsky staff see Leninsky devices and the unassigned stock, not Oktyabrsky's.
    op_len = await w.login("operator-len")
    seen = {d["id"] for d in (await op_len.get("/api/v1/devices")).json()}
    assert seen == {"bracelet-len", "app-9", "bracelet-9"}
    assert (await op_len.get("/api/v1/devices/bracelet-okt")).status_code == 404


async def test_unknown_device_enrolled_from_the_list(w: World) -> None:
    await w.pipeline.unknown_device(
        "watch", "3G*8800000015", "10.0.0.7:5555", b"[3G*8800000015*0002*LK]"
    )
    sup = await w.login("supervisor")
    unknown = (await sup.get("/api/v1/devices/unknown")).json()
    assert [(u["protocol"], u["ident"], u["count"]) for u in unknown] == [
        ("watch", "3G*8800000015", 1)
    ]
    r = await sup.post(
        "/api/v1/devices/unknown/osmand/3G*8800000015/enrol", json={"kind": "bracelet"}
    )
    assert r.status_code == 404
    r = await sup.post(
        "/api/v1/devices/unknown/watch/3G*8800000015/enrol",
        json={"kind": "bracelet", "model": "watch", "tz_offset_min": 360},
    )
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "3G*8800000015" and r.json()["tz_offset_min"] == 360
    assert r.json()["protocol"] == "watch"  # the protocol it was heard on
    assert w.pipeline.lookup_device("3G*8800000015") is not None
    assert (await sup.get("/api/v1/devices/unknown")).json() == []


SPARE = "/api/v1/devices/spare/assignment"


async def test_assignment_changes_what_the_engine_monitors(w: World) -> None:
    sup = await w.login("supervisor")
    spare = {"device_id": "spare", "kind": "bracelet", "protocol": "watch"}
    assert (await sup.post("/api/v1/devices", json=spare)).status_code == 201
    w.clock.t = T0 + 50
    r = await sup.post(
        "/api/v1/devices/spare/assignment", json={"person_id": "resp-okt", "reason": "fitted"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["person_id"] == "resp-okt" and r.json()["orders_updated"] == ["order-okt"]
    respondent = w.pipeline.order_terms("order-okt").respondent
    assert ("spare", DeviceKind.BRACELET) in respondent.devices

    # Moved to the Leninsky respondent: both orders change.
    w.clock.t = T0 + 60
    r = await sup.post(
        "/api/v1/devices/spare/assignment", json={"person_id": "resp-len", "reason": "moved"}
    )
    assert sorted(r.json()["orders_updated"]) == ["order-len", "order-okt"]
    assert "spare" not in dict(w.pipeline.order_terms("order-okt").respondent.devices)
    assert "spare" in dict(w.pipeline.order_terms("order-len").respondent.devices)

    w.clock.t = T0 + 70
    r = await sup.request(
        "DELETE", "/api/v1/devices/spare/assignment", json={"reason": "strap broken"}
    )
    assert r.status_code == 200 and r.json()["person_id"] is None
    assert "spare" not in dict(w.pipeline.order_terms("order-len").respondent.devices)
    again = await sup.request(
        "DELETE", "/api/v1/devices/spare/assignment", json={"reason": "again"}
    )
    assert again.status_code == 409 and "not assigned" in again.json()["detail"]

    # Assigned again to the same person: the engine hears of it again.
    w.clock.t = T0 + 80
    await sup.post(
        "/api/v1/devices/spare/assignment", json={"person_id": "resp-len", "reason": "moved"}
    )
    assert "spare" in dict(w.pipeline.order_terms("order-len").respondent.devices)
    history = (await sup.get("/api/v1/devices/spare")).json()["assignments"]
    assert [(a["person_id"], a["to_at"] is None) for a in history] == [
        ("resp-okt", False),
        ("resp-len", False),
        ("resp-len", True),
    ]
    r = await sup.post(
        "/api/v1/devices/spare/assignment", json={"person_id": "nobody", "reason": "x"}
    )
    assert r.status_code == 404

    sup_len = await w.login("supervisor-len")
    r = await sup_len.post(
        "/api/v1/devices/bracelet-len/assignment", json={"person_id": "resp-okt", "reason": "x"}
    )
    assert r.status_code == 404  # the Oktyabrsky person is outside the user's districts
    op = await w.login("operator")
    r = await op.request("DELETE", "/api/v1/devices/spare/assignment", json={"reason": "x"})
    assert r.status_code == 403


async def test_assignment_needs_a_reason_that_goes_on_the_records(w: World) -> None:
    sup = await w.login("supervisor")
    path = "/api/v1/devices/bracelet-okt/assignment"
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}):
        r = await sup.request("DELETE", path, json=body)
        assert r.status_code == 422 and "reason" in r.json()["detail"], (body, r.text)
    r = await sup.post(path, json={"person_id": "resp-okt"})
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    # Refused: still assigned, nothing on the log.
    assert w.pipeline.order_terms("order-okt").respondent.devices
    assert audit_entries(w.pipeline.db, action="device.unassigned") == []

    w.clock.t = T0 + 30
    reason = "strap cut; bracelet taken for inspection"
    r = await sup.request("DELETE", path, json={"reason": f"  {reason} "})
    assert r.status_code == 200, r.text
    assert r.json()["orders_updated"] == ["order-okt"]
    logged = audit_entries(w.pipeline.db, action="device.unassigned")
    assert {e.subject: e.details["reason"] for e in logged} == {
        "device:bracelet-okt": reason,
        "order:order-okt": reason,
    }
    w.clock.t = T0 + 40
    r = await sup.post(path, json={"person_id": "resp-okt", "reason": "inspected, refitted"})
    assert r.status_code == 200, r.text
    history = (await sup.get("/api/v1/devices/bracelet-okt")).json()["assignments"]
    assert [(a["reason"], a["ended_by"], a["end_reason"]) for a in history] == [
        (None, "supervisor", reason),
        ("inspected, refitted", None, None),
    ]
    on_order = audit_entries(w.pipeline.db, subject="order:order-okt")
    assert [e.action for e in on_order] == ["device.assigned", "device.unassigned"]
    assert on_order[0].details["reason"] == "inspected, refitted"


async def test_tracks_of_respondent_and_of_protected_person(w: World) -> None:
    t_end = await w.fixes("bracelet-okt", T0 + 10, north_of(HOME, 3000), north_of(HOME, 2900))
    await w.fixes("victim-app-okt", T0 + 10, VICTIM_POS)
    op = await w.login("operator")
    r = await op.get("/api/v1/tracks/bracelet-okt", params={"since": iso(T0), "until": iso(t_end)})
    assert r.status_code == 200, r.text
    fixes = r.json()["fixes"]
    assert [f["t"] for f in fixes] == [iso(T0 + 10), iso(T0 + 20)]
    assert fixes[0]["acc"] == 10.0 and fixes[0]["lat"] == pytest.approx(north_of(HOME, 3000)[0])
    assert r.json()["persons"] == [{"id": "resp-okt", "role": "respondent"}]

    window = {"since": iso(T0), "until": iso(T0 + 100)}
    r = await op.get("/api/v1/tracks/victim-app-okt", params=window)
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    reason = "protected person reported being followed"
    r = await op.get("/api/v1/tracks/victim-app-okt", params={**window, "reason": reason})
    assert r.status_code == 200 and len(r.json()["fixes"]) == 1

    sup = await w.login("supervisor")
    reads = (await sup.get("/api/v1/audit", params={"action": "location.read"})).json()
    assert len(reads) == 1
    assert reads[0]["actor"] == "operator" and reads[0]["subject"] == "device:victim-app-okt"
    assert reads[0]["details"]["reason"] == reason and reads[0]["details"]["persons"] == [
        "prot-okt"
    ]

    bad = await op.get(
        "/api/v1/tracks/bracelet-okt", params={"since": iso(T0 + 10), "until": iso(T0)}
    )
    assert bad.status_code == 422
    op_len = await w.login("operator-len")
    assert (await op_len.get("/api/v1/tracks/bracelet-okt", params=window)).status_code == 404
    admin = await w.login("admin")
    r = await admin.get("/api/v1/tracks/bracelet-okt", params=window)
    assert r.status_code == 403 and "tracks.read" in r.json()["detail"]


async def test_a_role_without_the_permission_cannot_read_a_protected_track(w: World) -> None:
    """No creatable role has tracks.read without locations.protected.read yet, so
    the prosecutor's intended grants are checked through the API's rule."""
    from korgoo.api.permissions import ROLE_PERMISSIONS, Capability, Role

    grants = ROLE_PERMISSIONS[Role.PROSECUTOR]
    assert Capability.TRACKS_READ in grants
    assert Capability.LOCATIONS_PROTECTED_READ not in grants
    with w.pipeline.db.begin() as conn:
        conn.exec_driver_sql("UPDATE users SET role = 'prosecutor' WHERE username = 'admin'")
    await w.fixes("victim-app-okt", T0 + 10, VICTIM_POS)
    prosecutor = await w.login("admin")
    window = {"since": iso(T0), "until": iso(T0 + 100), "reason": "curious"}
    r = await prosecutor.get("/api/v1/tracks/victim-app-okt", params=window)
    assert r.status_code == 403 and "protected person" in r.json()["detail"]
    assert (await prosecutor.get("/api/v1/tracks/bracelet-okt", params=window)).status_code == 200


async def test_live_map_from_the_engine(w: World) -> None:
    await w.fixes("bracelet-okt", T0 + 10, north_of(HOME, 800))
    op = await w.login("operator")
    live = {x["order_id"]: x for x in (await op.get("/api/v1/live")).json()}
    assert set(live) == {"order-okt", "order-len"}
    okt = live["order-okt"]
    assert okt["respondent_id"] == "resp-okt" and okt["state"] == "compliant"
    assert okt["lat"] == pytest.approx(north_of(HOME, 800)[0]) and okt["acc"] == 10.0
    assert okt["t"] == iso(T0 + 10)
    assert live["order-len"]["lat"] is None  # no fix yet
    await w.fixes("bracelet-okt", T0 + 40, HOME, HOME, HOME, HOME)  # a plausible 25 m/s
    okt = next(x for x in (await op.get("/api/v1/live")).json() if x["order_id"] == "order-okt")
    assert okt["state"] == "breach"
    op_len = await w.login("operator-len")
    assert [x["order_id"] for x in (await op_len.get("/api/v1/live")).json()] == ["order-len"]
    admin = await w.login("admin")
    assert (await admin.get("/api/v1/live")).status_code == 403
