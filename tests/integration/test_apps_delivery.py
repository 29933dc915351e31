"""Delivery of the engine's messages to the apps, and its monitoring: receipts
on the alert's timeline, a missing receipt raising delivery.unconfirmed, the
panic button answered, and Web Push to a push service run here."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece  # type: ignore[import-untyped]
import httpx
import pytest
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02  # type: ignore[import-untyped]

from korgoo.alerts.model import TransitionKind
from korgoo.domain.decisions import Priority
from korgoo.domain.rules import Rule
from korgoo.store import app_records as records

from ..unit.engine.conftest import T0
from .api_world import World, proximity_breach, world_fixture
from .test_apps_world import Phone, Stream, enrol, logged_in, running, send, served, signal

__all__ = ["world_fixture"]


async def messages_to(w: World, phone: Phone, code: str) -> list[records.AppMessage]:
    """The phone's stored messages with `code`, once the notifier made them."""

    async def find() -> list[records.AppMessage]:
        while True:
            found = [
                m
                for m in records.messages_of(w.pipeline.db, phone.device_id)
                if m.payload.get("code") == code
            ]
            if found:
                return found
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(find(), 5)


async def awaiting_receipt(w: World, order_id: str, message_id: str) -> None:
    """Until the engine holds the warning's receipt deadline (the notifier puts it
    into the event log after sending)."""

    query = sa.text("SELECT count(*) FROM events WHERE msg_key = :k")

    async def find() -> None:
        while True:
            with w.pipeline.db.connect() as conn:
                if conn.scalar(query, {"k": f"delivery:{message_id}"}):
                    await w.pipeline.settle()
                    return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(find(), 5)


async def notes_on(w: World, alert_key: str) -> list[dict[str, Any]]:
    """The notes on an alert's timeline, once there is one."""
    async with logged_in(w, "operator") as op:
        for _ in range(250):
            timeline = (await op.get(f"/api/v1/alerts/{alert_key}/timeline")).json()
            notes = [t for t in timeline if t["kind"] == TransitionKind.NOTE.value]
            if notes:
                return notes
            await asyncio.sleep(0.02)
    return []


async def test_a_receipt_is_a_stage_on_the_alert_timeline(w: World) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with running(w) as apps, w.client() as c:
        apps.notifier.receipt_timeout_s = 3600.0
        key = await proximity_breach(w)
        (warning,) = await messages_to(w, victim, "alert")
        assert warning.alert_key == key and warning.monitored
        w.clock.t += 5
        r = await c.post("/app/api/v1/receipts", json={"id": warning.id}, headers=victim.auth)
        assert r.status_code == 200, r.text
        alert = w.pipeline.alert(key)
        assert alert is not None and alert.stages["victim_warned"] == w.clock.t
        async with logged_in(w, "operator") as op:
            timeline = (await op.get(f"/api/v1/alerts/{key}/timeline")).json()
        stages = [t for t in timeline if t["kind"] == TransitionKind.STAGE.value]
        assert [(s["actor"], s["details"]["stage"]) for s in stages] == [("app", "victim_warned")]
        # Another phone cannot confirm her message.
        respondent = await enrol(w, "order-okt", "resp-okt", "respondent_app")
        r = await c.post("/app/api/v1/receipts", json={"id": warning.id}, headers=respondent.auth)
        assert r.status_code == 404


async def test_a_missing_receipt_raises_delivery_unconfirmed(w: World) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with running(w) as apps, w.client() as c:
        apps.notifier.receipt_timeout_s = 60.0
        key = await proximity_breach(w)
        (warning,) = await messages_to(w, victim, "alert")
        await awaiting_receipt(w, "order-okt", warning.id)
        w.clock.t = warning.created_at + 59
        await w.pipeline.advance()
        unconfirmed = f"order-okt:{Rule.DELIVERY_UNCONFIRMED}:{warning.id}"
        assert w.pipeline.alert(unconfirmed) is None  # not yet
        w.clock.t = warning.created_at + 61
        await w.pipeline.advance()
        alert = w.pipeline.alert(unconfirmed)
        assert alert is not None
        assert (alert.priority, alert.pages, alert.subject) == (Priority.P2, True, "prot-okt")
        assert alert.evidence["cause"] == key
        # Stored, not only in memory: the console reads it through the API.
        async with logged_in(w, "operator") as op:
            r = await op.get(f"/api/v1/alerts/{unconfirmed}")
            assert r.status_code == 200 and r.json()["priority"] == "P2"
        notes = await notes_on(w, key)
        assert len(notes) == 1 and "not confirmed" in notes[0]["details"]["text"]
        await w.pipeline.advance()  # raised once
        assert (
            len([a for a in w.pipeline.open_alerts() if a.rule == Rule.DELIVERY_UNCONFIRMED]) == 1
        )
        # A late receipt: the condition is over, the operator still closes the alert.
        r = await c.post("/app/api/v1/receipts", json={"id": warning.id}, headers=victim.auth)
        assert r.status_code == 200
        late = w.pipeline.alert(unconfirmed)
        assert late is not None and not late.active and not late.resolved


async def test_panic_raises_p1_and_is_answered_on_her_phone(w: World) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with (
        served(w) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
        Stream(c, victim) as hers,
    ):
        started = time.perf_counter()
        r = await send(w, c, victim, signal("sos-1", T0 + 30, "sos"))
        assert r.json() == {"results": [{"id": "sos-1", "status": "accepted"}]}
        panic = [a for a in w.pipeline.open_alerts() if a.rule == "panic"]
        assert len(panic) == 1 and panic[0].priority is Priority.P1
        assert panic[0].subject == "prot-okt"
        (answer,) = await hers.wait_for("panic_received", timeout=2.0)
        assert time.perf_counter() - started < 2.0
        assert set(answer) == {"id", "at"}


