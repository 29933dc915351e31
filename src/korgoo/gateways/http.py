"""The OsmAnd HTTP gateway (phones, port 5055) and what the native API shares with it.

Both answer only after `ingest.submit` returned, i.e. after the messages are
committed. A store that cannot commit gives 503 with Retry-After, so the phone keeps
the messages and sends them again; the message keys make that resend harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from korgoo.domain.ingest import Ingest, Message, Outcome, StoreUnavailable, Verdict
from korgoo.gateways.admission import (
    APP_NEEDS_SECRET,
    PROTOCOL_NOT_SET,
    WRONG_PROTOCOL,
    UnknownGate,
    refusal,
)
from korgoo.gateways.metrics import ACK_SECONDS, ACKED, DECODED, MESSAGES, REJECTED
from korgoo.gateways.osmand import DecodeError, decode, message_key
from korgoo.settings import Settings

RETRY_AFTER_S = 5
_OSMAND = "osmand"
_METHODS = ("GET", "POST", "PUT")
_REFUSED = {
    APP_NEEDS_SECRET: "app devices send over the native API with their secret",
    WRONG_PROTOCOL: "device is enrolled for another protocol",
    PROTOCOL_NOT_SET: "device has no protocol enrolled",
}

Clock = Callable[[], float]


def osmand_app(ingest: Ingest, settings: Settings, clock: Clock = time.time) -> ASGIApp:
    """The OsmAnd protocol server: any path, GET/POST/PUT; run it under uvicorn.

    A bare ASGI app, no framework: a phone's report is a tiny request, and
    routing and middleware cost more CPU than decoding and storing it.
    """
    messages_total = MESSAGES.labels(_OSMAND)
    decoded_total = DECODED.labels(_OSMAND)
    acked = ACKED.labels(_OSMAND)
    ack_seconds = ACK_SECONDS.labels(_OSMAND)
    unknown_gate = UnknownGate()

    async def receive_report(scope: Scope, receive: Receive) -> tuple[int, bytes, _Headers]:
        received_at = clock()
        messages_total.inc()
        headers = dict(scope["headers"])
        body = await _receive_body(headers, receive, settings.max_http_body_bytes)
        if body is None:
            REJECTED.labels(_OSMAND, "too_large").inc()
            return 413, b"request body too large", _TEXT
        query = scope["query_string"].decode("latin-1")
        reports = decode(
            query,
            body,
            headers.get(b"content-type", b"").decode("latin-1"),
            received_at=received_at,
            tz=settings.timezone,
        )
        errors: list[str] = []
        messages: list[Message] = []
        unknown: set[str] = set()
        for report in reports:
            if isinstance(report, DecodeError):
                REJECTED.labels(_OSMAND, "malformed").inc()
                errors.append(report.reason)
                continue
            device_id = report[0].device_id
            device = ingest.lookup_device(device_id)
            if device is None:
                REJECTED.labels(_OSMAND, "unknown_device").inc()
                errors.append("unknown device")
                if device_id not in unknown and unknown_gate.admit(device_id):
                    unknown.add(device_id)
                    raw = f"{scope['method']} {scope['path']}?{query}\n".encode() + body
                    await ingest.unknown_device(_OSMAND, device_id, _client(scope), raw)
                continue
            refused = refusal(device, _OSMAND)
            if refused:
                # Known, so not an unknown sender: just not allowed to speak here.
                REJECTED.labels(_OSMAND, refused).inc()
                errors.append(_REFUSED[refused])
                continue
            messages.extend(Message(event, message_key(event)) for event in report)
        if messages:
            decoded_total.inc(len(messages))
            try:
                outcomes = await ingest.submit(messages)
            except StoreUnavailable:
                REJECTED.labels(_OSMAND, "store_unavailable").inc()
                return 503, b"store unavailable", _RETRY
            errors.extend(count_rejections(_OSMAND, outcomes))
        if errors:
            # Good reports in the same request are stored; a resend of them is a duplicate.
            return 400, "; ".join(dict.fromkeys(errors)).encode(), _TEXT
        acked.inc()
        ack_seconds.observe(clock() - received_at)
        return 200, b"", ()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] not in _METHODS:
            status, body, headers = 405, b"method not allowed", _NOT_ALLOWED
        else:
            status, body, headers = await receive_report(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


_Headers = tuple[tuple[bytes, bytes], ...]
_TEXT: _Headers = ((b"content-type", b"text/plain; charset=utf-8"),)
_RETRY: _Headers = (*_TEXT, (b"retry-after", str(RETRY_AFTER_S).encode()))
_NOT_ALLOWED: _Headers = (*_TEXT, (b"allow", ", ".join(_METHODS).encode()))


async def _receive_body(headers: dict[bytes, bytes], receive: Receive, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be larger than `limit`."""
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away; nothing will be answered
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: answer uvicorn's lifespan messages."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


def count_rejections(protocol: str, outcomes: Sequence[Outcome]) -> list[str]:
    reasons = [o.reason or "rejected" for o in outcomes if o.verdict is Verdict.REJECTED]
    if reasons:
        REJECTED.labels(protocol, "store_rejected").inc(len(reasons))
    return reasons


def store_unavailable(protocol: str, response: Response) -> Response:
    REJECTED.labels(protocol, "store_unavailable").inc()
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response
