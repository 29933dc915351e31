"""The server-sent event stream on a real uvicorn server: an alert raised by the
engine reaches the console at once, only for users whose districts include it;
respondent positions arrive as `live` events; heartbeats keep the connection;
the bus subscription ends with the connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from korgoo.api import sse
from korgoo.domain.events import Signal, SignalKind
from korgoo.domain.ingest import Message
from tests.net import serving

from ..unit.engine.conftest import T0
from .api_world import World, world_fixture, zone_breach

__all__ = ["world_fixture"]
WAIT_S = 10.0


def served(w: World) -> contextlib.AbstractAsyncContextManager[str]:
    return serving(w.app)


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of each frame; comments come as ("comment", text)."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield event, data
            event, data = "message", ""


async def first(stream: AsyncIterator[tuple[str, str]], kind: str) -> str:
    async def find() -> str:
        async for event, data in stream:
            if event == kind:
                return data
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), WAIT_S)


async def test_alerts_and_positions_are_streamed_to_those_who_may_see_them(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_S", 0.3)
    monkeypatch.setattr(sse, "LIVE_EVERY_S", 0.2)
    baseline = len(w.pipeline.bus._subscribers)
    async with served(w) as base:
        op = await w.login("operator", httpx.AsyncClient(base_url=base))
        op_len = await w.login("operator-len", httpx.AsyncClient(base_url=base))
        async with (
            op.stream("GET", "/api/v1/events/stream") as r,
            op_len.stream("GET", "/api/v1/events/stream") as r_len,
        ):
            assert r.status_code == 200 and r.headers["content-type"].startswith(
                "text/event-stream"
            )
            stream, stream_len = events(r), events(r_len)
            assert await first(stream, "comment") == "keepalive"
            assert len(w.pipeline.bus._subscribers) == baseline + 2

            key = await zone_breach(w)
            alert = json.loads(await first(stream, "alert"))
            assert alert["alert_key"] == key and alert["status"] == "unacknowledged"
            live = json.loads(await first(stream, "live"))
            assert any(p["order_id"] == "order-okt" and p["lat"] is not None for p in live)

            # An action is streamed too.
            w.clock.t += 5
            ack = await op.post(f"/api/v1/alerts/{key}/acknowledge")
            assert ack.status_code == 200
            while (changed := json.loads(await first(stream, "alert")))["status"] != "acknowledged":
                assert changed["alert_key"] == key
            assert changed["acked_by"] == "operator"

            # The Leninsky operator gets the Leninsky alert, and never the Oktyabrsky one.
            strap = Signal("bracelet-len", T0 + 500, T0 + 500, SignalKind.STRAP_OPEN)
            w.clock.t = T0 + 500
            await w.pipeline.submit([Message(event=strap, msg_key="strap-len")])
            seen = json.loads(await first(stream_len, "alert"))
            assert seen["rule"] == "device.strap" and seen["district"] == "KG-GB-LEN"
        await op.aclose()
        await op_len.aclose()

        # Disconnected: the subscriptions end.
        for _ in range(200):
            if len(w.pipeline.bus._subscribers) == baseline:
                break
            await asyncio.sleep(0.02)
        assert len(w.pipeline.bus._subscribers) == baseline

        anonymous = httpx.AsyncClient(base_url=base)
        assert (await anonymous.get("/api/v1/events/stream")).status_code == 401
        admin = await w.login("admin", httpx.AsyncClient(base_url=base))
        assert (await admin.get("/api/v1/events/stream")).status_code == 403
        await anonymous.aclose()
        await admin.aclose()


async def test_logging_out_ends_the_stream_of_every_tab_at_once(w: World) -> None:
    async with served(w) as base:
        op = await w.login("operator", httpx.AsyncClient(base_url=base))
        other_tab = httpx.AsyncClient(base_url=base, cookies=op.cookies)
        async with (
            op.stream("GET", "/api/v1/events/stream") as r,
            other_tab.stream("GET", "/api/v1/events/stream") as r_other,
        ):
            assert r.status_code == 200 and r_other.status_code == 200
            started = asyncio.get_running_loop().time()
            out = await op.delete("/api/v1/session")
            assert out.status_code == 204

            async def drained(response: httpx.Response) -> None:
                async for _ in response.aiter_lines():
                    pass

            # Both streams end well before a heartbeat or a session check would.
            await asyncio.wait_for(asyncio.gather(drained(r), drained(r_other)), 3.0)
            assert asyncio.get_running_loop().time() - started < 3.0
        # The browser's reconnection is refused, which sends the page to the login.
        assert (await other_tab.get("/api/v1/events/stream")).status_code == 401
        await op.aclose()
        await other_tab.aclose()


async def test_a_stream_ends_when_its_session_expires(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sse, "SESSION_CHECK_S", 0.2)
    async with served(w) as base:
        op = await w.login("operator", httpx.AsyncClient(base_url=base))
        async with op.stream("GET", "/api/v1/events/stream") as r:
            assert r.status_code == 200
            w.auth_clock.t += 365 * 86400.0  # past any session's lifetime

            async def drained() -> None:
                async for _ in r.aiter_lines():
                    pass

            await asyncio.wait_for(drained(), 3.0)
        await op.aclose()
