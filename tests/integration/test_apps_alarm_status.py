"""The protected person's app is told only what has happened to her alarm:
received once stored, handled once acknowledged, the police notified only once
a delivery to the police was recorded (an operator's stage is not one)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from korgoo.alerts.book import AlertBook
from korgoo.alerts.model import Transition

from ..unit.engine.conftest import T0
from .api_world import World, proximity_breach, world_fixture
from .test_apps_world import Phone, Stream, enrol, logged_in, send, served, signal

__all__ = ["world_fixture"]


async def status_of(c: httpx.AsyncClient, phone: Phone) -> list[dict[str, Any]]:
    r = await c.get("/app/api/v1/status", headers=phone.auth)
    assert r.status_code == 200, r.text
    alarms: list[dict[str, Any]] = r.json()["alarms"]
    return alarms


async def test_her_sos_status_follows_the_alert(w: World) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with (
        served(w) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
        Stream(c, victim) as hers,
    ):
        assert await status_of(c, victim) == []
        await send(w, c, victim, signal("sos-1", T0 + 30, "sos"))
        (answer,) = await hers.wait_for("panic_received")
        (panic,) = [a for a in w.pipeline.open_alerts() if a.rule == "panic"]
        assert await status_of(c, victim) == [{"about": answer["id"], "status": "received"}]

        async with logged_in(w, "operator") as op:
            r = await op.post(f"/api/v1/alerts/{panic.alert_key}/acknowledge")
            assert r.status_code == 200, r.text
            (told,) = await hers.wait_for("status")
            assert told == {"about": answer["id"], "status": "handling"}
            # The operator's own "police notified" stage is no recorded delivery.
            r = await op.post(
                f"/api/v1/alerts/{panic.alert_key}/stages", json={"stage": "police_notified"}
            )
            assert r.status_code == 200, r.text
        assert await status_of(c, victim) == [{"about": answer["id"], "status": "handling"}]
        assert len(hers.of("status")) == 1

        def delivered(book: AlertBook) -> list[Transition]:
            return book.record_police_delivery(panic.alert_key, w.clock.t, "agencies", "102")

        await w.pipeline.act(delivered)
        told = (await hers.wait_for("status", count=2))[-1]
        assert told == {"about": answer["id"], "status": "police_notified"}
        assert await status_of(c, victim) == [{"about": answer["id"], "status": "police_notified"}]


async def test_a_respondent_phone_has_no_alarm_status(w: World) -> None:
    respondent = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    async with served(w) as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
        r = await c.get("/app/api/v1/status", headers=respondent.auth)
        assert r.status_code == 404


async def test_her_breach_warning_says_the_centre_has_it_and_no_more(w: World) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with (
        served(w) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
        Stream(c, victim) as hers,
    ):
        key = await proximity_breach(w)

        async def alarm() -> dict[str, Any]:
            while True:
                found = [f for f in hers.of("warning") if f["level"] == "alert"]
                if found:
                    return found[0]
                await asyncio.sleep(0.02)

        warning = await asyncio.wait_for(alarm(), 10)
        assert await status_of(c, victim) == [{"about": warning["id"], "status": "received"}]
        async with logged_in(w, "operator") as op:
            r = await op.post(f"/api/v1/alerts/{key}/acknowledge")
            assert r.status_code == 200, r.text
        (told,) = await hers.wait_for("status")
        assert told == {"about": warning["id"], "status": "handling"}
