"""Her places and her position, kept from those who must not have them.

- A zone the supervisor did not disclose (by default her home, her work: every
  exclusion zone) never reaches the respondent's phone in any form: not in
  `/me`, not in an instruction (he is told to leave "the area").
- An administrator cannot enrol a respondent phone to read it.
- What her position can be derived from (her fix, the distance to her) is left
  out of alert timelines and the console's event stream unless the user may read
  her location and gives a reason; that read is audited.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from korgoo.api import sse
from korgoo.api.permissions import ROLE_PERMISSIONS, Capability, Role
from korgoo.store import app_records as records

from ..unit.engine.conftest import HOME, T0, east_of
from .api_world import VICTIM_POS, World, proximity_breach, world_fixture
from .test_api_events import events, first
from .test_api_events import served as served_console
from .test_apps_world import enrol, fix, logged_in, running, send

__all__ = ["world_fixture"]

HOME_NAME = "Home of the protected person"  # the zone of api_world's order-okt
WAIT_S = 10.0


def home_coordinates() -> list[str]:
    return [f"{v:.{n}f}" for v in HOME for n in range(3, 8)]


def leaks_home(text: str) -> bool:
    return HOME_NAME.lower() in text.lower() or any(c in text for c in home_coordinates())


def without_location_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operators, in this test, may not read the protected person's location."""
    granted = ROLE_PERMISSIONS[Role.OPERATOR] - {Capability.LOCATIONS_PROTECTED_READ}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OPERATOR, granted)


def path(key: str, tail: str = "") -> str:
    return f"/api/v1/alerts/{key}{tail}"


async def location_reads(w: World) -> list[dict[str, Any]]:
    async with logged_in(w, "supervisor") as sup:
        r = await sup.get("/api/v1/audit", params={"action": "location.read"})
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


# -- the respondent's phone ------------------------------------------------------------


async def test_me_carries_no_undisclosed_zone(w: World) -> None:
    phone = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    async with w.client() as c:
        me = await c.get("/app/api/v1/me", headers=phone.auth)
    assert me.status_code == 200, me.text
    assert me.json()["conditions"]["zones"] == []
    assert not leaks_home(me.text), me.text
    assert '"home"' not in me.text  # not even the zone's id


async def test_a_zone_the_supervisor_discloses_is_shown_to_him(w: World) -> None:
    phone = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    async with logged_in(w, "supervisor") as sup:
        zones = (await sup.get("/api/v1/orders/order-okt/zones")).json()["features"]
        assert [z["properties"]["disclosed"] for z in zones] == [False]  # her home: hidden
        zones[0]["properties"]["disclosed"] = True
        r = await sup.post(
            "/api/v1/orders/order-okt/variations",
            json={"changes": {"zones": zones}, "reason": "the court order names the address"},
        )
        assert r.status_code in (200, 201), r.text
        again = (await sup.get("/api/v1/orders/order-okt/zones")).json()["features"]
        assert [z["properties"]["disclosed"] for z in again] == [True]
    w.clock.t += 1
    async with w.client() as c:
        me = (await c.get("/app/api/v1/me", headers=phone.auth)).json()
    assert [z["name"] for z in me["conditions"]["zones"]] == [HOME_NAME]


async def test_leaving_an_undisclosed_zone_is_leaving_the_area(w: World) -> None:
    phone = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    far = east_of(HOME, -500)  # 500 m in 10 s: a car's pace, not a jump set aside as spoofing
    async with running(w), w.client() as c:
        t = T0 + 10
        for i, pos in enumerate((far, far, HOME, HOME, HOME, HOME)):
            r = await send(w, c, phone, fix(i, t, pos))
            assert r.status_code == 200, r.text
            t += 10

        async def instructions() -> list[records.AppMessage]:
            while True:
                found = [
                    m
                    for m in records.last_unacknowledged(w.pipeline.db, phone.device_id)
                    if m.event == "instruction"
                ]
                if found:
                    return found
                await asyncio.sleep(0.05)

        sent = await asyncio.wait_for(instructions(), WAIT_S)
    payloads = [m.payload for m in sent]
    assert [p["code"] for p in payloads] == ["leave_area"], payloads
    assert all(set(p) == {"id", "code", "at"} for p in payloads), payloads
    assert not leaks_home(json.dumps(payloads))


