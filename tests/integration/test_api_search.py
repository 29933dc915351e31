"""Search and filters of the list APIs: alerts by order number and by person
(open and resolved), orders by number, person, district and status, devices by
id, kind, assignment and last contact; each within the user's districts."""

from __future__ import annotations

from urllib.parse import quote

from ..unit.engine.conftest import T0
from .api_world import World, world_fixture, zone_breach
from .test_api_alerts import strap_open

__all__ = ["world_fixture"]


async def keys(client: object, **params: object) -> set[str]:
    r = await client.get("/api/v1/alerts", params=params)  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    return {a["alert_key"] for a in r.json()}


async def test_alerts_by_order_and_person_within_the_districts(w: World) -> None:
    zone = await zone_breach(w)
    strap = await strap_open(w, "bracelet-len", T0 + 100)
    op = await w.login("operator")
    assert await keys(op, order="okt-") == {zone}
    assert await keys(op, order="LEN") == {strap}
    assert await keys(op, person="PROT-len") == {strap}  # a part of the name, any case
    assert await keys(op, person="resp-okt") == {zone}
    assert await keys(op, person="nobody") == set()
    assert await keys(op, person="resp", priority="P1") == {
        k for k in (zone, strap) if k in await keys(op, priority="P1")
    }
    # A Leninsky operator finds nothing of Oktyabrsky by any filter.
    op_len = await w.login("operator-len")
    assert await keys(op_len, person="resp-okt") == set()
    assert await keys(op_len, order="OKT") == set()
    assert await keys(op_len, district="KG-GB-OKT") == set()
    # Resolved alerts are searched in the store the same way.
    path = f"/api/v1/alerts/{quote(strap, safe='')}"
    assert (await op.post(f"{path}/acknowledge")).status_code == 200
    r = await op.post(f"{path}/resolve", json={"outcome": "device_fault", "note": "strap fixed"})
    assert r.status_code == 200, r.text
    assert await keys(op, status="resolved", person="prot-len") == {strap}
    assert await keys(op, status="resolved", order="OKT") == set()
    too_long = await op.get("/api/v1/alerts", params={"person": "x" * 201})
    assert too_long.status_code == 422


async def test_orders_by_number_person_district_and_status(w: World) -> None:
    sup = await w.login("supervisor")

    async def ids(client: object, **params: object) -> list[str]:
        r = await client.get("/api/v1/orders", params=params)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text
        return sorted(o["id"] for o in r.json())

    assert await ids(sup) == ["order-len", "order-okt"]
    assert await ids(sup, number="okt") == ["order-okt"]
    assert await ids(sup, person="prot-len") == ["order-len"]
    assert await ids(sup, district="KG-GB-LEN") == ["order-len"]
    assert await ids(sup, status="active") == ["order-len", "order-okt"]
    assert await ids(sup, status=["ended", "revoked"]) == []
    assert await ids(sup, number="okt", person="resp-len") == []
    bad = await sup.get("/api/v1/orders", params={"status": "closed"})
    assert bad.status_code == 422
    sup_len = await w.login("supervisor-len")
    assert await ids(sup_len, number="OKT") == []
    assert await ids(sup_len, person="resp-okt") == []
    assert await ids(sup_len, district="KG-GB-OKT") == []


async def test_devices_by_id_kind_assignment_and_contact(w: World) -> None:
    await zone_breach(w)  # the Oktyabrsky bracelet sends fixes now
    sup = await w.login("supervisor")
    r = await sup.post(
        "/api/v1/devices", json={"device_id": "spare-app-1", "kind": "respondent_app"}
    )
    assert r.status_code == 201, r.text

    async def found(client: object, **params: object) -> dict[str, bool]:
        r = await client.get("/api/v1/devices", params=params)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text
        return {d["id"]: d["stale"] for d in r.json()}

    everything = await found(sup)
    assert everything == {
        "bracelet-okt": False,  # heard just now
        "victim-app-okt": True,  # never heard
        "bracelet-len": True,
        "spare-app-1": True,
    }
    assert set(await found(sup, q="OKT")) == {"bracelet-okt", "victim-app-okt"}
    assert set(await found(sup, kind="bracelet")) == {"bracelet-okt", "bracelet-len"}
    assert set(await found(sup, kind=["victim_app", "respondent_app"])) == {
        "victim-app-okt",
        "spare-app-1",
    }
    assert set(await found(sup, state="unassigned")) == {"spare-app-1"}
    assert set(await found(sup, contact="recent")) == {"bracelet-okt"}
    assert set(await found(sup, contact="never")) == {
        "victim-app-okt",
        "bracelet-len",
        "spare-app-1",
    }
    # Silent past the bracelet's no-signal threshold (600 s): stale.
    w.clock.t += 601
    assert (await found(sup, q="bracelet-okt")) == {"bracelet-okt": True}
    assert set(await found(sup, contact="stale", kind="bracelet")) == {
        "bracelet-okt",
        "bracelet-len",
    }
    assert (await sup.get("/api/v1/devices", params={"contact": "old"})).status_code == 422
    op_len = await w.login("operator-len")
    assert set(await found(op_len, q="okt")) == set()
