"""Korgoo's native JSON message schema (its own apps, over HTTP and MQTT): pure.

A batch is `{"messages": [ {"id", "type": "fix" | "signal", "t", ...}, ... ]}`.
Each message carries a client message id; device id + client id is the message
key, so a retried batch is stored once. Messages are validated one by one: a bad
message is rejected with the validator's reason and never takes its neighbours down.
A `check_in` signal is always refused: only the photo through the apps' check-in
route counts as a check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import Message, Outcome, Verdict
from korgoo.gateways import json_input

MAX_BATCH = 500  # messages per request / MQTT payload
MAX_BATCH_BYTES = 512 * 1024  # room for a full batch of fixes with long ids
EARLIEST_DEVICE_TIME = 946684800.0  # 2000-01-01T00:00:00Z
MAX_AHEAD_S = 25 * 3600.0
# A check-in proves who holds the phone only with its photo: the app's check-in
# route makes that signal itself, and a bare one from a device is refused.
CHECK_IN_REFUSED = "check_in is not accepted here: send the check-in photo"
REVIEW_REFUSED = "check_in_rejected is set by the centre, never by a device"

ClientId = Annotated[str, Meta(min_length=1, max_length=128)] | int
DeviceTime = Annotated[
    float | Annotated[datetime, Meta(tz=True)],
    Meta(description="device time: ISO-8601 with a zone, or Unix epoch seconds"),
]
Percent = Annotated[float, Meta(ge=0, le=100)]


class NativeFix(msgspec.Struct, tag_field="type", tag="fix", frozen=True):
    """One position. Accuracy is required: our apps always know it."""

    id: Annotated[ClientId, Meta(description="client message id, unique per device")]
    t: DeviceTime
    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]
    acc: Annotated[float, Meta(gt=0, le=1_000_000, description="accuracy radius, metres")]
    speed: Annotated[float, Meta(ge=0, description="m/s")] | None = None
    heading: Annotated[float, Meta(ge=0, le=360)] | None = None
    battery: Percent | None = None
    charging: bool | None = None
    mock: bool = False


class NativeSignal(msgspec.Struct, tag_field="type", tag="signal", frozen=True):
    """A device signal: SOS, check-in, heartbeat, permission revoked, ..."""

    id: Annotated[ClientId, Meta(description="client message id, unique per device")]
    t: DeviceTime
    kind: SignalKind
    value: float | None = None


NativeMessage = NativeFix | NativeSignal


class NativeBatch(msgspec.Struct, frozen=True):
    """The request body; used for the published schema."""

    messages: Annotated[list[NativeMessage], Meta(max_length=MAX_BATCH)]


class Result(msgspec.Struct, frozen=True, omit_defaults=True):
    id: ClientId | None
    status: Verdict
    reason: str = ""


class Results(msgspec.Struct, frozen=True):
    results: list[Result]


class Item(msgspec.Struct, frozen=True):
    """One message of a batch after validation: a Message, or why it was rejected."""

    client_id: ClientId | None
    message: Message | None
    reason: str = ""


class BatchError(Exception):
    """The batch as a whole is unreadable or too large; `reason` says why."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


class _Envelope(msgspec.Struct):
    # Raw items: each message is validated on its own, so one bad one is one rejection.
    messages: list[msgspec.Raw]


class _IdOnly(msgspec.Struct):
    id: ClientId | None = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_message_decoder: msgspec.json.Decoder[NativeMessage] = msgspec.json.Decoder(NativeMessage)
_id_decoder = msgspec.json.Decoder(_IdOnly)
_results_encoder = msgspec.json.Encoder()


def split_batch(body: bytes) -> list[msgspec.Raw]:
    """The raw messages of a batch body; BatchError if it is not a batch."""
    if len(body) > MAX_BATCH_BYTES:
        raise BatchError(f"body larger than {MAX_BATCH_BYTES} bytes", too_large=True)
    try:
        raws = _envelope_decoder.decode(body).messages
    except json_input.UNREADABLE as error:
        raise BatchError(f"not a message batch: {json_input.problem(error)}") from None
    if len(raws) > MAX_BATCH:
        raise BatchError(f"more than {MAX_BATCH} messages in one batch", too_large=True)
    return raws


def message_key(device_id: str, client_id: ClientId) -> str:
    return f"{device_id}/{client_id}"


def decode_message(raw: bytes, device_id: str, received_at: float, source: str) -> Item:
    """Validate one message; never raises for bad input."""
    try:
        native = _message_decoder.decode(raw)
    except json_input.UNREADABLE as error:
        return Item(client_id(raw), None, json_input.problem(error))
    t = native.t.timestamp() if isinstance(native.t, datetime) else native.t
    if t < EARLIEST_DEVICE_TIME or t > received_at + MAX_AHEAD_S:
        return Item(native.id, None, "implausible device time")
    if isinstance(native, NativeSignal) and native.kind is SignalKind.CHECK_IN:
        return Item(native.id, None, CHECK_IN_REFUSED)
    if isinstance(native, NativeSignal) and native.kind is SignalKind.CHECK_IN_REJECTED:
        return Item(native.id, None, REVIEW_REFUSED)
    event: Fix | Signal
    if isinstance(native, NativeFix):
        event = Fix(
            device_id,
            t,
            received_at,
            native.lat,
            native.lon,
            native.acc,
            speed=native.speed,
            heading=native.heading,
            battery=native.battery,
            charging=native.charging,
            mock=native.mock,
            source=source,
        )
    else:
        event = Signal(device_id, t, received_at, native.kind, native.value, source=source)
    return Item(native.id, Message(event, message_key(device_id, native.id)))


def decode_batch(
    raws: Sequence[msgspec.Raw], device_id: str, received_at: float, source: str
) -> list[Item]:
    return [decode_message(bytes(raw), device_id, received_at, source) for raw in raws]


def results(items: Sequence[Item], outcomes: Sequence[Outcome]) -> list[Result]:
    """Per-message results in order; `outcomes` answer the items that had a message."""
    answers = iter(outcomes)
    out: list[Result] = []
    for item in items:
        if item.message is None:
            out.append(Result(item.client_id, Verdict.REJECTED, item.reason))
        else:
            outcome = next(answers)
            out.append(Result(item.client_id, outcome.verdict, outcome.reason))
    return out


def rejected_all(items: Sequence[Item], reason: str) -> list[Result]:
    return [Result(item.client_id, Verdict.REJECTED, reason) for item in items]


def encode_results(answers: Sequence[Result]) -> bytes:
    return _results_encoder.encode(Results(list(answers)))


def schema() -> dict[str, Any]:
    """JSON Schema of a batch body, served at GET /api/v1/ingest/schema."""
    return msgspec.json.schema(NativeBatch)


def client_id(raw: bytes) -> ClientId | None:
    """The client message id of a message that may not be valid otherwise."""
    try:
        return _id_decoder.decode(raw).id
    except json_input.UNREADABLE:
        return None
