"""HTTP routes of the apps: the app API under /app/api/v1 (device credential),
and the operator's enrolment codes and check-in photos under /api/v1 (session).

Everything answered to a respondent's device is built by `respondent_view`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from korgoo.api.deps import Api, ApiDep, not_found, require
from korgoo.api.permissions import Capability, in_scope
from korgoo.api.responses import (
    EVENT_STREAM,
    AlarmStatusOut,
    BatchResultsOut,
    CheckinDoneOut,
    CheckinOut,
    EnrolledOut,
    EnrolmentCodeOut,
    MessageReceiptOut,
    ProtectedMeOut,
    PushKeyOut,
    RespondentMeOut,
    SubscribedOut,
)
from korgoo.api.schemas import ID_MAX
from korgoo.apps import enrolment
from korgoo.apps import respondent_view as rv
from korgoo.apps import victim_view as vv
from korgoo.apps.checkins import (
    ANSWER_WITHIN_S,
    MAX_PHOTO_BYTES,
    PhotoRefused,
    checkin_json,
    submit_photo,
)
from korgoo.apps.notifier import frame_for
from korgoo.apps.push import endpoint_refusal
from korgoo.apps.service import Apps
from korgoo.domain.events import Signal, SignalKind
from korgoo.domain.ingest import StoreUnavailable
from korgoo.domain.terms import DeviceKind, OrderStatus
from korgoo.domain.text import N_
from korgoo.gateways import native
from korgoo.store import app_records as records
from korgoo.store.alerts import get_alert
from korgoo.store.checkins import load
from korgoo.store.orders import latest_version, terms_at
from korgoo.store.users import User

APP_PREFIX = "/app/api/v1"
HEARTBEAT_S = 15.0
RETRY_MS = 3000
NOT_ENROLLED = "This phone is no longer enrolled. Ask the monitoring centre to enrol it again."
_UNAUTHORIZED = "unauthorized"
ORDER_END_HEADER = "Korgoo-Order-End"


def get_apps(request: Request) -> Apps:
    apps: Apps = request.app.state.apps
    return apps


AppsDep = Annotated[Apps, Depends(get_apps)]


def _credentials(authorization: str) -> tuple[str, str] | None:
    scheme, _, rest = authorization.strip().partition(" ")
    device_id, colon, secret = rest.strip().partition(":")
    if scheme.lower() != "device" or not colon or not device_id or not secret:
        return None
    return device_id, secret


async def app_device(request: Request, apps: AppsDep) -> records.AppDevice:
    """The app device of `Authorization: Device <id>:<secret>` whose enrolment stands."""
    found = _credentials(request.headers.get("authorization", ""))
    if found is None:
        raise HTTPException(401, _UNAUTHORIZED, headers={"WWW-Authenticate": "Device"})
    device_id, secret = found
    service, db = apps.service, apps.db
    device = await asyncio.to_thread(records.app_device, db, device_id)
    if device is not None and device.revoked_at is not None:
        headers = await asyncio.to_thread(
            _revoked_headers, db, device, device.revoked_reason, service.clock()
        )
        raise HTTPException(401, NOT_ENROLLED, headers=headers)
    # A database read on a first check: off the event loop (the pipeline remembers it).
    if device is None or not await asyncio.to_thread(service.authenticate, device_id, secret):
        raise HTTPException(401, _UNAUTHORIZED, headers={"WWW-Authenticate": "Device"})
    fallen = await asyncio.to_thread(records.fallen_devices, db, service.clock(), device_id)
    if fallen:
        await apps.notifier.revoke(device_id, fallen[device_id])
        headers = await asyncio.to_thread(
            _revoked_headers, db, device, fallen[device_id], service.clock()
        )
        raise HTTPException(401, NOT_ENROLLED, headers=headers)
    return device


def _revoked_headers(
    db: sa.Engine, device: records.AppDevice, reason: str | None, now: float
) -> dict[str, str]:
    """The 401 of a phone whose order ended or was revoked says which and when
    (`Korgoo-Order-End: ended 2026-12-06T11:00:00+00:00`), so that an app that
    missed the `order_ended` message still shows it; nothing else is said. An
    order whose end time has passed has ended, even before the sweep records it."""
    headers = {"WWW-Authenticate": "Device"}
    last = None if reason != "order_ended" else latest_version(db, device.order_id)
    if last is None:
        return headers
    if last.status is OrderStatus.REVOKED:
        headers[ORDER_END_HEADER] = f"revoked {rv.iso(last.ends_at)}"
    elif last.status is OrderStatus.ENDED or last.ends_at <= now:
        headers[ORDER_END_HEADER] = f"ended {rv.iso(last.ends_at)}"
    return headers


DeviceDep = Annotated[records.AppDevice, Depends(app_device)]


def _is_respondent(device: records.AppDevice) -> bool:
    return device.kind == DeviceKind.RESPONDENT_APP.value


# -- the app API -------------------------------------------------------------------

app_router = APIRouter(prefix=APP_PREFIX, tags=["apps"])


class EnrolIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    install_id: str | None = Field(default=None, max_length=128)


@app_router.post("/enrol", status_code=201, response_model=EnrolledOut)
async def enrol(body: EnrolIn, request: Request, apps: AppsDep) -> dict[str, Any]:
    """Exchange a one-time code for this phone's device id and secret (shown once)."""
    client = request.client.host if request.client else ""
    now = time.monotonic()
    if not apps.attempts.allowed(client, now):
        raise HTTPException(
            429,
            N_("Too many wrong codes. Wait a minute, then type the code again."),
            headers={"Retry-After": "60"},
        )
    try:
        done = await enrolment.enrol(apps.service, apps.db, body.code, body.install_id)
    except enrolment.Refused as refused:
        apps.attempts.failed(client, now)
        raise HTTPException(refused.status, refused.message) from None
    return {
        "device_id": done.device_id,
        "secret": done.secret,
        "kind": done.kind,
        "person_id": done.person_id,
        "order_id": done.order_id,
    }


