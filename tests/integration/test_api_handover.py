"""The shift handover: open alerts with their last action, orders to watch,
devices to fix and the notes for the next shift, each within the user's districts."""

from __future__ import annotations

from urllib.parse import quote

from ..unit.engine.conftest import T0
from .api_world import World, world_fixture, zone_breach
from .test_api_alerts import strap_open

__all__ = ["world_fixture"]


async def handover(client: object) -> dict[str, object]:
    r = await client.get("/api/v1/handover")  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def keys_of(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def test_open_alerts_carry_their_last_action_within_the_districts(w: World) -> None:
    zone = await zone_breach(w)
    strap = await strap_open(w, "bracelet-len", T0 + 100)
    op = await w.login("operator")
    seen = await handover(op)
    by_key = {a["alert_key"]: a for a in seen["alerts"]}  # type: ignore[attr-defined]
    assert set(by_key) == {zone, strap}
    assert by_key[zone]["last_action"] is None  # nobody has acted yet
    assert by_key[zone]["order_number"] == "OKT-1"

    path = f"/api/v1/alerts/{quote(zone, safe='')}"
    assert (await op.post(f"{path}/acknowledge")).status_code == 200
    call = {"party": "protected", "outcome": "no_answer", "note": "call again at 22:00"}
    assert (await op.post(f"{path}/calls", json=call)).status_code == 200
    last = {a["alert_key"]: a for a in (await handover(op))["alerts"]}[zone]["last_action"]  # type: ignore[index]
    assert last["kind"] == "call_logged" and last["actor"] == "operator"
    assert last["details"] == {
        "party": "protected",
        "outcome": "no_answer",
        "note": "call again at 22:00",
    }

    # Oktyabrsky's breach is an order to watch; a Leninsky operator sees none of it.
    orders = {o["order_id"]: o["state"] for o in seen["orders"]}  # type: ignore[attr-defined]
    assert orders.get("order-okt") == "breach"
    op_len = await w.login("operator-len")
    theirs = await handover(op_len)
    assert [a["alert_key"] for a in theirs["alerts"]] == [strap]  # type: ignore[attr-defined]
    assert all(o["district"] == "KG-GB-LEN" for o in theirs["orders"])  # type: ignore[attr-defined]
    assert all(d["district"] == "KG-GB-LEN" for d in theirs["devices"])  # type: ignore[attr-defined]
    # Nothing in it says where anyone is.
    assert not keys_of(seen) & {"lat", "lon", "distance_m", "evidence", "position"}


async def test_devices_to_fix_are_the_silent_and_the_never_heard(w: World) -> None:
    await zone_breach(w)  # the Oktyabrsky bracelet reports
    op = await w.login("operator")
    problems = {d["device_id"]: d["problem"] for d in (await handover(op))["devices"]}  # type: ignore[attr-defined]
    assert problems.get("victim-app-okt") == "never_heard"
    assert "bracelet-okt" not in problems  # heard a moment ago, battery 80 %
    w.clock.t += 6 * 3600  # a long silence: past every kind's no-signal threshold
    problems = {d["device_id"]: d["problem"] for d in (await handover(op))["devices"]}  # type: ignore[attr-defined]
    assert problems.get("bracelet-okt") == "silent"


async def test_a_note_reaches_the_next_shift_of_its_district_only(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.post(
        "/api/v1/handover/notes", json={"text": "  Order OKT-1: call the sister first.  "}
    )
    assert r.status_code == 201, r.text
    assert (
        r.json()["text"] == "Order OKT-1: call the sister first." and r.json()["district"] is None
    )
    op_len = await w.login("operator-len")
    # A district operator's note stays in the district.
    r = await op_len.post("/api/v1/handover/notes", json={"text": "Bracelet LEN-1 to be swapped"})
    assert r.status_code == 201 and r.json()["district"] == "KG-GB-LEN"
    refused = await op_len.post(
        "/api/v1/handover/notes", json={"text": "x", "district": "KG-GB-OKT"}
    )
    assert refused.status_code == 403
    too_long = await sup.post("/api/v1/handover/notes", json={"text": "x" * 2001})
    assert too_long.status_code == 422
    blank = await sup.post("/api/v1/handover/notes", json={"text": "   "})
    assert blank.status_code == 422

    op = await w.login("operator")
    texts = [n["text"] for n in (await handover(op))["notes"]]  # type: ignore[attr-defined]
    assert texts == ["Bracelet LEN-1 to be swapped", "Order OKT-1: call the sister first."]
    # The audit log names who left each note.
    audit = (await sup.get("/api/v1/audit", params={"action": "handover.note"})).json()
    assert sorted(e["actor"] for e in audit) == ["operator-len", "supervisor"]
    # A day later the notes have been handed over and are gone from the view.
    w.clock.t += 25 * 3600
    assert (await handover(op))["notes"] == []


async def test_statistics_and_administrators_get_no_handover(w: World) -> None:
    for user in ("statistics", "admin"):
        client = await w.login(user)
        assert (await client.get("/api/v1/handover")).status_code == 403
        assert (await client.post("/api/v1/handover/notes", json={"text": "x"})).status_code == 403
