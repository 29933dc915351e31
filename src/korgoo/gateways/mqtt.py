"""MQTT gateway: Korgoo's own apps publish native messages to Mosquitto.

Devices publish to `korgoo/devices/{device_id}/events` at QoS 1 a payload in the
native schema (see native.py): one message object or a batch `{"messages": [...]}`,
plus the device's `secret` (Mosquitto here allows anonymous clients, so the secret
travels in the payload and is checked with `ingest.authenticate`; run the broker
with TLS outside a test bench). The results of a device's messages are published
to `korgoo/devices/{device_id}/results`, one results message per device per batch.

Nothing is lost: the gateway holds a persistent session (fixed client id,
clean_session False) and acknowledges (PUBACK) a message only after the batch it was
in is committed. If the store cannot commit, nothing is acknowledged; the gateway
waits for the store, reconnects, and the broker redelivers the unacknowledged
messages, which the message keys make harmless to resend.

Batching: every message already waiting in the client's queue joins the batch, so
one submit carries many messages under load and no latency is added when idle.
The secrets of a batch are checked together off the event loop (a device's first
check is an argon2 verification, about half a second; the ingest remembers it).
A batch's results are queued to the broker before its acknowledgements, on the
same connection, without waiting for the broker's PUBACK of each result: a result
lost with a dying connection only makes the device resend, and the resend is a
duplicate. See docs/operations.md for the broker settings this needs.

aiomqtt 2.5 has no public switch for manual acknowledgement yet (empicano/aiomqtt#345),
and its `publish` waits for each PUBACK (and logs a warning per publish beyond ten
in flight), so the calls into its internals are kept in `_manual_ack`, `_ack`, `_publish`
and `_take_waiting`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

import aiomqtt
import msgspec
import paho.mqtt.client as paho

from korgoo.domain.ingest import Ingest, Message, Outcome, StoreUnavailable, Verdict
from korgoo.domain.outage import BROKER_DOWN
from korgoo.gateways import json_input, native
from korgoo.gateways.admission import refusal
from korgoo.gateways.metrics import (
    ACK_SECONDS,
    ACKED,
    CONNECTIONS,
    DECODED,
    MESSAGES,
    REJECTED,
)
from korgoo.settings import Settings

PROTOCOL = "mqtt"
DEFAULT_PREFIX = "korgoo/devices"
DEFAULT_CLIENT_ID = "korgoo-gateway"
UNAUTHORIZED = "unauthorized"
OUTGOING_INFLIGHT = 1000  # result publishes awaiting the broker's PUBACK (paho default 20)

log = logging.getLogger(__name__)

_MESSAGES = MESSAGES.labels(PROTOCOL)
_DECODED = DECODED.labels(PROTOCOL)
_ACKED = ACKED.labels(PROTOCOL)
_ACK_SECONDS = ACK_SECONDS.labels(PROTOCOL)


class _Envelope(msgspec.Struct):
    secret: str = ""
    messages: list[msgspec.Raw] | None = None  # absent: the payload is one message


class Received(msgspec.Struct, frozen=True):
    """One MQTT publish after validation: its items, or why all of it was refused."""

    device_id: str
    items: list[native.Item]
    refused: str = ""  # unauthorized / unreadable: every message in it is rejected

    def to_store(self) -> list[Message]:
        if self.refused:
            return []
        return [item.message for item in self.items if item.message is not None]


class Parsed(msgspec.Struct, frozen=True):
    """One publish read but not yet authenticated."""

    device_id: str
    secret: str
    raws: list[msgspec.Raw]
    refused: str = ""  # unreadable: nothing to authenticate


_envelope_decoder = msgspec.json.Decoder(_Envelope)


def parse_payload(payload: bytes, device_id: str) -> Parsed:
    """Split one publish into its raw messages and the secret it carries (pure)."""
    if len(payload) > native.MAX_BATCH_BYTES:
        return Parsed(device_id, "", [], f"payload larger than {native.MAX_BATCH_BYTES} bytes")
    try:
        envelope = _envelope_decoder.decode(payload)
    except json_input.UNREADABLE as error:
        return Parsed(device_id, "", [], f"not a message or batch: {json_input.problem(error)}")
    raws = envelope.messages if envelope.messages is not None else [msgspec.Raw(payload)]
    return Parsed(device_id, envelope.secret, raws)


def validate(parsed: Parsed, authorized: bool, received_at: float) -> Received:
    """The items of a parsed publish whose secret was checked (`authorized`)."""
    if parsed.refused:
        return Received(parsed.device_id, [], parsed.refused)
    if not authorized:
        ids = [native.Item(native.client_id(bytes(raw)), None) for raw in parsed.raws]
        return Received(parsed.device_id, ids, UNAUTHORIZED)
    if len(parsed.raws) > native.MAX_BATCH:
        return Received(parsed.device_id, [], f"more than {native.MAX_BATCH} messages in one batch")
    items = native.decode_batch(parsed.raws, parsed.device_id, received_at, PROTOCOL)
    return Received(parsed.device_id, items)


def check_secrets(ingest: Ingest, claims: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (device, secret) pairs that authenticate; blocking (argon2 on a first
    check), so it runs in a worker thread, once per batch."""
    return {claim for claim in claims if claim[1] and _allowed(ingest, *claim)}


