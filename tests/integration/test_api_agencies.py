"""Agencies, the prosecutor and the court, and the rollout switch, through the
API: every user belongs to an agency whose type fits the role, with the
agency's districts by default; a prosecutor or a court of Sverdlovsky sees
nothing of Oktyabrsky (orders, alerts, persons, tracks, evidence); the court
takes the evidence report and the signed bundle of its district's alerts;
an order is refused in a district where monitoring is not rolled out, until
the administrator switches it on."""

from __future__ import annotations

from urllib.parse import quote

from korgoo.api.auth import add_user
from korgoo.store.audit import audit_entries

from ..unit.engine.conftest import T0
from .api_world import SVE, World, iso, proximity_breach, world_fixture

__all__ = ["world_fixture"]

OSH_2 = "KG-GO-2"  # Zhibek Zholu, a territorial administration of Osh city


def evidence(key: str, suffix: str) -> str:
    return f"/api/v1/alerts/{quote(key, safe='')}/evidence.{suffix}"


async def test_the_role_must_fit_the_agency(w: World) -> None:
    admin = await w.login("admin")
    listed = {a["id"]: a for a in (await admin.get("/api/v1/agencies")).json()}
    assert listed["prosecutor-gb-sve"]["type"] == "prosecutor_office"
    assert listed["prosecutor-gb-sve"]["districts"] == [SVE]
    assert listed["prosecutor-gb-sve"]["roles"] == ["prosecutor"]
    assert listed["police-gb-okt"]["roles"] == [
        "police_district_inspector",
        "police_duty_officer",
    ]
    assert listed["moj-centre"]["districts"] == []  # the whole country

    body = {"username": "pr-sve", "role": "prosecutor", "reason": "appointed"}
    # The districts default to the agency's.
    r = await admin.post("/api/v1/users", json=body | {"agency": "prosecutor-gb-sve"})
    assert r.status_code == 201, r.text
    user = r.json()["user"]
    assert (user["agency"], user["districts"]) == ("prosecutor-gb-sve", [SVE])
    assert "evidence.report" in user["permissions"]

    refusals = (
        # a prosecutor does not work in a court
        ({"agency": "court-gb-sve"}, "prosecutor_office"),
        # nor in Oktyabrsky when his office is Sverdlovsky's
        ({"agency": "prosecutor-gb-sve", "districts": ["KG-GB-OKT"]}, "does not serve"),
        ({"agency": "no-such-office"}, "unknown agency"),
    )
    for extra, says in refusals:
        r = await admin.post("/api/v1/users", json=body | {"username": "pr-2"} | extra)
        assert r.status_code == 422 and says in r.json()["detail"], (extra, r.text)
    r = await admin.post(
        "/api/v1/users",
        json={"username": "op-2", "role": "operator", "agency": "police-gb-okt", "reason": "new"},
    )
    assert r.status_code == 422 and "moj_centre" in r.json()["detail"], r.text

    # A court of Sverdlovsky created with the court's agency; turning it into a
    # prosecutor while it stays in the court is refused, moving both is not.
    court = {"username": "judge-sve", "role": "court", "agency": "court-gb-sve", "reason": "new"}
    assert (await admin.post("/api/v1/users", json=court)).status_code == 201
    r = await admin.patch("/api/v1/users/judge-sve", json={"role": "prosecutor", "reason": "new"})
    assert r.status_code == 422 and "court" in r.json()["detail"], r.text
    r = await admin.patch(
        "/api/v1/users/judge-sve",
        json={"role": "prosecutor", "agency": "prosecutor-gb-sve", "reason": "moved"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["user"]["agency"] == "prosecutor-gb-sve"
    # Users created without naming an agency were placed by role and district.
    assert (await admin.get("/api/v1/users/prosecutor-okt")).json()["agency"] == (
        "prosecutor-gb-okt"
    )
    assert (await admin.get("/api/v1/users/operator")).json()["agency"] == "moj-centre"


async def test_a_prosecutor_of_sverdlovsky_sees_nothing_of_oktyabrsky(w: World) -> None:
    key = await proximity_breach(w)  # in Oktyabrsky
    okt, sve = await w.login("prosecutor-okt"), await w.login("prosecutor-sve")
    why = {"reason": "breach proceedings"}

    # Oktyabrsky's prosecutor reads the record of violations of his district.
    assert [o["id"] for o in (await okt.get("/api/v1/orders")).json()] == ["order-okt"]
    assert (await okt.get("/api/v1/orders/order-okt")).status_code == 200
    assert key in [a["alert_key"] for a in (await okt.get("/api/v1/alerts")).json()]
    assert (await okt.get(f"/api/v1/alerts/{quote(key, safe='')}")).status_code == 200
    assert (await okt.get("/api/v1/persons/resp-okt")).status_code == 200
    assert (await okt.get("/api/v1/tracks/bracelet-okt")).status_code == 200
    r = await okt.get(evidence(key, "pdf"), params=why)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text

    # Sverdlovsky's sees none of it: not found, or nothing listed.
    assert (await sve.get("/api/v1/orders")).json() == []
    assert (await sve.get("/api/v1/orders/order-okt")).status_code == 404
    assert (await sve.get("/api/v1/alerts")).json() == []
    assert (await sve.get("/api/v1/alerts", params={"status": "resolved"})).json() == []
    assert (await sve.get(f"/api/v1/alerts/{quote(key, safe='')}")).status_code == 404
    assert (await sve.get("/api/v1/persons")).json() == []
    assert (await sve.get("/api/v1/persons/resp-okt")).status_code == 404
    assert (await sve.get("/api/v1/persons/prot-okt")).status_code == 404
    assert (await sve.get("/api/v1/tracks/bracelet-okt")).status_code == 404
    assert (await sve.get("/api/v1/live")).json() == []
    assert (await sve.get(evidence(key, "pdf"), params=why)).status_code == 404
    # Neither takes the signed bundle, nor reads the audit log (not scoped).
    for client in (okt, sve):
        assert (await client.get(evidence(key, "zip"), params=why)).status_code == 403
        assert (await client.get("/api/v1/audit")).status_code == 403


async def test_the_court_takes_the_report_of_its_districts_only(w: World) -> None:
    key = await proximity_breach(w)
    okt, sve = await w.login("court-okt"), await w.login("court-sve")
    why = {"reason": "case 2-114/26"}

    assert (await okt.get("/api/v1/orders/order-okt")).status_code == 200
    assert key in [a["alert_key"] for a in (await okt.get("/api/v1/alerts")).json()]
    r = await okt.get(evidence(key, "pdf"), params=why | {"lang": "en"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text
    exported = audit_entries(w.pipeline.db, actor="court-okt", action="evidence.export")
    assert len(exported) == 1 and exported[0].details["reason"] == why["reason"]
    # The signed bundle too (the court weighs the raw record), audited with its reason.
    r = await okt.get(evidence(key, "zip"), params=why)
    assert r.status_code == 200 and r.content.startswith(b"PK"), r.text
    exported = audit_entries(w.pipeline.db, actor="court-okt", action="evidence.export")
    assert len(exported) == 2
    # The respondents' tracks and entering orders stay with the centre.
    assert (await okt.get("/api/v1/tracks/bracelet-okt")).status_code == 403
    assert (await okt.post("/api/v1/orders", json={})).status_code == 403

    assert (await sve.get("/api/v1/orders/order-okt")).status_code == 404
    assert (await sve.get("/api/v1/alerts")).json() == []
    assert (await sve.get(evidence(key, "pdf"), params=why)).status_code == 404
    assert (await sve.get(evidence(key, "zip"), params=why)).status_code == 404


async def test_an_order_is_refused_where_monitoring_is_not_rolled_out(w: World) -> None:
    sup, admin = await w.login("supervisor"), await w.login("admin")
    for pid, role in (("resp-sve", "respondent"), ("prot-sve", "protected")):
        person = {"role": role, "display_name": pid, "district": SVE}
        r = await sup.post("/api/v1/persons", json=person)
        assert r.status_code == 201, r.text
    ids = {p["display_name"]: p["id"] for p in (await sup.get("/api/v1/persons")).json()}
    order = {
        "number": "SVE-1",
        "kind": "temporary",
        "issuing_authority": "police, Sverdlovsky district",
        "legal_basis": "Law No. 214 of 15 Oct 2025",
        "district": SVE,
        "respondent_id": ids["resp-sve"],
        "protected_ids": [ids["prot-sve"]],
        "starts_at": iso(T0 - 60),
        "ends_at": iso(T0 + 30 * 86400),
        "min_distance_m": 300,
    }
    r = await sup.post("/api/v1/orders", json=order)
    assert r.status_code == 409 and "not been rolled out" in r.json()["detail"], r.text

    codes = {j["code"]: j for j in (await admin.get("/api/v1/jurisdictions")).json()}
    assert codes[SVE]["monitoring_enabled"] is False
    assert codes["KG-GB-OKT"]["monitoring_enabled"] is True
    # Only the administrator switches it, with a reason.
    switch = {"monitoring_enabled": True, "reason": "rollout to Sverdlovsky, order 17"}
    assert (await sup.patch(f"/api/v1/jurisdictions/{SVE}", json=switch)).status_code == 403
    r = await admin.patch(f"/api/v1/jurisdictions/{SVE}", json=switch)
    assert r.status_code == 200 and r.json()["monitoring_enabled"] is True, r.text
    entry = audit_entries(w.pipeline.db, action="jurisdiction.monitoring")[0]
    assert (entry.actor, entry.subject) == ("admin", f"jurisdiction:{SVE}")

    r = await sup.post("/api/v1/orders", json=order)
    assert r.status_code == 201, r.text
    assert (await admin.patch("/api/v1/jurisdictions/KG-NO", json=switch)).status_code == 404


async def test_a_prosecutor_of_osh_sees_osh_and_nothing_of_bishkek(w: World) -> None:
    """Osh city's prosecutor, placed in his office with its districts (the city
    and its territorial administrations), sees an order of one of them as
    Oktyabrsky's prosecutor sees his; each sees nothing of the other's."""
    w.users["prosecutor-osh"] = add_user(
        w.pipeline.db, "prosecutor-osh", role="prosecutor", agency="prosecutor-go", now=T0
    )
    sup, admin = await w.login("supervisor"), await w.login("admin")
    ids = {}
    for name, role in (("resp-osh", "respondent"), ("prot-osh", "protected")):
        person = {"role": role, "display_name": name, "district": OSH_2}
        r = await sup.post("/api/v1/persons", json=person)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    order = {
        "number": "OSH-1",
        "kind": "court",
        "issuing_authority": "Osh City Court",
        "legal_basis": "Law No. 214",
        "district": OSH_2,
        "respondent_id": ids["resp-osh"],
        "protected_ids": [ids["prot-osh"]],
        "starts_at": iso(T0 - 60),
        "ends_at": iso(T0 + 30 * 86400),
        "min_distance_m": 300,
    }
    # Monitoring is not rolled out in Osh until the administrator says so.
    r = await sup.post("/api/v1/orders", json=order)
    assert r.status_code == 409, r.text
    switch = {"monitoring_enabled": True, "reason": "rollout to Osh"}
    assert (await admin.patch(f"/api/v1/jurisdictions/{OSH_2}", json=switch)).status_code == 200
    r = await sup.post("/api/v1/orders", json=order)
    assert r.status_code == 201, r.text
    osh_order = r.json()["id"]

    osh, okt = await w.login("prosecutor-osh"), await w.login("prosecutor-okt")
    placed = (await admin.get("/api/v1/users/prosecutor-osh")).json()
    assert placed["agency"] == "prosecutor-go"
    assert placed["districts"][0] == "KG-GO" and OSH_2 in placed["districts"]
    assert [o["id"] for o in (await osh.get("/api/v1/orders")).json()] == [osh_order]
    assert (await osh.get(f"/api/v1/orders/{osh_order}")).status_code == 200
    assert (await osh.get(f"/api/v1/persons/{ids['resp-osh']}")).status_code == 200
    assert (await osh.get("/api/v1/orders/order-okt")).status_code == 404
    assert (await osh.get("/api/v1/persons/resp-okt")).status_code == 404

    assert [o["id"] for o in (await okt.get("/api/v1/orders")).json()] == ["order-okt"]
    assert (await okt.get(f"/api/v1/orders/{osh_order}")).status_code == 404
    assert (await okt.get(f"/api/v1/persons/{ids['prot-osh']}")).status_code == 404
