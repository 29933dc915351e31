"""The native JSON batch API: POST /api/v1/ingest for the apps, with a device secret.

Like the OsmAnd gateway it answers only after the messages are committed; a store
that cannot commit gives 503 with Retry-After and the app sends the batch again.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from korgoo.api.responses import BatchResultsOut
from korgoo.domain.ingest import Ingest, Outcome, StoreUnavailable
from korgoo.gateways import native
from korgoo.gateways.admission import refusal
from korgoo.gateways.http import Clock, count_rejections, store_unavailable
from korgoo.gateways.metrics import ACK_SECONDS, ACKED, DECODED, MESSAGES, REJECTED

INGEST_PATH = "/api/v1/ingest"
_NATIVE = "native"
SCHEMA_TYPE = "application/schema+json"


def native_router(ingest: Ingest, clock: Clock = time.time) -> APIRouter:
    """POST /api/v1/ingest (a batch of native messages) and GET /api/v1/ingest/schema."""
    router = APIRouter()
    schema = native.schema()

    @router.post(INGEST_PATH, response_model=BatchResultsOut)
    async def receive_batch(request: Request) -> Response:
        received_at = clock()
        MESSAGES.labels(_NATIVE).inc()
        # A device's first secret check is argon2 (about half a second): off the loop.
        authorization = request.headers.get("authorization", "")
        device_id = await asyncio.to_thread(_authenticated_device, ingest, authorization)
        if device_id is None:
            REJECTED.labels(_NATIVE, "unauthorized").inc()
            # Same answer whether the device exists or not.
            return JSONResponse(
                {"detail": "unauthorized"},
                status_code=401,
                headers={"WWW-Authenticate": "Device"},
            )
        body = await _read_body(request, native.MAX_BATCH_BYTES)
        try:
            if body is None:
                raise native.BatchError("body too large", too_large=True)
            raws = native.split_batch(body)
        except native.BatchError as error:
            REJECTED.labels(_NATIVE, "too_large" if error.too_large else "malformed").inc()
            return JSONResponse(
                {"detail": error.reason}, status_code=413 if error.too_large else 400
            )
        items = native.decode_batch(raws, device_id, received_at, _NATIVE)
        messages = [item.message for item in items if item.message is not None]
        bad = len(items) - len(messages)
        if bad:
            REJECTED.labels(_NATIVE, "malformed").inc(bad)
        outcomes: list[Outcome] = []
        if messages:
            DECODED.labels(_NATIVE).inc(len(messages))
            try:
                outcomes = await ingest.submit(messages)
            except StoreUnavailable:
                unavailable = JSONResponse({"detail": "store unavailable"}, status_code=503)
                return store_unavailable(_NATIVE, unavailable)
            count_rejections(_NATIVE, outcomes)
        ACKED.labels(_NATIVE).inc()
        ACK_SECONDS.labels(_NATIVE).observe(clock() - received_at)
        answers = native.results(items, outcomes)
        return Response(native.encode_results(answers), media_type="application/json")

    @router.get(
        INGEST_PATH + "/schema",
        response_class=JSONResponse,
        responses={200: {"content": {SCHEMA_TYPE: {}}}},
    )
    async def batch_schema() -> JSONResponse:
        """The JSON Schema of a batch body."""
        return JSONResponse(schema, media_type=SCHEMA_TYPE)

    return router


def _authenticated_device(ingest: Ingest, authorization: str) -> str | None:
    """`Authorization: Device <device_id>:<secret>` -> the device id, if the secret
    is right and the device may send here (an app; see admission.refusal)."""
    scheme, _, credentials = authorization.strip().partition(" ")
    device_id, colon, secret = credentials.strip().partition(":")
    if scheme.lower() != "device" or not colon or not device_id or not secret:
        return None
    if not ingest.authenticate(device_id, secret):
        return None
    device = ingest.lookup_device(device_id)
    return device_id if device is not None and not refusal(device, _NATIVE) else None


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be larger than `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
