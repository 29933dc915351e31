"""Persons and orders through the API: create, vary (a new version the engine
monitors at once), end; versions, terms in force at a time, zones as GeoJSON;
who may write, and jurisdiction."""

from __future__ import annotations

import json

from korgoo.domain.terms import OrderStatus

from ..unit.engine.conftest import HOME, T0
from .api_world import LEN, OKT, World, iso, world_fixture
from .test_apps_world import enrol

__all__ = ["world_fixture"]

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[74.60, 42.87], [74.61, 42.87], [74.61, 42.88], [74.60, 42.88], [74.60, 42.87]]
    ],
}


def new_order(number: str = "OKT-2", district: str = OKT, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "number": number,
        "kind": "temporary",
        "issuing_authority": "police, Oktyabrsky district",
        "legal_basis": "Law No. 214 of 15 Oct 2025",
        "district": district,
        "respondent_id": "resp-okt",
        "protected_ids": ["prot-okt"],
        "starts_at": iso(T0 - 60),
        "ends_at": iso(T0 + 30 * 86400),
        "min_distance_m": 300,
        "zones": [
            {
                "zone_id": "school",
                "name": "School",
                "kind": "exclusion",
                "geometry": {"type": "Point", "coordinates": [HOME[1], HOME[0]]},
                "radius_m": 150,
            }
        ],
    }
    body.update(extra)
    return body