class PushService:
    """A push service on 127.0.0.1 that accepts (201) and keeps every request;
    a path in `gone` is a subscription that no longer exists (410)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.gone: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append(("POST", self.path, headers, body))
                self.send_response(410 if self.path in outer.gone else 201)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


FCM = "https://fcm.googleapis.com"


@pytest.fixture(name="push_service")
def push_service_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[PushService]:
    """The push service here stands in for FCM: requests to FCM's address are
    routed to it (the network's part, below everything Korgoo does)."""
    service = PushService()
    service.thread.start()
    send = requests.adapters.HTTPAdapter.send

    def rerouted(
        adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kw: Any
    ) -> requests.Response:
        if request.url and request.url.startswith(FCM + "/"):
            request.url = service.url + request.url.removeprefix(FCM)
        return send(adapter, request, **kw)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", rerouted)
    try:
        yield service
    finally:
        service.server.shutdown()
        service.server.server_close()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_without_a_stream_the_warning_goes_by_web_push(
    w: World, push_service: PushService
) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    # The browser's side of a subscription: its P-256 key pair and auth secret.
    browser_key = ec.generate_private_key(ec.SECP256R1())
    public = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth_secret = os.urandom(16)
    async with running(w) as apps, w.client() as c:
        server_key = (await c.get("/app/api/v1/push-subscription", headers=victim.auth)).json()
        assert server_key["subscribed"] is False
        body = {
            "endpoint": f"{FCM}/fcm/send/victim-1",
            "keys": {"p256dh": b64url(public), "auth": b64url(auth_secret)},
        }
        r = await c.post("/app/api/v1/push-subscription", json=body, headers=victim.auth)
        assert r.status_code == 201, r.text
        await proximity_breach(w)
        (warning,) = await messages_to(w, victim, "alert")

        async def pushed() -> None:
            while (m := records.message(w.pipeline.db, warning.id)) is None or m.sent_at is None:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(pushed(), 10)
    assert apps.notifier.pusher is not None
    decoded = []
    for method, path, headers, payload in push_service.requests:
        assert (method, path) == ("POST", "/fcm/send/victim-1")
        assert int(headers["ttl"]) > 0
        assert headers["content-encoding"] == "aes128gcm"
        scheme, _, params = headers["authorization"].partition(" ")
        assert scheme == "vapid" and f"k={server_key['public_key']}" in params
        assert Vapid02.verify(headers["authorization"])  # signed with that key
        assert b"alert" not in payload  # encrypted
        plain = http_ece.decrypt(
            payload, private_key=browser_key, auth_secret=auth_secret, version="aes128gcm"
        )
        decoded.append(json.loads(plain))
    assert {"event": "warning", "data": warning.payload} in decoded
    sent = records.message(w.pipeline.db, warning.id)
    assert sent is not None and sent.channel == "push"


def subscription_body(endpoint: str) -> dict[str, Any]:
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"endpoint": endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(b"a" * 16)}}


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://127.0.0.1:5999/push/x", "https"),
        ("https://127.0.0.1/push/x", "not a known push service"),
        ("http://fcm.googleapis.com/fcm/send/x", "https"),
        ("https://fcm.googleapis.com.example.net/fcm/send/x", "not a known push service"),
        ("https://evil.example/x#.push.apple.com", "not a known push service"),
        ("https://fcm.googleapis.com@127.0.0.1/fcm/send/x", "user name"),
        ("https://fcm.googleapis.com:8443/fcm/send/x", "port"),
        ("https://push.apple.com/x", "not a known push service"),
    ],
)
async def test_a_subscription_must_name_a_known_push_service(
    w: World, endpoint: str, reason: str
) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with running(w), w.client() as c:
        body = subscription_body(endpoint)
        r = await c.post("/app/api/v1/push-subscription", json=body, headers=victim.auth)
        assert r.status_code == 400 and reason in r.json()["detail"]
        got = await c.get("/app/api/v1/push-subscription", headers=victim.auth)
        assert got.json()["subscribed"] is False


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QGuQ",
        "https://wns2-db5p.notify.windows.com/w/?token=BQYAAA",
    ],
)
async def test_the_known_push_services_are_accepted(w: World, endpoint: str) -> None:
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    async with running(w), w.client() as c:
        body = subscription_body(endpoint)
        r = await c.post("/app/api/v1/push-subscription", json=body, headers=victim.auth)
        assert r.status_code == 201, r.text


async def test_a_stored_endpoint_elsewhere_is_never_posted_to(
    w: World, push_service: PushService
) -> None:
    # A subscription stored before endpoints were checked, naming a local server.
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    body = subscription_body(f"{push_service.url}/internal")
    sub = records.Subscription(body["endpoint"], body["keys"]["p256dh"], body["keys"]["auth"])
    records.save_subscription(w.pipeline.db, victim.device_id, sub, T0)
    async with running(w) as apps:
        await proximity_breach(w)
        (warning,) = await messages_to(w, victim, "alert")
        assert await apps.notifier.deliver(warning) is None
    assert push_service.requests == []
    assert records.subscription(w.pipeline.db, victim.device_id) is None  # dropped
