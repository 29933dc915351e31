"""Temporary orders from the police through the API: a duty officer issues one
in his district (registering the persons), never in another's and never a
court order; the centre works the monitoring request (fitted, started,
refused) with actor and time on the request and the audit log; a court order
replacing it ends it at the same instant and keeps the devices; ending an
order tells the device holders (the app a message, her an SMS from the outbox)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from korgoo.store.orders import terms_at
from korgoo.store.schema import app_messages, audit_log, notifications

from ..unit.engine.conftest import T0
from .api_world import LEN, OKT, World, iso, world_fixture
from .test_apps_world import enrol

__all__ = ["world_fixture"]
DAY_S = 86_400.0


def temporary(number: str = "TMP-1", district: str = OKT, **extra: Any) -> dict[str, Any]:
    return {
        "number": number,
        "issuing_authority": "Oktyabrsky police duty unit",
        "legal_basis": "Law No. 63 of 27 April 2017, temporary protective order",
        "district": district,
        "respondent": {"display_name": "Respondent T", "phones": []},
        "protected": {
            "display_name": "Protected T",
            "language": "ky",
            "phones": [{"number": "+996 555 123 456", "label": "mobile"}],
        },
        "min_distance_m": 300,
        "monitoring": "bracelet",
        "note": "fit at the district office",
        **extra,
    }


async def test_the_duty_officer_issues_a_temporary_order_in_his_district_only(w: World) -> None:
    okt = await w.login("police-okt")
    r = await okt.post("/api/v1/police/orders", json=temporary())
    assert r.status_code == 201, r.text
    order, request = r.json()["order"], r.json()["request"]
    assert order["kind"] == "temporary" and order["district"] == OKT
    assert order["created_by"] == "police-okt"
    # The duration is the law's setting, from now.
    assert order["current"]["starts_at"] == iso(T0)
    assert order["current"]["ends_at"] == iso(T0 + w.pipeline.settings.temporary_order_days * DAY_S)
    assert order["current"]["min_distance_m"] == 300
    assert order["current"]["no_contact"] is False
    assert request["status"] == "requested" and request["kind"] == "bracelet"
    assert (request["requested_by"], request["requested_at"]) == ("police-okt", iso(T0))
    # The persons were registered in the district, and he reads them.
    respondent = order["current"]["respondent_id"]
    assert (await okt.get(f"/api/v1/persons/{respondent}")).json()["district"] == OKT
    # The engine monitors it at once.
    assert w.pipeline.order_terms(order["id"]) is not None

    # The no-contact condition, when the officer sets it, is on the order.
    r = await okt.post("/api/v1/police/orders", json=temporary("TMP-5", no_contact=True))
    assert r.status_code == 201, r.text
    assert r.json()["order"]["current"]["no_contact"] is True
    got = await okt.get(f"/api/v1/orders/{r.json()['order']['id']}")
    assert got.json()["terms"]["no_contact"] is True

    # Another district's order: refused; so is another district's person.
    r = await okt.post("/api/v1/police/orders", json=temporary("TMP-2", LEN))
    assert r.status_code == 403, r.text
    r = await okt.post(
        "/api/v1/police/orders",
        json=temporary("TMP-3") | {"respondent": None, "respondent_id": "resp-len"},
    )
    assert r.status_code == 404, r.text
    # A court order, or any variation, is not his to make.
    court = {
        "number": "C-9",
        "kind": "court",
        "issuing_authority": "court",
        "legal_basis": "x",
        "district": OKT,
        "respondent_id": respondent,
        "protected_ids": [],
        "starts_at": iso(T0),
    }
    assert (await okt.post("/api/v1/orders", json=court)).status_code == 403
    variation = {"changes": {"min_distance_m": 10}, "reason": "x"}
    r = await okt.post(f"/api/v1/orders/{order['id']}/variations", json=variation)
    assert r.status_code == 403
    # The district inspector and the centre's operator do not issue them.
    for other in ("inspector-okt", "operator"):
        c = await w.login(other)
        r = await c.post("/api/v1/police/orders", json=temporary("TMP-4"))
        assert r.status_code == 403, other
    # The Leninsky officer does not see the request.
    assert (await (await w.login("police-len")).get("/api/v1/requests")).json() == []


async def test_the_centre_works_the_request_queue(w: World) -> None:
    okt = await w.login("police-okt")
    made = (await okt.post("/api/v1/police/orders", json=temporary())).json()
    order_id, request_id = made["order"]["id"], made["request"]["id"]
    respondent = made["order"]["current"]["respondent_id"]
    sup = await w.login("supervisor")
    queue = (await sup.get("/api/v1/requests")).json()
    assert [(q["id"], q["order_number"], q["status"]) for q in queue] == [
        (request_id, "TMP-1", "requested")
    ]
    # Not started before the respondent holds a device; the police cannot step it.
    assert (await sup.post(f"/api/v1/requests/{request_id}/started")).status_code == 409
    assert (await okt.post(f"/api/v1/requests/{request_id}/fitted")).status_code == 403

    # The centre fits a bracelet with the existing device flow, then marks it.
    w.clock.t = T0 + 600
    r = await sup.post(
        "/api/v1/devices/bracelet-okt/assignment", json={"person_id": respondent, "reason": "fit"}
    )
    assert r.status_code in (200, 201), r.text
    r = await sup.post(f"/api/v1/requests/{request_id}/fitted")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["fitted_by"]) == ("fitted", "supervisor")
    assert r.json()["fitted_at"] == iso(T0 + 600)
    w.clock.t = T0 + 660
    r = await sup.post(f"/api/v1/requests/{request_id}/started")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["started_at"]) == ("started", iso(T0 + 660))
    # Done: out of the open queue, kept in the full list; no step back.
    assert (await sup.get("/api/v1/requests")).json() == []
    assert [q["status"] for q in (await okt.get("/api/v1/requests?all=true")).json()] == ["started"]
    r = await sup.post(f"/api/v1/requests/{request_id}/refused", json={"reason": "late"})
    assert r.status_code == 409
    # Every step on the audit log under the order, with its actor.
    with w.pipeline.db.connect() as conn:
        steps = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.actor, audit_log.c.at)
            .where(audit_log.c.subject == order_id)
            .order_by(audit_log.c.id)
        ).all()
    assert [tuple(s) for s in steps] == [
        ("order.created", "police-okt", T0),
        ("monitoring.requested", "police-okt", T0),
        ("monitoring.fitted", "supervisor", T0 + 600),
        ("monitoring.started", "supervisor", T0 + 660),
    ]

    # A second request refused, with its reason.
    made = (await okt.post("/api/v1/police/orders", json=temporary("TMP-2"))).json()
    r = await sup.post(
        f"/api/v1/requests/{made['request']['id']}/refused", json={"reason": "no bracelet left"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["refusal_reason"]) == ("refused", "no bracelet left")


async def test_a_court_order_replacing_it_ends_it_at_the_same_instant_and_keeps_the_devices(
    w: World,
) -> None:
    okt = await w.login("police-okt")
    made = (await okt.post("/api/v1/police/orders", json=temporary())).json()
    temp_id = made["order"]["id"]
    respondent = made["order"]["current"]["respondent_id"]
    protected = made["order"]["current"]["protected_ids"][0]
    sup = await w.login("supervisor")
    await sup.post(
        "/api/v1/devices/bracelet-okt/assignment", json={"person_id": respondent, "reason": "fit"}
    )
    phone = await enrol(w, temp_id, respondent, "respondent_app")

    w.clock.t = T0 + 5 * DAY_S
    court = {
        "number": "C-1",
        "kind": "court",
        "issuing_authority": "Oktyabrsky district court",
        "legal_basis": "Law No. 63, art. 31",
        "district": OKT,
        "respondent_id": respondent,
        "protected_ids": [protected],
        "starts_at": iso(T0 + 5 * DAY_S),
        "replaces_order_id": temp_id,
    }
    # A later start would leave a gap: refused.
    later = court | {"starts_at": iso(T0 + 6 * DAY_S)}
    assert (await sup.post("/api/v1/orders", json=later)).status_code == 422
    r = await sup.post("/api/v1/orders", json=court)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["replaces_order_id"] == temp_id
    ended = (await sup.get(f"/api/v1/orders/{temp_id}")).json()["current"]
    assert ended["status"] == "ended"
    assert ended["ends_at"] == new["current"]["starts_at"] == iso(T0 + 5 * DAY_S)
    assert ended["valid_from"] == new["current"]["valid_from"]
    # The devices stay: the court order's terms hold the bracelet and the app,
    # the app's credential passed to the new order and still stands.
    terms = terms_at(w.pipeline.db, new["id"], T0 + 5 * DAY_S)
    assert terms is not None
    held = {d for d, _ in terms.respondent.devices}
    assert {"bracelet-okt", phone.device_id} <= held
    auth = {"Authorization": f"Device {phone.device_id}:{phone.secret}"}
    async with w.client() as c:
        me = await c.get("/app/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json()["order_number"] == "C-1"
    # Replacing is no ending: no one is told the order ended.
    with w.pipeline.db.connect() as conn:
        assert conn.execute(sa.select(notifications)).all() == []
        told = conn.execute(sa.select(app_messages).where(app_messages.c.event == "order_ended"))
        assert told.all() == []
    # A second court order cannot replace it again.
    again = court | {"number": "C-2"}
    assert (await sup.post("/api/v1/orders", json=again)).status_code == 409


async def test_ending_an_order_tells_the_device_holders(w: World) -> None:
    w.pipeline.settings.sms_url = "http://127.0.0.1:9/send"  # SMS switched on (never reached)
    okt = await w.login("police-okt")
    made = (await okt.post("/api/v1/police/orders", json=temporary())).json()
    order_id = made["order"]["id"]
    respondent = made["order"]["current"]["respondent_id"]
    protected = made["order"]["current"]["protected_ids"][0]
    phone = await enrol(w, order_id, respondent, "respondent_app")
    sup = await w.login("supervisor")

    w.clock.t = T0 + 3600
    r = await sup.post(f"/api/v1/orders/{order_id}/end", json={"reason": "withdrawn"})
    assert r.status_code == 201, r.text
    with w.pipeline.db.connect() as conn:
        sms = conn.execute(sa.select(notifications)).all()
        told = conn.execute(
            sa.select(app_messages.c.device_id, app_messages.c.payload).where(
                app_messages.c.event == "order_ended"
            )
        ).all()
    # Her: one SMS in her language from the outbox, to her phone.
    assert [(n.person_id, n.template, n.language, n.order_id) for n in sms] == [
        (protected, "order_ended", "ky", order_id)
    ]
    assert sms[0].route == [["sms", "+996 555 123 456"]]
    # Him: a message on his app.
    assert [(d, p["code"], p["status"]) for d, p in told] == [
        (phone.device_id, "order_ended", "ended")
    ]