async def test_an_administrator_cannot_enrol_a_respondent_phone(w: World) -> None:
    async with logged_in(w, "admin") as admin:
        for person, kind in (("resp-okt", "respondent_app"), ("prot-okt", "victim_app")):
            r = await admin.post(
                "/api/v1/orders/order-okt/enrolments", json={"person_id": person, "kind": kind}
            )
            assert r.status_code == 403, r.text


# -- the console: her position only with a reason --------------------------------------


async def test_timeline_has_no_distance_without_a_reason(w: World) -> None:
    key = await proximity_breach(w)
    async with logged_in(w, "operator") as op:
        timeline = (await op.get(path(key, "/timeline"))).json()
        detail = (await op.get(path(key))).json()
        queue = (await op.get("/api/v1/alerts")).json()
    texts = [json.dumps(timeline), json.dumps(detail), json.dumps(queue)]
    for text in texts:
        assert "distance_m" not in text and "protected_fix" not in text, text
        assert "protected_radius_m" not in text and "time_to_breach_s" not in text, text
    # What every reader keeps: the rule, the confidence and his position.
    assert detail["rule"] == "proximity.breach" and detail["confidence"]
    assert detail["evidence"]["respondent_fix"]["acc"] == 10.0
    assert timeline[0]["details"]["evidence"]["respondent_fix"]["acc"] == 10.0


async def test_without_the_capability_a_reason_shows_nothing(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await proximity_breach(w)
    without_location_read(monkeypatch)
    reason = "curious"
    async with logged_in(w, "operator") as op:
        detail = await op.get(path(key), params={"reason": reason})
        timeline = await op.get(path(key, "/timeline"), params={"reason": reason})
    assert detail.status_code == 200 and detail.json()["protected_location_withheld"] is True
    for r in (detail, timeline):
        assert "distance_m" not in r.text and "protected_fix" not in r.text, r.text
    assert await location_reads(w) == []


async def test_timeline_with_the_capability_and_a_reason_is_served_and_audited(w: World) -> None:
    key = await proximity_breach(w)
    reason = "police sent to the protected person"
    async with logged_in(w, "operator") as op:
        r = await op.get(path(key, "/timeline"), params={"reason": reason})
    assert r.status_code == 200, r.text
    evidence = r.json()[0]["details"]["evidence"]
    assert evidence["distance_m"] > 0
    assert evidence["protected_fix"]["lat"] == pytest.approx(VICTIM_POS[0])
    reads = await location_reads(w)
    assert [(e["actor"], e["subject"], e["details"]["reason"]) for e in reads] == [
        ("operator", f"alert:{key}", reason)
    ]


async def stream_alert(w: World, base: str, params: dict[str, str]) -> dict[str, Any]:
    """The first `alert` frame a logged-in operator's stream carries for a
    proximity breach raised after the stream opened."""
    op = await w.login("operator", httpx.AsyncClient(base_url=base))
    async with op.stream("GET", "/api/v1/events/stream", params=params) as r:
        assert r.status_code == 200
        frames = events(r)
        assert await first(frames, "comment") == "keepalive"
        await proximity_breach(w)
        while True:
            alert: dict[str, Any] = json.loads(await first(frames, "alert"))
            if alert["rule"] == "proximity.breach":
                return alert


async def test_event_stream_has_no_distance_without_a_reason(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_S", 0.3)
    async with served_console(w) as base:
        alert = await stream_alert(w, base, {})
    assert "distance_m" not in alert["evidence"] and "protected_fix" not in alert["evidence"]
    assert alert["evidence"]["respondent_fix"]["acc"] == 10.0
    assert await location_reads(w) == []


async def test_event_stream_without_the_capability_ignores_a_reason(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_S", 0.3)
    without_location_read(monkeypatch)
    async with served_console(w) as base:
        alert = await stream_alert(w, base, {"reason": "curious"})
    assert "distance_m" not in alert["evidence"] and "protected_fix" not in alert["evidence"]
    assert await location_reads(w) == []


async def test_event_stream_with_a_reason_is_served_and_audited(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_S", 0.3)
    reason = "watching an approach on the shift"
    async with served_console(w) as base:
        alert = await stream_alert(w, base, {"reason": reason})
    assert alert["evidence"]["distance_m"] > 0
    assert alert["evidence"]["protected_fix"]["lat"] == pytest.approx(VICTIM_POS[0])
    reads = await location_reads(w)
    assert [(e["actor"], e["subject"], e["details"]["reason"]) for e in reads] == [
        ("operator", "events:stream", reason)
    ]