@app_router.post("/messages", response_model=BatchResultsOut)
async def messages(request: Request, device: DeviceDep, apps: AppsDep) -> Response:
    """A native ingest batch from the app, answered per message."""
    service = apps.service
    received_at = service.clock()
    body = await request.body()
    try:
        raws = native.split_batch(body)
    except native.BatchError as error:
        return JSONResponse({"detail": error.reason}, 413 if error.too_large else 400)
    # A bare check_in is refused here too: the photo (POST /checkins/{id}) is the check-in.
    items = native.decode_batch(raws, device.device_id, received_at, "app")
    queued = [item.message for item in items if item.message is not None]
    try:
        outcomes = await service.submit(queued) if queued else []
    except StoreUnavailable:
        return JSONResponse({"detail": "store unavailable"}, 503, headers={"Retry-After": "5"})
    if not _is_respondent(device):
        await _sharing(apps, device, [m.event for m in queued])
    answers = native.results(items, outcomes)
    return Response(native.encode_results(answers), media_type="application/json")


async def _sharing(apps: Apps, device: records.AppDevice, events: list[Any]) -> None:
    """Remember the victim app's last sharing state (for `/me`)."""
    changes = [
        e
        for e in events
        if isinstance(e, Signal)
        and e.kind in (SignalKind.SHARING_PAUSED, SignalKind.SHARING_RESUMED)
    ]
    if changes:
        last = max(changes, key=lambda e: e.t)
        sharing = last.kind is SignalKind.SHARING_RESUMED
        await asyncio.to_thread(records.set_sharing, apps.db, device.device_id, sharing)


