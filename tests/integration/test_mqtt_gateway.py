"""MQTT gateway against a real Mosquitto (the session's broker, tests/conftest.py).

Every test uses its own topic prefix and client ids, so parallel runs do not clash,
and removes the gateway's persistent session afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiomqtt
import msgspec
import pytest

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.gateways.mqtt import device_of, run_mqtt
from korgoo.settings import Settings
from korgoo_lab.services import Broker
from tests.integration.recording_ingest import RecordingIngest

pytestmark = pytest.mark.services

APP = "app-9"
SECRET = "s3cret-9"
NOW = 1787400000.0


class Bench:
    """A unique prefix and gateway id per test, and a device client to publish with."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.settings = Settings(mqtt_host=broker.host, mqtt_port=broker.port)
        run = uuid.uuid4().hex[:12]
        self.prefix = f"korgoo-test/{run}/devices"
        self.gateway_id = f"korgoo-gw-{run}"
        self.results: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @asynccontextmanager
    async def gateway(self, ingest: RecordingIngest) -> AsyncIterator[asyncio.Event]:
        stop, subscribed = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            run_mqtt(
                ingest,
                self.settings,
                stop,
                client_id=self.gateway_id,
                prefix=self.prefix,
                retry_s=0.1,
                subscribed=subscribed,
                clock=lambda: NOW,
            )
        )
        await asyncio.wait_for(subscribed.wait(), 5)
        try:
            yield stop
        finally:
            stop.set()
            await asyncio.wait_for(task, 5)

    @asynccontextmanager
    async def device(self) -> AsyncIterator[Callable[[Any], Any]]:
        async with aiomqtt.Client(*self.broker, identifier=f"dev-{uuid.uuid4().hex}") as c:
            await c.subscribe(f"{self.prefix}/{APP}/results", qos=1)
            reader = asyncio.create_task(self._read(c))

            async def publish(payload: Any) -> None:
                await c.publish(f"{self.prefix}/{APP}/events", msgspec.json.encode(payload), qos=1)

            try:
                yield publish
            finally:
                reader.cancel()

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            await self.results.put(msgspec.json.decode(message.payload))

    async def next_results(self) -> list[tuple[Any, str]]:
        body = await asyncio.wait_for(self.results.get(), 5)
        return [(r["id"], r["status"]) for r in body["results"]]

    async def forget_session(self) -> None:
        async with aiomqtt.Client(*self.broker, identifier=self.gateway_id, clean_session=True):
            pass


@pytest.fixture
async def bench(mqtt_broker: Broker) -> AsyncIterator[Bench]:
    made = Bench(mqtt_broker)
    yield made
    await made.forget_session()


@pytest.fixture
def ingest() -> RecordingIngest:
    return RecordingIngest({APP: SECRET})


def _fix(client_id: Any, **extra: Any) -> dict[str, Any]:
    return {"id": client_id, "type": "fix", "t": NOW - 30, "lat": 42.87, "lon": 74.59,
            "acc": 9} | extra  # fmt: skip


def _sos(client_id: Any) -> dict[str, Any]:
    return {"id": client_id, "type": "signal", "t": NOW - 5, "kind": "sos"}


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def test_device_of_topic() -> None:
    assert device_of("korgoo/devices/app-1/events", "korgoo/devices") == "app-1"
    assert device_of("korgoo/devices/app-1/results", "korgoo/devices") is None
    assert device_of("other/devices/app-1/events", "korgoo/devices") is None


async def test_batch_and_single_message_results(bench: Bench, ingest: RecordingIngest) -> None:
    async with bench.gateway(ingest), bench.device() as publish:
        await publish({"secret": SECRET, "messages": [_fix(1), _fix(2, lat=123), _sos("s")]})
        assert await bench.next_results() == [(1, "accepted"), (2, "rejected"), ("s", "accepted")]
        await publish({"secret": SECRET} | _fix(3))
        assert await bench.next_results() == [(3, "accepted")]
        await publish({"secret": SECRET, "messages": [_fix(1), _sos("s")]})
        assert await bench.next_results() == [(1, "duplicate"), ("s", "duplicate")]
    events = ingest.events()
    assert [type(e) for e in events] == [Fix, Signal, Fix]
    assert all(e.device_id == APP and e.source == "mqtt" for e in events)  # type: ignore[attr-defined]
    assert isinstance(events[1], Signal) and events[1].kind is SignalKind.SOS