async def test_persons_create_list_and_scope(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.post(
        "/api/v1/persons",
        json={"role": "protected", "display_name": "protected person B", "district": OKT},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert (await sup.get(f"/api/v1/persons/{pid}")).json()["district"] == OKT
    listed = {p["id"] for p in (await sup.get("/api/v1/persons")).json()}
    assert {pid, "resp-okt", "resp-len"} <= listed
    only = (await sup.get("/api/v1/persons", params={"role": "respondent"})).json()
    assert {p["role"] for p in only} == {"respondent"}

    r = await sup.post(
        "/api/v1/persons", json={"role": "protected", "display_name": "x", "district": "KG-ZZ"}
    )
    assert r.status_code == 422 and "KG-ZZ" in r.json()["detail"]
    r = await sup.post(
        "/api/v1/persons", json={"role": "victim", "display_name": "x", "district": OKT}
    )
    assert r.status_code == 422 and "'role'" in r.json()["detail"]

    sup_len = await w.login("supervisor-len")
    assert {p["id"] for p in (await sup_len.get("/api/v1/persons")).json()} == {
        "resp-len",
        "prot-len",
    }
    assert (await sup_len.get(f"/api/v1/persons/{pid}")).status_code == 404
    r = await sup_len.post(
        "/api/v1/persons", json={"role": "respondent", "display_name": "x", "district": OKT}
    )
    assert r.status_code == 403 and "outside your districts" in r.json()["detail"]

    op = await w.login("operator")
    assert (await op.get("/api/v1/persons")).status_code == 200
    r = await op.post(
        "/api/v1/persons", json={"role": "respondent", "display_name": "x", "district": OKT}
    )
    assert r.status_code == 403 and "persons.write" in r.json()["detail"]
    admin = await w.login("admin")
    assert (await admin.get("/api/v1/persons")).status_code == 403


async def test_order_create_vary_end_with_versions_and_engine(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.post("/api/v1/orders", json=new_order())
    assert r.status_code == 201, r.text
    order = r.json()
    oid = order["id"]
    assert order["current"]["version"] == 1 and order["current"]["min_distance_m"] == 300
    assert order["terms"]["respondent"]["devices"] == [
        {"device_id": "bracelet-okt", "kind": "bracelet"}
    ]
    # The engine monitors it at once.
    terms = w.pipeline.order_terms(oid)
    assert terms is not None
    assert terms.version == 1 and [z.zone_id for z in terms.zones] == ["school"]
    assert order["state"] == "compliant"

    dup = await sup.post("/api/v1/orders", json=new_order())
    assert dup.status_code == 409 and "OKT-2" in dup.json()["detail"]

    # A variation: the zone becomes a polygon (given back as GeoJSON, as the editor does).
    zones = (await sup.get(f"/api/v1/orders/{oid}/zones")).json()
    assert zones["type"] == "FeatureCollection"
    feature = zones["features"][0]
    assert feature["id"] == "school" and feature["properties"]["radius_m"] == 150
    feature["geometry"] = SQUARE
    feature["properties"]["radius_m"] = 0
    w.clock.t = T0 + 100
    r = await sup.post(
        f"/api/v1/orders/{oid}/variations",
        json={
            "changes": {"zones": [feature], "min_distance_m": 400},
            "reason": "court varied the order",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2 and r.json()["zones"][0]["geometry"]["type"] == "Polygon"
    assert w.pipeline.order_terms(oid).version == 2
    assert w.pipeline.order_terms(oid).min_distance_m == 400

    # What was in force before the variation, and now.
    before = (await sup.get(f"/api/v1/orders/{oid}/terms", params={"at": iso(T0 + 50)})).json()
    now = (await sup.get(f"/api/v1/orders/{oid}/terms")).json()
    assert before["version"] == 1 and before["min_distance_m"] == 300
    assert now["version"] == 2 and now["zones"][0]["geometry"] == SQUARE
    r = await sup.get(f"/api/v1/orders/{oid}/terms", params={"at": iso(T0 - 86400)})
    assert r.status_code == 404 and "in force" in r.json()["detail"]

    # Bad variations are refused with the reason.
    bad_zone = dict(
        feature, geometry={"type": "LineString", "coordinates": [[74.6, 42.8], [74.7, 42.9]]}
    )
    r = await sup.post(
        f"/api/v1/orders/{oid}/variations", json={"changes": {"zones": [bad_zone]}, "reason": "x"}
    )
    assert r.status_code == 422 and "Polygon" in r.json()["detail"]
    r = await sup.post(
        f"/api/v1/orders/{oid}/variations", json={"changes": {"number": "X"}, "reason": "x"}
    )
    assert r.status_code == 422 and "cannot vary" in r.json()["detail"]
    r = await sup.post(
        f"/api/v1/orders/{oid}/variations", json={"changes": {"ends_at": "soon"}, "reason": "x"}
    )
    assert r.status_code == 422 and "ISO-8601" in r.json()["detail"]

    w.clock.t = T0 + 200
    r = await sup.post(
        f"/api/v1/orders/{oid}/end", json={"reason": "monitoring ended by the court"}
    )
    assert r.status_code == 201 and r.json()["status"] == "ended" and r.json()["version"] == 3
    assert w.pipeline.order_terms(oid).status is OrderStatus.ENDED
    versions = (await sup.get(f"/api/v1/orders/{oid}/versions")).json()
    assert [(v["version"], v["status"]) for v in versions] == [
        (1, "active"),
        (2, "active"),
        (3, "ended"),
    ]
    r = await sup.post(
        f"/api/v1/orders/{oid}/variations", json={"changes": {"min_distance_m": 9}, "reason": "x"}
    )
    assert r.status_code == 422 and "can no longer be varied" in r.json()["detail"]

    live = {o["id"] for o in (await sup.get("/api/v1/orders", params={"live": "true"})).json()}
    assert oid not in live and "order-okt" in live
    audit = (await sup.get("/api/v1/audit", params={"subject": oid})).json()
    assert [e["action"] for e in audit] == ["order.ended", "order.varied", "order.created"]


async def test_no_contact_is_a_condition_stored_read_varied_and_told_to_him(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.post("/api/v1/orders", json=new_order(no_contact=True))
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert r.json()["current"]["no_contact"] is True and r.json()["terms"]["no_contact"] is True
    assert w.pipeline.order_terms(oid).no_contact is True
    # Left out, an order has no such condition.
    other = await sup.post("/api/v1/orders", json=new_order("OKT-3"))
    assert other.json()["current"]["no_contact"] is False
    assert (
        await sup.post("/api/v1/orders", json=new_order("OKT-4", no_contact="often"))
    ).status_code == 422

    # His app lists it among his obligations, and says nothing of her.
    phone = await enrol(w, oid, "resp-okt", "respondent_app")
    auth = {"Authorization": f"Device {phone.device_id}:{phone.secret}"}
    async with w.client() as c:
        me = await c.get("/app/api/v1/me", headers=auth)
    assert me.status_code == 200, me.text
    assert me.json()["conditions"]["no_contact"] is True
    assert "prot-okt" not in json.dumps(me.json())

    # A variation lifts it in a new version; the earlier one keeps it.
    w.clock.t = T0 + 100
    r = await sup.post(
        f"/api/v1/orders/{oid}/variations",
        json={"changes": {"no_contact": False}, "reason": "court varied the order"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["no_contact"] is False
    assert w.pipeline.order_terms(oid).no_contact is False
    before = (await sup.get(f"/api/v1/orders/{oid}/terms", params={"at": iso(T0 + 50)})).json()
    assert before["no_contact"] is True
    versions = (await sup.get(f"/api/v1/orders/{oid}/versions")).json()
    assert [v["no_contact"] for v in versions] == [True, False]


async def test_order_validation_permissions_and_scope(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.post("/api/v1/orders", json=new_order(respondent_id="prot-okt"))
    assert r.status_code == 422 and "not a respondent" in r.json()["detail"]
    r = await sup.post("/api/v1/orders", json=new_order(starts_at="2026-01-01T00:00:00"))
    assert r.status_code == 422 and "'starts_at'" in r.json()["detail"]
    circle_without_radius = {
        "zone_id": "z",
        "name": "z",
        "kind": "exclusion",
        "geometry": {"type": "Point", "coordinates": [HOME[1], HOME[0]]},
    }
    r = await sup.post("/api/v1/orders", json=new_order(zones=[circle_without_radius]))
    assert r.status_code == 422 and "zone 'z'" in r.json()["detail"]
    r = await sup.post(
        "/api/v1/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]

    op = await w.login("operator")
    r = await op.post("/api/v1/orders", json=new_order())
    assert r.status_code == 403 and "orders.write" in r.json()["detail"]
    r = await op.post("/api/v1/orders/order-okt/end", json={"reason": "x"})
    assert r.status_code == 403
    assert {o["id"] for o in (await op.get("/api/v1/orders")).json()} == {"order-okt", "order-len"}

    # Leninsky staff see and change Leninsky orders only.
    sup_len = await w.login("supervisor-len")
    assert [o["id"] for o in (await sup_len.get("/api/v1/orders")).json()] == ["order-len"]
    for suffix in ("", "/versions", "/terms", "/zones"):
        r = await sup_len.get(f"/api/v1/orders/order-okt{suffix}")
        assert r.status_code == 404, suffix
    r = await sup_len.post(
        "/api/v1/orders/order-okt/variations",
        json={"changes": {"min_distance_m": 1}, "reason": "x"},
    )
    assert r.status_code == 404
    r = await sup_len.post("/api/v1/orders", json=new_order("LEN-2", district=OKT))
    assert r.status_code == 403
    # A Leninsky order naming an Oktyabrsky person is refused: that person is out of scope.
    r = await sup_len.post("/api/v1/orders", json=new_order("LEN-2", district=LEN))
    assert r.status_code == 404
    r = await sup_len.post(
        "/api/v1/orders",
        json=new_order(
            "LEN-2", district=LEN, respondent_id="resp-len", protected_ids=["prot-len"], zones=[]
        ),
    )
    assert r.status_code == 201, r.text
    detail = (await sup_len.get("/api/v1/orders/order-len")).json()
    assert detail["number"] == "LEN-1" and detail["district"] == LEN

    admin = await w.login("admin")
    assert (await admin.get("/api/v1/orders")).status_code == 403


async def test_a_curfew_exception_is_a_new_version_and_round_trips(w: World) -> None:
    sup = await w.login("supervisor")
    curfew = {
        "zone_id": "curfew",
        "name": "Registered address",
        "kind": "inclusion",
        "geometry": {"type": "Point", "coordinates": [HOME[1] + 0.05, HOME[0]]},
        "radius_m": 150,
        "schedule": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": 1320, "end": 360}],
        "exceptions": [
            {
                "from": iso(T0 + 3600),
                "to": iso(T0 + 9 * 3600),
                "reason": "night shift at the bakery",
                "approved_by": "probation officer",
            }
        ],
    }
    r = await sup.post(
        "/api/v1/orders/order-okt/variations",
        json={"changes": {"zones": [curfew]}, "reason": "approved night shift"},
    )
    assert r.status_code == 201, r.text
    zones = (await sup.get("/api/v1/orders/order-okt/zones")).json()["features"]
    (shown,) = [z["properties"]["exceptions"] for z in zones if z["id"] == "curfew"]
    assert shown == [
        {
            "from": iso(T0 + 3600),
            "to": iso(T0 + 9 * 3600),
            "reason": "night shift at the bakery",
            "approved_by": "probation officer",
        }
    ]
    terms = w.pipeline.order_terms("order-okt")
    assert terms is not None and terms.zones[0].exceptions[0].start == T0 + 3600
    # Ends before it starts, or no reason: refused, saying which.
    for bad, words in (
        ({"from": iso(T0 + 7200), "to": iso(T0 + 3600), "reason": "x"}, "end after it starts"),
        ({"from": iso(T0), "to": iso(T0 + 60), "reason": " "}, "reason"),
        ({"from": "tonight", "to": iso(T0 + 60), "reason": "x"}, "ISO-8601"),
    ):
        r = await sup.post(
            "/api/v1/orders/order-okt/variations",
            json={"changes": {"zones": [curfew | {"exceptions": [bad]}]}, "reason": "x"},
        )
        assert r.status_code == 422 and words in r.json()["detail"], r.text