@app_router.get("/me", response_model=RespondentMeOut | ProtectedMeOut)
async def me(device: DeviceDep, apps: AppsDep, api: ApiDep) -> dict[str, Any]:
    service, db = apps.service, apps.db
    terms = await asyncio.to_thread(terms_at, db, device.order_id, service.clock())
    ref = await asyncio.to_thread(api.orders.get, device.order_id)
    if terms is None or ref is None:
        raise HTTPException(404, N_("The order of this phone was not found."))
    push_key = (await apps.pusher()).public_key
    if _is_respondent(device):
        out = rv.me(terms, ref.number, apps.settings.centre_phone)
        out["vapid_public_key"] = push_key
        return rv.guard(out)
    return {
        "role": "protected",
        "order_number": ref.number,
        "status": terms.status.value,
        "ends_at": rv.iso(terms.ends_at),
        "sharing": device.sharing,
        "centre_phone": apps.settings.centre_phone,
        "police_phone": apps.settings.police_phone,
        "vapid_public_key": push_key,
    }


async def _device_stream(apps: Apps, device: records.AppDevice) -> AsyncIterator[str]:
    hub, db = apps.hub, apps.db
    queue = hub.open(device.device_id)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        now = apps.service.clock()
        names: dict[str, str] = {}
        if _is_respondent(device):
            terms = await asyncio.to_thread(terms_at, db, device.order_id, now)
            names = rv.disclosed_zone_names(terms)
        for m in await asyncio.to_thread(records.last_unacknowledged, db, device.device_id):
            if m.event == "checkin" and now - m.created_at > ANSWER_WITHIN_S:
                continue  # its time is over
            payload = rv.resent(m.event, m.payload, names) if _is_respondent(device) else m.payload
            yield frame_for(device.kind, m.event, payload)
            await asyncio.to_thread(records.mark_sent, db, m.id, "stream", now)
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if item is None:
                return
            yield frame_for(device.kind, item.event, item.data)
    finally:
        hub.close(device.device_id, queue)