def _allowed(ingest: Ingest, device_id: str, secret: str) -> bool:
    device = ingest.lookup_device(device_id)
    if device is None or refusal(device, PROTOCOL):
        return False
    return ingest.authenticate(device_id, secret)


def device_of(topic: str, prefix: str) -> str | None:
    """`{prefix}/{device_id}/events` -> device_id."""
    head, _, rest = topic.partition(prefix + "/")
    device_id, _, tail = rest.partition("/")
    return device_id if not head and device_id and tail == "events" else None


def answers_of(received: Received, outcomes: Sequence[Outcome]) -> list[native.Result]:
    if received.refused:
        answers = native.rejected_all(received.items, received.refused)
        return answers or [native.Result(None, Verdict.REJECTED, received.refused)]
    return native.results(received.items, outcomes)


async def run_mqtt(
    ingest: Ingest,
    settings: Settings,
    stop: asyncio.Event,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    prefix: str = DEFAULT_PREFIX,
    retry_s: float = 1.0,
    subscribed: asyncio.Event | None = None,
    clock: Callable[[], float] = time.time,
    on_state: Callable[[str], None] = lambda state: None,
) -> None:
    """Run until `stop` is set, reconnecting after broker or store failures.

    `subscribed` is set once the subscription is in place (readiness);
    `on_state` is told "running" at each subscription and `BROKER_DOWN` at each
    failed or lost connection (the health, whence the outage notice).
    """
    while not stop.is_set():
        try:
            await _session(
                ingest, settings, stop, client_id, prefix, retry_s, subscribed, clock, on_state
            )
        except aiomqtt.MqttError as error:
            log.warning("mqtt gateway: broker connection lost: %s", error)
            on_state(BROKER_DOWN)
            await _sleep_unless(stop, retry_s)


