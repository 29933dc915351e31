"""OsmAnd and native HTTP gateways over real sockets (uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from korgoo.api.routers.ingest import INGEST_PATH, native_router
from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.gateways import native
from korgoo.gateways.http import osmand_app
from korgoo.settings import Settings
from tests.conformance import vectors
from tests.integration.recording_ingest import RecordingIngest

VECTORS = vectors("osmand")
PHONE = "123456789012345"  # the id of the conformance trip vectors
APP = "app-7"
SECRET = "s3cret-7"
NOW = 1787400000.0  # 2026-08-22: later than every vector's device time

Serve = Callable[[ASGIApp], Awaitable[tuple[str, uvicorn.Server]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: ASGIApp) -> tuple[str, uvicorn.Server]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        running.append((server, task))
        return f"http://127.0.0.1:{sock.getsockname()[1]}", server

    yield start
    for server, task in running:
        server.should_exit = True
        await task


@pytest.fixture
def ingest() -> RecordingIngest:
    trackers = {
        ident: DeviceInfo(ident, DeviceKind.BRACELET, protocol="osmand")
        for ident in (PHONE, "535341")
    }
    return RecordingIngest({APP: SECRET}, trackers)


@pytest.fixture
async def osmand(serve: Serve, ingest: RecordingIngest) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(max_http_body_bytes=2048)
    url, _ = await serve(osmand_app(ingest, settings, clock=lambda: NOW))
    async with httpx.AsyncClient(base_url=url) as client:
        yield client


@pytest.fixture
async def api(serve: Serve, ingest: RecordingIngest) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(native_router(ingest, clock=lambda: NOW))
    url, _ = await serve(app)
    async with httpx.AsyncClient(base_url=url) as client:
        yield client


def _trip_queries() -> list[str]:
    return [e["message"] for e in VECTORS if e["origin"]["kind"] == "tool-script-data-rendered"]


# --- OsmAnd ---------------------------------------------------------------------------------


async def test_trip_is_stored_over_one_keep_alive_connection(
    serve: Serve, ingest: RecordingIngest
) -> None:
    url, server = await serve(osmand_app(ingest, Settings(), clock=lambda: NOW))
    async with httpx.AsyncClient(base_url=url) as client:
        for query in _trip_queries():
            response = await client.post(query)
            assert response.status_code == 200 and response.content == b""
        assert len(server.server_state.connections) == 1
    fixes = ingest.events()
    assert len(fixes) == len(_trip_queries()) == 12
    assert all(isinstance(f, Fix) and f.device_id == PHONE for f in fixes)
    assert server.server_state.total_requests == 12


async def test_answer_only_after_submit_returned(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    ingest.gate = asyncio.Event()
    request = asyncio.create_task(osmand.get(_trip_queries()[0]))
    await asyncio.sleep(0.3)
    assert len(ingest.submits) == 1 and not request.done()
    ingest.gate.set()
    response = await request
    assert response.status_code == 200 and ingest.returned == 1 and len(ingest.stored) == 1


async def test_store_unavailable_then_resend_is_stored_once(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    query = "/?id=535341&timestamp=1467853139&lat=13.879&lon=100.575&speed=18.79&alarm=sos"
    ingest.unavailable = True
    refused = await osmand.get(query)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
    assert ingest.stored == {}
    ingest.unavailable = False
    assert (await osmand.get(query)).status_code == 200
    assert (await osmand.get(query)).status_code == 200  # the phone resends: no double
    kinds = [getattr(e, "kind", "fix") for e in ingest.events()]
    assert kinds == ["fix", SignalKind.SOS]
    assert len(ingest.submits) == 3


async def test_unknown_device_is_recorded_and_refused(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    response = await osmand.get("/track?id=999&lat=42.8&lon=74.6")
    assert response.status_code == 400 and response.text == "unknown device"
    ((protocol, ident, remote, raw),) = ingest.unknown
    assert (protocol, ident) == ("osmand", "999") and remote.startswith("127.0.0.1:")
    assert raw.startswith(b"GET /track?id=999&lat=42.8")
    assert ingest.submits == []


@pytest.mark.parametrize(
    ("query", "reason"),
    [("/?lat=60.0&lon=30.0", "missing id"), (f"/?id={PHONE}&lat=north&lon=30", "lat")],
)
async def test_malformed_request_is_400_with_reason(
    osmand: httpx.AsyncClient, ingest: RecordingIngest, query: str, reason: str
) -> None:
    response = await osmand.get(query)
    assert response.status_code == 400 and reason in response.text
    assert ingest.submits == [] and ingest.unknown == []


async def test_oversize_body_is_413(osmand: httpx.AsyncClient, ingest: RecordingIngest) -> None:
    body = b"id=" + PHONE.encode() + b"&lat=1&lon=1&pad=" + b"x" * 4096
    response = await osmand.post("/", content=body)
    assert response.status_code == 413 and ingest.submits == []


async def test_form_json_and_empty_json_body(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    form = {"id": PHONE, "lat": "42.87", "lon": "74.59", "timestamp": "1787399000", "batt": "55"}
    assert (await osmand.post("/", data=form)).status_code == 200
    transistorsoft = next(e["message"] for e in VECTORS if e["encoding"] == "json")
    body = transistorsoft.replace("48241179", PHONE).encode()
    headers = {"Content-Type": "application/json"}
    assert (await osmand.post("/", content=body, headers=headers)).status_code == 200
    # Header says JSON, body is empty, data in the query (issue-log vector 20).
    query = f"/?id={PHONE}&timestamp=1621003694&lat=12.98&lon=77.55&attributes={{}}"
    assert (await osmand.get(query, headers=headers)).status_code == 200
    assert [e.lat for e in ingest.events()] == [42.87, 37.4219983, 12.98]  # type: ignore[attr-defined]


async def test_flat_array_stores_good_items_and_names_the_bad(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    items = [
        {"id": PHONE, "lat": 42.87, "lon": 74.59, "timestamp": 1787399000},
        {"id": PHONE, "lat": 42.88},
        {"id": PHONE, "timestamp": 1787399060, "batt": 80},
    ]
    response = await osmand.post("/", json=items)
    assert response.status_code == 400 and "lat and lon must come together" in response.text
    assert [type(e) for e in ingest.events()] == [Fix, Signal]
    # The phone resends the whole array: the stored two are duplicates, not doubles.
    assert (await osmand.post("/", json=[items[0], items[2]])).status_code == 200
    assert len(ingest.stored) == 2


# --- native API -----------------------------------------------------------------------------


def _auth(device: str = APP, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Device {device}:{secret}"}


def _fix(client_id: Any, **extra: Any) -> dict[str, Any]:
    return {"id": client_id, "type": "fix", "t": NOW - 30, "lat": 42.87, "lon": 74.59,
            "acc": 7} | extra  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [{}, _auth(secret="wrong"), _auth(device="nobody"), {"Authorization": "Bearer x"}],
)
async def test_native_refuses_without_hint(
    api: httpx.AsyncClient, ingest: RecordingIngest, headers: dict[str, str]
) -> None:
    response = await api.post(INGEST_PATH, json={"messages": [_fix(1)]}, headers=headers)
    assert response.status_code == 401 and response.json() == {"detail": "unauthorized"}
    assert ingest.submits == []


async def test_native_batch_rejects_bad_message_alone_and_retry_is_idempotent(
    api: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    sos = {"id": "s1", "type": "signal", "t": "2026-08-22T11:59:30+06:00", "kind": "sos"}
    batch = {"messages": [_fix(1), _fix(2, lat="north"), sos]}
    first = await api.post(INGEST_PATH, json=batch, headers=_auth())
    assert first.status_code == 200
    results = first.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (1, "accepted"), (2, "rejected"), ("s1", "accepted")]  # fmt: skip
    assert "$.lat" in results[1]["reason"]
    assert sorted(ingest.stored) == [f"{APP}/1", f"{APP}/s1"]
    retry = await api.post(INGEST_PATH, json=batch, headers=_auth())
    assert [r["status"] for r in retry.json()["results"]] == ["duplicate", "rejected", "duplicate"]
    assert len(ingest.stored) == 2


async def test_native_refuses_a_bare_check_in(
    api: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    check_in = {"id": "c1", "type": "signal", "t": NOW - 5, "kind": "check_in"}
    response = await api.post(INGEST_PATH, json={"messages": [check_in]}, headers=_auth())
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": "c1", "status": "rejected", "reason": native.CHECK_IN_REFUSED}
    ]
    assert ingest.submits == []


async def test_native_store_unavailable_is_503(
    api: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    ingest.unavailable = True
    response = await api.post(INGEST_PATH, json={"messages": [_fix(1)]}, headers=_auth())
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert ingest.stored == {}


async def test_native_oversize_and_malformed(
    api: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    too_many = {"messages": [_fix(i) for i in range(native.MAX_BATCH + 1)]}
    assert (await api.post(INGEST_PATH, json=too_many, headers=_auth())).status_code == 413
    huge = b'{"messages": [], "pad": "' + b"x" * native.MAX_BATCH_BYTES + b'"}'
    assert (await api.post(INGEST_PATH, content=huge, headers=_auth())).status_code == 413
    broken = await api.post(INGEST_PATH, content=b"{not json", headers=_auth())
    assert broken.status_code == 400 and "not a message batch" in broken.json()["detail"]
    assert ingest.submits == []


async def test_native_schema_is_served(api: httpx.AsyncClient) -> None:
    response = await api.get(INGEST_PATH + "/schema")
    assert response.status_code == 200
    assert msgspec.json.decode(response.content) == native.schema()


class SlowSecrets(RecordingIngest):
    """A first secret check as slow as argon2's, blocking its thread."""

    def authenticate(self, device_id: str, secret: str) -> bool:
        time.sleep(0.4)
        return super().authenticate(device_id, secret)


async def test_native_secret_check_does_not_stall_the_loop(serve: Serve) -> None:
    ingest = SlowSecrets({APP: SECRET})
    app = FastAPI()
    app.include_router(native_router(ingest, clock=lambda: NOW))
    url, _ = await serve(app)
    async with httpx.AsyncClient(base_url=url) as client:
        request = asyncio.ensure_future(
            client.post(INGEST_PATH, json={"messages": [_fix(1)]}, headers=_auth())
        )
        worst = 0.0
        while not request.done():
            started = time.monotonic()
            await asyncio.sleep(0.01)
            worst = max(worst, time.monotonic() - started)
        assert (await request).status_code == 200
    assert worst < 0.2