@app_router.get("/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def stream(device: DeviceDep, apps: AppsDep) -> StreamingResponse:
    """Server-sent events for this device (instruction / warning / checkin /
    panic_received / revoked); the last unacknowledged message of each kind first."""
    return StreamingResponse(
        _device_stream(apps, device),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@app_router.get("/status", response_model=AlarmStatusOut)
async def alarm_status(device: DeviceDep, apps: AppsDep) -> dict[str, Any]:
    """The protected person's app: what has happened to her last SOS and her last
    breach alarm, as `status` frames (what a reconnecting app needs)."""
    if _is_respondent(device):
        raise HTTPException(404, N_("There is no alarm status for this phone."))
    sent = await asyncio.to_thread(records.messages_of, apps.db, device.device_id)
    last = {m.event: m for m in sent if vv.is_alarm(m)}
    frames = []
    for m in sorted(last.values(), key=lambda m: m.created_at):
        key = str(m.alert_key)
        alert = apps.service.alert(key) or await asyncio.to_thread(get_alert, apps.db, key)
        if alert is not None:
            frames.append(vv.status_frame(m.id, alert))
    return {"alarms": frames}


class ReceiptIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)


@app_router.post("/receipts", response_model=MessageReceiptOut)
async def receipt(body: ReceiptIn, device: DeviceDep, apps: AppsDep) -> dict[str, Any]:
    m = await apps.notifier.receipt(device.device_id, body.id)
    if m is None:
        raise HTTPException(404, N_("There is no such message for this phone."))
    return {"id": m.id, "received": True}


@app_router.post("/checkins/{checkin_id}", response_model=CheckinDoneOut)
async def checkin_photo(
    checkin_id: str,
    device: DeviceDep,
    apps: AppsDep,
    photo: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    """The identity check-in photo (JPEG, at most 2 MB)."""
    data = await photo.read(MAX_PHOTO_BYTES + 1)
    try:
        c = await submit_photo(apps.service, apps.db, apps.checkins_dir, device, checkin_id, data)
    except PhotoRefused as refused:
        raise HTTPException(refused.status, refused.message) from None
    return rv.guard({"id": c.id, "on_time": bool(c.on_time)})


class PushKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class PushSubscriptionIn(BaseModel):
    endpoint: str = Field(min_length=1, max_length=1000)  # see push.endpoint_refusal
    keys: PushKeys


@app_router.get("/push-subscription", response_model=PushKeyOut)
async def push_key(device: DeviceDep, apps: AppsDep) -> dict[str, Any]:
    """The VAPID public key (applicationServerKey) and whether this phone subscribed."""
    sub = await asyncio.to_thread(records.subscription, apps.db, device.device_id)
    return {"public_key": (await apps.pusher()).public_key, "subscribed": sub is not None}


@app_router.post("/push-subscription", status_code=201, response_model=SubscribedOut)
async def push_subscription(
    body: PushSubscriptionIn, device: DeviceDep, apps: AppsDep
) -> dict[str, Any]:
    refusal = endpoint_refusal(body.endpoint)
    if refusal is not None:
        raise HTTPException(400, N_("'endpoint': {refusal}.", refusal=refusal))
    sub = records.Subscription(body.endpoint, body.keys.p256dh, body.keys.auth)
    db, at = apps.db, apps.service.clock()
    await asyncio.to_thread(records.save_subscription, db, device.device_id, sub, at)
    return {"subscribed": True}


# -- the operator's side ------------------------------------------------------------------

operator_router = APIRouter(tags=["apps"])
Enroller = Annotated[User, Depends(require(Capability.DEVICES_ENROL))]
AlertReader = Annotated[User, Depends(require(Capability.ALERTS_READ))]


IdParam = Annotated[str, Query(max_length=ID_MAX)]


class EnrolmentIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)
    kind: DeviceKind


def _visible_order(api: Api, user: User, order_id: str) -> None:
    ref = api.orders.get(order_id)
    if ref is None or not in_scope(user, ref.district):
        raise not_found(N_("Order {order_id}", order_id=order_id))


@operator_router.post(
    "/orders/{order_id}/enrolments", status_code=201, response_model=EnrolmentCodeOut
)
async def new_enrolment(
    order_id: str, body: EnrolmentIn, user: Enroller, api: ApiDep, apps: AppsDep
) -> dict[str, Any]:
    """A one-time code (15 minutes) to enrol the person's phone, with its QR code."""
    await asyncio.to_thread(_visible_order, api, user, order_id)
    try:
        issued = await asyncio.to_thread(
            enrolment.issue,
            api.db,
            order_id,
            body.person_id,
            body.kind,
            actor=user.username,
            at=api.now(),
        )
    except enrolment.Refused as refused:
        raise HTTPException(refused.status, refused.message) from None
    absolute = apps.settings.public_url.rstrip("/") + issued.path
    return {
        "code": issued.code,
        "expires_at": rv.iso(issued.expires_at),
        "qr_svg": enrolment.qr_svg(absolute),
        "url": issued.path,
    }


def _photo_url(checkin_id: str) -> str:
    return f"/api/v1/checkins/{checkin_id}/photo"


@operator_router.get("/checkins", response_model=list[CheckinOut])
async def list_checkins(order_id: IdParam, user: AlertReader, api: ApiDep) -> list[dict[str, Any]]:
    """The order's check-ins sent so far, with the photo's URL when one came."""
    await asyncio.to_thread(_visible_order, api, user, order_id)
    found = await asyncio.to_thread(load, api.db, order_id=order_id, sent_only=True)
    return [checkin_json(c, _photo_url) for c in found]


@operator_router.get(
    "/checkins/{checkin_id}/photo",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def checkin_photo_file(checkin_id: str, user: AlertReader, api: ApiDep) -> FileResponse:
    found = await asyncio.to_thread(load, api.db, checkin_id=checkin_id)
    if not found or found[0].photo_path is None:
        raise not_found(N_("Check-in photo {checkin_id}", checkin_id=checkin_id))
    await asyncio.to_thread(_visible_order, api, user, found[0].order_id)
    return FileResponse(Path(found[0].photo_path), media_type="image/jpeg")
