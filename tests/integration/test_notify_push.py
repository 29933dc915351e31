"""Web Push to the console users an alert is offered to, with real parts: the
centre of test_notify_units (a real Pipeline, the SMS gateway and SMTP server
run here) and the push service of test_apps_delivery standing in for FCM,
which gets the encrypted, VAPID-signed request and answers as FCM would.

A duty officer who switched on "Notify this phone" gets the offer to his unit
there (in his language, the district and priority, no position) and no SMS;
one without a browser subscribed is texted; a subscription the push service
says is gone (410) is dropped and the message passes to SMS at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import http_ece  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02  # type: ignore[import-untyped]

from korgoo.apps.push import Pusher, load_pusher
from korgoo.apps.service import dispatcher
from korgoo.notify.dispatcher import Dispatcher
from korgoo.store import notifications as outbox
from korgoo.store import user_push
from korgoo.store.app_records import Subscription

from .sms_gateway import Gateway
from .test_apps_delivery import FCM, PushService, b64url, push_service_fixture
from .test_notify import OKT, Centre, gateway, smtp
from .test_notify_units import DUTY_OKT, VICTIM_POS, centre, lines, offered, police, user

__all__ = ["centre", "gateway", "push_service_fixture", "smtp"]


@dataclass
class Browser:
    """A browser's side of a push subscription: its P-256 key pair and auth secret."""

    path: str
    key: ec.EllipticCurvePrivateKey
    secret: bytes

    @classmethod
    def new(cls, path: str) -> Browser:
        return cls(path, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def subscription(self) -> Subscription:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return Subscription(f"{FCM}{self.path}", b64url(public), b64url(self.secret))

    def read(self, payload: bytes) -> dict[str, object]:
        plain = http_ece.decrypt(
            payload, private_key=self.key, auth_secret=self.secret, version="aes128gcm"
        )
        message: dict[str, object] = json.loads(plain)
        return message


@pytest.fixture
def pusher(centre: Centre) -> Callable[[], Awaitable[Pusher]]:
    signer = load_pusher(centre.db, centre.settings, centre.clock.t)

    async def get() -> Pusher:
        return signer

    return get


@pytest.fixture
async def sender(centre: Centre, pusher: Callable[[], Awaitable[Pusher]]) -> Dispatcher:
    """The centre's dispatcher with the push channel (the apps' key) added."""
    made = dispatcher(centre.db, centre.settings, centre.clock, pusher=pusher)
    assert made is not None
    return made


async def test_a_duty_officer_with_his_phone_subscribed_gets_the_offer_by_push(
    centre: Centre,
    sender: Dispatcher,
    pusher: Callable[[], Awaitable[Pusher]],
    push_service: PushService,
    gateway: Gateway,
) -> None:
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT, language="en")
    phone = Browser.new("/fcm/send/duty-okt-phone")
    user_push.save(centre.db, "duty-okt", phone.subscription, "session-hash", centre.clock.t)
    alert = await offered(centre)
    (row,) = police(centre.db, alert.alert_key)
    assert [tuple(step) for step in row.route] == [("push", "duty-okt"), ("sms", DUTY_OKT)]
    assert lines(centre.db, alert.alert_key, row.id) == [("queued", "push")]

    await sender.run_once()
    (request,) = push_service.requests
    method, path, headers, payload = request
    assert (method, path) == ("POST", "/fcm/send/duty-okt-phone")
    assert headers["content-encoding"] == "aes128gcm"
    assert Vapid02.verify(headers["authorization"])
    assert f"k={(await pusher()).public_key}" in headers["authorization"]
    assert b"Oktyabrsky" not in payload  # encrypted for his browser only
    message = phone.read(payload)
    assert message["event"] == "unit_alert"
    data = message["data"]
    assert isinstance(data, dict)
    assert data["title"] == "Korgoo: P1 alert"
    assert data["body"] == "New alert P1 in Oktyabrsky District: open Korgoo"
    assert data["url"] == (
        f"{centre.settings.public_url}/police#{alert.alert_key.replace(':', '%3A')}"
    )
    assert (data["id"], data["lang"]) == (row.id, "en")
    for leak in (f"{VICTIM_POS[0]:.3f}", f"{VICTIM_POS[1]:.3f}"):
        assert leak not in json.dumps(message)  # never a position

    assert [m for m in gateway.handset if m["to"] == DUTY_OKT] == []  # no SMS as well
    sent = outbox.get(centre.db, row.id)
    assert sent is not None and (sent.status, sent.channel) == ("sent", "push")
    assert lines(centre.db, alert.alert_key, row.id) == [("queued", "push"), ("sent", "push")]
    assert await sender.run_once() == 0  # sent once


async def test_a_duty_officer_without_a_subscription_is_texted(
    centre: Centre, sender: Dispatcher, push_service: PushService, gateway: Gateway
) -> None:
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT)
    alert = await offered(centre)
    (row,) = police(centre.db, alert.alert_key)
    assert [tuple(step) for step in row.route] == [("sms", DUTY_OKT)]
    await sender.run_once()
    assert push_service.requests == []
    (sms,) = [m for m in gateway.handset if m["to"] == DUTY_OKT]
    assert sms["text"].startswith("Korgoo: оповещение P1 для вашего подразделения")
    assert lines(centre.db, alert.alert_key, row.id) == [("queued", "sms"), ("sent", "sms")]


async def test_a_gone_subscription_is_dropped_and_the_offer_is_texted(
    centre: Centre, sender: Dispatcher, push_service: PushService, gateway: Gateway
) -> None:
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT)
    phone = Browser.new("/fcm/send/uninstalled")
    user_push.save(centre.db, "duty-okt", phone.subscription, "session-hash", centre.clock.t)
    push_service.gone.add(phone.path)
    alert = await offered(centre)
    (row,) = police(centre.db, alert.alert_key)
    await sender.run_once()  # 410: dropped, and on to SMS at once
    assert len(push_service.requests) == 1
    assert user_push.of_user(centre.db, "duty-okt") == []
    await sender.run_once()
    assert len([m for m in gateway.handset if m["to"] == DUTY_OKT]) == 1
    assert lines(centre.db, alert.alert_key, row.id) == [
        ("queued", "push"),
        ("retrying", "push"),
        ("sent", "sms"),
    ]


async def test_one_browser_gone_of_two_the_other_still_gets_it(
    centre: Centre, sender: Dispatcher, push_service: PushService, gateway: Gateway
) -> None:
    user(centre.db, "duty-okt", "police_duty_officer", [OKT], phone=DUTY_OKT, language="ky")
    old, new = Browser.new("/fcm/send/old-phone"), Browser.new("/fcm/send/new-phone")
    for browser in (old, new):
        user_push.save(centre.db, "duty-okt", browser.subscription, "s", centre.clock.t)
    push_service.gone.add(old.path)
    alert = await offered(centre)
    (row,) = police(centre.db, alert.alert_key)
    await sender.run_once()
    assert sorted(r[1] for r in push_service.requests) == [new.path, old.path]
    assert user_push.of_user(centre.db, "duty-okt") == [new.subscription]
    (payload,) = [r[3] for r in push_service.requests if r[1] == new.path]
    data = new.read(payload)["data"]
    assert isinstance(data, dict) and "Октябрь району" in str(data["body"])
    assert [m for m in gateway.handset if m["to"] == DUTY_OKT] == []
    assert lines(centre.db, alert.alert_key, row.id) == [("queued", "push"), ("sent", "push")]
