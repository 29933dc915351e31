"""Hostile input over real sockets: every gateway answers with a reason (HTTP
400, a rejected message, a closed connection after the good frames' replies),
never a 500 or a lost acknowledgement; a client trickling its request head is
cut off."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client import REGISTRY
from starlette.types import ASGIApp

from korgoo.api.routers.ingest import INGEST_PATH, native_router
from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.gateways import watch
from korgoo.gateways.http import osmand_app
from korgoo.gateways.http_head import head_timeout_protocol
from korgoo.gateways.tcp import Decoded, limits_from, serve_framed
from korgoo.settings import Settings
from tests.integration.recording_ingest import RecordingIngest

PHONE = "123456789012345"
APP = "app-7"
SECRET = "s3cret-7"
WATCH_ID = "9031853319"
NOW = 1787400000.0
HUGE = "9" * 400
DEEP = b"[" * 100_000 + b"]" * 100_000
SETTINGS = Settings(max_http_body_bytes=512 * 1024, idle_timeout_s=5, max_frame_bytes=1024)

WATCH_SOS = (
    f"[3G*{WATCH_ID}*0050*AL,220322,055105,A,42.874621,N,74.569762,E,0,0,47,14,100,64,0,0,"
    "00010000,0,0]"
).encode()
# A position whose date has superscript twos (0xB2, read as Latin-1): str.isdigit()
# says yes, int() says no.
WATCH_BAD_DATE = (
    f"[3G*{WATCH_ID}*0050*UD,\xb2\xb20322,055105,A,42.874621,N,74.569762,E,0,0,47,14,100,64,"
    "0,0,00000000,0,0]"
).encode("latin-1")
WATCH_LK = f"[3G*{WATCH_ID}*0009*LK,0,0,53]".encode()
AL_REPLY = f"[3G*{WATCH_ID}*0002*AL]".encode()
LK_REPLY = f"[3G*{WATCH_ID}*0002*LK]".encode()


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def ingest() -> RecordingIngest:
    return RecordingIngest(
        {APP: SECRET}, {PHONE: DeviceInfo(PHONE, DeviceKind.BRACELET, protocol="osmand")}
    )


async def _serve(app: ASGIApp, **config: object) -> tuple[str, uvicorn.Server, asyncio.Task[None]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", **config))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, task


@pytest.fixture
async def osmand(ingest: RecordingIngest) -> AsyncIterator[httpx.AsyncClient]:
    url, server, task = await _serve(osmand_app(ingest, SETTINGS, clock=lambda: NOW))
    async with httpx.AsyncClient(base_url=url) as client:
        yield client
    server.should_exit = True
    await task


@pytest.fixture
async def api(ingest: RecordingIngest) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(native_router(ingest, clock=lambda: NOW))
    url, server, task = await _serve(app)
    async with httpx.AsyncClient(base_url=url) as client:
        yield client
    server.should_exit = True
    await task


# --- OsmAnd ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id":"' + PHONE.encode() + b'","lat":42.8,"lon":74.6,"x":"\xff\xfe"}', "not UTF-8"),
        (b'{"id":"' + PHONE.encode() + b'","lat":' + HUGE.encode() + b',"lon":74.6}', "lat"),
        (b'{"id":"1","lat":1,"lon":1,"timestamp":' + HUGE.encode() + b"}", "timestamp"),
        (DEEP, "nested too deep"),
    ],
    ids=["invalid-utf8", "huge-lat", "huge-timestamp", "deep"],
)
async def test_osmand_hostile_json_is_400_with_reason(
    osmand: httpx.AsyncClient, ingest: RecordingIngest, body: bytes, reason: str
) -> None:
    response = await osmand.post("/", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert reason in response.text
    assert ingest.stored == {}


async def test_osmand_hostile_query_is_400_with_reason(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    response = await osmand.get(f"/?id={PHONE}&lat={HUGE}&lon=74.6")
    assert response.status_code == 400 and "lat is not a finite number" in response.text
    response = await osmand.get(f"/?id={PHONE}&lat=42.8&lon=74.6&timestamp=%FF%FE")
    assert response.status_code == 400 and "unreadable timestamp" in response.text
    assert ingest.stored == {}


# --- native ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"messages":' + DEEP + b"}", "nested too deep"),
        (b'{"messages":' + HUGE.encode() + b"}", "not a message batch"),
    ],
    ids=["deep", "huge"],
)
async def test_native_unreadable_batch_is_400_with_reason(
    api: httpx.AsyncClient, ingest: RecordingIngest, body: bytes, reason: str
) -> None:
    headers = {"Authorization": f"Device {APP}:{SECRET}"}
    response = await api.post(INGEST_PATH, content=body, headers=headers)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert ingest.submits == []


async def test_native_hostile_message_is_rejected_by_name_beside_a_good_one(
    api: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    good = b'{"id":1,"type":"signal","t":1787399000,"kind":"heartbeat"}'
    huge = b'{"id":2,"type":"fix","t":1787399000,"lat":' + HUGE.encode() + b',"lon":1,"acc":5}'
    utf8 = b'{"id":3,"type":"signal","t":1787399000,"kind":"\xff"}'
    body = b'{"messages":[' + good + b"," + huge + b"," + utf8 + b"]}"
    headers = {"Authorization": f"Device {APP}:{SECRET}"}
    response = await api.post(INGEST_PATH, content=body, headers=headers)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert results[2]["reason"] == "not UTF-8" and results[1]["reason"]
    assert len(ingest.stored) == 1


# --- Watch ----------------------------------------------------------------------------------


@pytest.fixture
async def watch_port(ingest: RecordingIngest) -> AsyncIterator[int]:
    ingest.devices[WATCH_ID] = DeviceInfo(WATCH_ID, DeviceKind.BRACELET, protocol="watch")
    server = await watch.serve_watch(ingest, "127.0.0.1", 0, settings=SETTINGS)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_watch_superscript_date_does_not_cost_the_frame_before_it(
    ingest: RecordingIngest, watch_port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", watch_port)
    writer.write(WATCH_SOS + WATCH_BAD_DATE)  # one write: a good alarm, then the bad date
    await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(len(AL_REPLY)), 2) == AL_REPLY
    writer.write(WATCH_LK)  # the connection is still usable
    await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(len(LK_REPLY)), 2) == LK_REPLY
    events = ingest.events()
    fixes = [e for e in events if isinstance(e, Fix)]
    assert len(fixes) == 1 and fixes[0].t == 1647928265.0  # only the alarm's position
    signals = [e for e in events if isinstance(e, Signal)]
    assert SignalKind.SOS in {s.kind for s in signals}
    # The bad date is not a time: its frame says only that the watch is alive, now.
    (alive,) = [s for s in signals if s.kind is SignalKind.HEARTBEAT and s.value == 64]
    assert alive.t == alive.at
    writer.close()


class _FailingCodec(watch.WatchCodec):
    """A Watch codec with a decoder bug on frames that say BOOM."""

    def decode(self, frame: bytes, device: DeviceInfo | None, at: float) -> Decoded:
        if b"BOOM" in frame:
            raise ValueError("decoder bug")
        return super().decode(frame, device, at)


async def test_a_decoder_failure_acks_the_frames_before_it_then_closes(
    ingest: RecordingIngest,
) -> None:
    ingest.devices[WATCH_ID] = DeviceInfo(WATCH_ID, DeviceKind.BRACELET, protocol="watch")
    server = await serve_framed(
        ingest,
        "127.0.0.1",
        0,
        protocol="watch",
        codec_factory=_FailingCodec,
        limits=limits_from(SETTINGS),
    )
    port = server.sockets[0].getsockname()[1]
    before = metric("korgoo_gateway_rejected_total", protocol="watch", reason="decoder_error")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(WATCH_SOS + f"[3G*{WATCH_ID}*0004*BOOM]".encode() + WATCH_LK)
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 2) == AL_REPLY  # then closed
    assert any(isinstance(e, Fix) for e in ingest.events())
    after = metric("korgoo_gateway_rejected_total", protocol="watch", reason="decoder_error")
    assert after == before + 1
    writer.close()
    server.close()
    await server.wait_closed()


# --- slow request heads ---------------------------------------------------------------------


async def test_a_trickled_request_head_is_cut_off(ingest: RecordingIngest) -> None:
    protocol = head_timeout_protocol(0.5, "osmand")
    url, server, task = await _serve(osmand_app(ingest, SETTINGS, clock=lambda: NOW), http=protocol)
    port = int(url.rsplit(":", 1)[1])
    before = metric("korgoo_gateway_rejected_total", protocol="osmand", reason="slow_head")
    try:
        # A prompt request on its own connection is served as usual, twice (keep-alive).
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(2):
                response = await client.get(f"/?id={PHONE}&lat=42.8&lon=74.6&batt=50")
                assert response.status_code == 200
                await asyncio.sleep(0.3)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /?id=1 HTTP/1.1\r\nHost: x\r\n")
        started = asyncio.get_running_loop().time()
        closed_after = None
        for _ in range(40):  # one header line every 0.1 s, for up to 4 s
            await asyncio.sleep(0.1)
            if reader.at_eof() or writer.is_closing():
                break
            try:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
            except ConnectionError:
                break
            try:
                if await asyncio.wait_for(reader.read(1), 0.01) == b"":
                    break
            except TimeoutError:
                continue
        closed_after = asyncio.get_running_loop().time() - started
        assert closed_after < 1.5
        after = metric("korgoo_gateway_rejected_total", protocol="osmand", reason="slow_head")
        assert after == before + 1
        writer.close()
    finally:
        server.should_exit = True
        await task


# --- unknown-device floods ------------------------------------------------------------------


async def test_an_unknown_device_flood_is_refused_but_recorded_only_up_to_the_cap(
    osmand: httpx.AsyncClient, ingest: RecordingIngest
) -> None:
    for i in [*range(110), *range(5)]:
        response = await osmand.get(f"/?id=fake-{i}&lat=42.8&lon=74.6")
        assert response.status_code == 400 and response.text == "unknown device"
    recorded = [ident for _, ident, _, _ in ingest.unknown]
    assert recorded == [f"fake-{i}" for i in range(100)]  # once each, 100 per minute


async def test_unknown_watch_connections_are_recorded_once_per_ident(
    ingest: RecordingIngest, watch_port: int
) -> None:
    for _ in range(3):
        reader, writer = await asyncio.open_connection("127.0.0.1", watch_port)
        writer.write(b"[3G*0000000001*0009*LK,0,0,53]")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 2) == b""  # closed, nothing acknowledged
        writer.close()
    assert [ident for _, ident, _, _ in ingest.unknown] == ["0000000001"]