async def _session(
    ingest: Ingest,
    settings: Settings,
    stop: asyncio.Event,
    client_id: str,
    prefix: str,
    retry_s: float,
    subscribed: asyncio.Event | None,
    clock: Callable[[], float],
    on_state: Callable[[str], None],
) -> None:
    """One broker connection; returns when stopped or when the store needs a reconnect."""
    client = aiomqtt.Client(
        settings.mqtt_host,
        settings.mqtt_port,
        identifier=client_id,
        clean_session=False,
        keepalive=30,
        max_inflight_messages=OUTGOING_INFLIGHT,
    )
    _manual_ack(client)
    async with client:
        CONNECTIONS.labels(PROTOCOL).inc()
        try:
            await client.subscribe(f"{prefix}/+/events", qos=1)
            on_state("running")
            if subscribed is not None:
                subscribed.set()
            consume = asyncio.create_task(
                _consume(client, ingest, settings.batch_max, prefix, clock)
            )
            stopped = asyncio.create_task(stop.wait())
            done, pending = await asyncio.wait(
                {consume, stopped}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if consume in done:
                consume.result()  # a broker error propagates; StoreUnavailable returned
                log.warning("mqtt gateway: store unavailable, waiting to reconnect")
                await _sleep_unless(stop, retry_s)
                while not ingest.ready and not stop.is_set():
                    await _sleep_unless(stop, retry_s)
        finally:
            CONNECTIONS.labels(PROTOCOL).dec()


async def _consume(
    client: aiomqtt.Client,
    ingest: Ingest,
    batch_max: int,
    prefix: str,
    clock: Callable[[], float],
) -> None:
    """Handle batches until the store cannot commit (then return, unacknowledged)."""
    messages = client.messages
    while True:
        batch = [await anext(messages)]
        _take_waiting(client, batch, batch_max)
        if not await _handle(client, ingest, batch, prefix, clock):
            return


async def _handle(
    client: aiomqtt.Client,
    ingest: Ingest,
    batch: Sequence[aiomqtt.Message],
    prefix: str,
    clock: Callable[[], float],
) -> bool:
    """Submit one batch; publish results and acknowledge only after it committed."""
    received_at = clock()
    _MESSAGES.inc(len(batch))
    parsed: list[Parsed | None] = []
    for publish in batch:
        device_id = device_of(publish.topic.value, prefix)
        if device_id is None or not isinstance(publish.payload, bytes):
            REJECTED.labels(PROTOCOL, "malformed").inc()
            parsed.append(None)
            continue
        parsed.append(parse_payload(publish.payload, device_id))
    claims = {(p.device_id, p.secret) for p in parsed if p is not None and not p.refused}
    good = await asyncio.to_thread(check_secrets, ingest, claims) if claims else set()
    received: list[Received | None] = []
    to_store: list[Message] = []
    for one in parsed:
        if one is None:
            received.append(None)
            continue
        valid = validate(one, (one.device_id, one.secret) in good, received_at)
        received.append(valid)
        if valid.refused:
            reason = "unauthorized" if valid.refused == UNAUTHORIZED else "malformed"
            REJECTED.labels(PROTOCOL, reason).inc(max(1, len(valid.items)))
        elif bad := sum(item.message is None for item in valid.items):
            REJECTED.labels(PROTOCOL, "malformed").inc(bad)
        to_store.extend(valid.to_store())
    outcomes: list[Outcome] = []
    if to_store:
        _DECODED.inc(len(to_store))
        try:
            outcomes = await ingest.submit(to_store)
        except StoreUnavailable:
            REJECTED.labels(PROTOCOL, "store_unavailable").inc(len(batch))
            return False
    answers = iter(outcomes)
    per_device: dict[str, list[native.Result]] = {}
    for answered in received:
        if answered is not None:
            mine = [next(answers) for _ in answered.to_store()]
            per_device.setdefault(answered.device_id, []).extend(answers_of(answered, mine))
    # One results message per device, then the acknowledgements in the order the
    # messages arrived; all queued on the one connection, in that order.
    for device_id, results in per_device.items():
        _publish(client, f"{prefix}/{device_id}/results", native.encode_results(results))
    elapsed = clock() - received_at
    for publish in batch:
        _ack(client, publish)
        _ACK_SECONDS.observe(elapsed)
    _ACKED.inc(len(batch))
    return True


def _manual_ack(client: aiomqtt.Client) -> None:
    client._client.manual_ack_set(True)


def _take_waiting(client: aiomqtt.Client, batch: list[aiomqtt.Message], batch_max: int) -> None:
    """Move the messages already received into `batch`, up to `batch_max`: straight
    from the client's queue, since `anext(client.messages)` makes a task and an
    `asyncio.wait` per message (about a fifth of the gateway's CPU per message)."""
    queue = client._queue
    while len(batch) < batch_max and not queue.empty():
        batch.append(queue.get_nowait())


def _ack(client: aiomqtt.Client, publish: aiomqtt.Message) -> None:
    client._client.ack(publish.mid, publish.qos)


def _publish(client: aiomqtt.Client, topic: str, payload: bytes) -> None:
    """QoS 1 publish queued on the connection; paho resends it until the broker
    acknowledges, without the caller waiting for that."""
    info = client._client.publish(topic, payload, qos=1)
    if info.rc != paho.MQTT_ERR_SUCCESS:
        raise aiomqtt.MqttCodeError(info.rc, "could not publish results")


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