async def test_bare_check_in_is_refused(bench: Bench, ingest: RecordingIngest) -> None:
    check_in = {"id": "c", "type": "signal", "t": NOW - 5, "kind": "check_in"}
    async with bench.gateway(ingest), bench.device() as publish:
        await publish({"secret": SECRET, "messages": [check_in, _sos("s")]})
        assert await bench.next_results() == [("c", "rejected"), ("s", "accepted")]
    assert [getattr(e, "kind", None) for e in ingest.events()] == [SignalKind.SOS]


async def test_wrong_secret_is_refused(bench: Bench, ingest: RecordingIngest) -> None:
    async with bench.gateway(ingest), bench.device() as publish:
        await publish({"secret": "guess", "messages": [_fix(1), _fix(2)]})
        assert await bench.next_results() == [(1, "rejected"), (2, "rejected")]
        await publish(_fix(3))  # no secret at all
        assert await bench.next_results() == [(3, "rejected")]
    assert ingest.submits == []


async def test_store_down_no_ack_redelivered_to_next_gateway(
    bench: Bench, ingest: RecordingIngest
) -> None:
    ingest.unavailable = True
    async with bench.gateway(ingest), bench.device() as publish:
        await publish({"secret": SECRET, "messages": [_sos("s1")]})
        await _until(lambda: len(ingest.submits) >= 1)
    assert ingest.stored == {}
    # The gateway stopped without acknowledging; a fresh one with a healthy store
    # gets the message from the broker's session and stores it once.
    healthy = RecordingIngest({APP: SECRET})
    async with bench.gateway(healthy), bench.device():
        await _until(lambda: len(healthy.stored) == 1)
        await asyncio.sleep(0.3)
    assert list(healthy.stored) == [f"{APP}/s1"]


async def test_store_recovers_and_message_is_redelivered_once(
    bench: Bench, ingest: RecordingIngest
) -> None:
    ingest.unavailable = True
    async with bench.gateway(ingest), bench.device() as publish:
        await publish({"secret": SECRET, "messages": [_fix(1), _sos("s1")]})
        await _until(lambda: len(ingest.submits) >= 1)
        await asyncio.sleep(0.2)
        assert ingest.stored == {} and bench.results.empty()
        ingest.unavailable = False
        assert await bench.next_results() == [(1, "accepted"), ("s1", "accepted")]
        await asyncio.sleep(0.3)
    assert list(ingest.stored) == [f"{APP}/1", f"{APP}/s1"]
    assert len(ingest.submits) >= 2  # refused first, then the redelivery


async def test_concurrent_messages_share_a_submit(bench: Bench, ingest: RecordingIngest) -> None:
    ingest.gate = asyncio.Event()
    async with bench.gateway(ingest), bench.device() as publish:
        for i in range(30):
            await publish({"secret": SECRET} | _fix(i))
        await _until(lambda: len(ingest.submits) == 1)
        await asyncio.sleep(0.3)  # the rest queue up behind the held submit
        ingest.gate.set()
        await _until(lambda: len(ingest.stored) == 30)
    assert len(ingest.submits) < 30
    assert max(len(batch) for batch in ingest.submits) > 1


class SlowSecrets(RecordingIngest):
    """A first secret check as slow as argon2's, blocking its thread."""

    def authenticate(self, device_id: str, secret: str) -> bool:
        time.sleep(0.4)
        return super().authenticate(device_id, secret)


async def longest_stall(until: asyncio.Future[Any]) -> float:
    """The longest the event loop went without running a 10 ms timer, until `until`."""
    worst = 0.0
    while not until.done():
        started = time.monotonic()
        await asyncio.sleep(0.01)
        worst = max(worst, time.monotonic() - started)
    return worst


async def test_secret_check_does_not_stall_the_loop(bench: Bench) -> None:
    ingest = SlowSecrets({APP: SECRET})
    async with bench.gateway(ingest), bench.device() as publish:
        await publish({"secret": SECRET} | _fix(1))
        results = asyncio.ensure_future(bench.next_results())
        stall = await longest_stall(results)
        assert await results == [(1, "accepted")]
    assert stall < 0.2
