"""Helpers for the apps' tests (no tests here): the API world of `api_world`
(real SQLite file, real Pipeline, the FastAPI app) with the apps' background
tasks running, phones enrolled through one-time codes, and a real uvicorn for
the server-sent event streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from korgoo.apps.service import Apps
from tests.net import serving

from .api_world import World

WAIT_S = 10.0


@dataclass
class Phone:
    device_id: str
    secret: str
    kind: str
    person_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Device {self.device_id}:{self.secret}"}


def apps_of(w: World) -> Apps:
    apps: Apps = w.app.state.apps  # type: ignore[attr-defined]
    return apps


@contextlib.asynccontextmanager
async def running(w: World) -> AsyncIterator[Apps]:
    """The app's lifespan: notifier and check-in scheduler started, then stopped."""
    async with w.app.router.lifespan_context(w.app):  # type: ignore[attr-defined]
        yield apps_of(w)


@contextlib.asynccontextmanager
async def logged_in(w: World, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with w.client() as c:
        yield await w.login(username, c)


async def issue_code(w: World, order_id: str, person_id: str, kind: str) -> dict[str, Any]:
    async with logged_in(w, "supervisor") as c:
        r = await c.post(
            f"/api/v1/orders/{order_id}/enrolments", json={"person_id": person_id, "kind": kind}
        )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def enrol(w: World, order_id: str, person_id: str, kind: str) -> Phone:
    code = (await issue_code(w, order_id, person_id, kind))["code"]
    async with w.client() as c:
        r = await c.post("/app/api/v1/enrol", json={"code": code, "install_id": "test"})
    assert r.status_code == 201, r.text
    body = r.json()
    return Phone(body["device_id"], body["secret"], body["kind"], body["person_id"])


def fix(
    i: int, t: float, pos: tuple[float, float], acc: float = 10.0, speed: float = 1.5
) -> dict[str, Any]:
    return {
        "id": i,
        "type": "fix",
        "t": t,
        "lat": pos[0],
        "lon": pos[1],
        "acc": acc,
        "speed": speed,
    }


def signal(i: int | str, t: float, kind: str) -> dict[str, Any]:
    return {"id": i, "type": "signal", "t": t, "kind": kind}


async def send(
    w: World, client: httpx.AsyncClient, phone: Phone, *messages: dict[str, Any]
) -> httpx.Response:
    """POST a batch from the phone, with the engine's clock at its newest device time."""
    w.clock.t = max([w.clock.t, *(float(m["t"]) for m in messages)])
    r = await client.post(
        "/app/api/v1/messages", json={"messages": list(messages)}, headers=phone.auth
    )
    await w.settled()
    return r


def served(w: World) -> contextlib.AbstractAsyncContextManager[str]:
    """The app on a real uvicorn server, lifespan on (the apps' tasks run)."""
    return serving(w.app, lifespan="on")


class Stream:
    """A device's SSE stream read in the background into a list of frames."""

    def __init__(self, client: httpx.AsyncClient, phone: Phone) -> None:
        self.client = client
        self.phone = phone
        self.frames: list[tuple[str, dict[str, Any]]] = []
        self.raw: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self.opened = asyncio.Event()

    async def _read(self) -> None:
        async with self.client.stream("GET", "/app/api/v1/stream", headers=self.phone.auth) as r:
            assert r.status_code == 200, await r.aread()
            self.opened.set()
            event, data = "message", ""
            async for line in r.aiter_lines():
                self.raw.append(line)
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    self.frames.append((event, json.loads(data)))
                    event, data = "message", ""

    async def __aenter__(self) -> Stream:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.opened.wait(), WAIT_S)
        await asyncio.sleep(0.05)  # the stream is registered with the hub
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self._task

    def of(self, event: str) -> list[dict[str, Any]]:
        return [data for e, data in self.frames if e == event]

    async def wait_for(
        self, event: str, count: int = 1, timeout: float = WAIT_S
    ) -> list[dict[str, Any]]:
        async def until() -> None:
            while len(self.of(event)) < count:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(until(), timeout)
        return self.of(event)
