"""Web Push to an app without a live stream (pywebpush: RFC 8291 encryption,
RFC 8292 VAPID). The VAPID key comes from KORGOO_VAPID_PRIVATE_KEY, or is
generated on first run and stored in the database so every process of the
centre signs with the same key the apps subscribed with.

An endpoint is a URL the phone hands over, so the server would POST wherever an
app credential tells it to. Only `https` URLs of the browsers' push services are
taken (`endpoint_refusal`): when the subscription is registered (400 with the
reason) and again right before each send (a stored one that fails is dropped).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush

from korgoo.settings import Settings
from korgoo.store import app_records as records

KEY_NAME = "vapid_private_pem"
TTL_S = 3600  # a push service keeps an undelivered message this long
TIMEOUT_S = 10.0
# The push services of Chrome/Android (FCM), Firefox, Safari and Edge.
PUSH_HOSTS: Final = frozenset({"fcm.googleapis.com", "updates.push.services.mozilla.com"})
PUSH_DOMAINS: Final = (".push.services.mozilla.com", ".push.apple.com", ".notify.windows.com")


def endpoint_refusal(endpoint: str) -> str | None:
    """Why a Web Push endpoint is not taken, or None if it is a known push service's."""
    if any(c.isspace() or c == "\\" for c in endpoint):
        return "the endpoint is not a plain URL"
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:
        return "the endpoint is not a URL"
    if url.scheme != "https":
        return "the endpoint must be an https URL"
    if url.username is not None or url.password is not None:
        return "the endpoint may not carry a user name or password"
    if port not in (None, 443):
        return "the endpoint may not name a port"
    host = (url.hostname or "").lower()
    if host not in PUSH_HOSTS and not host.endswith(PUSH_DOMAINS):
        return f"{host or 'the endpoint'} is not a known push service"
    return None


class Gone(Exception):  # noqa: N818 (says what happened to the subscription)
    """The push service says the subscription no longer exists (404 / 410)."""


class PushFailed(Exception):  # noqa: N818
    """The push service refused or could not be reached."""


class Pusher:
    """Signs and sends Web Push messages with the centre's VAPID key."""

    def __init__(self, key: Vapid02, subject: str) -> None:
        self.key = key
        self.subject = subject

    @property
    def public_key(self) -> str:
        """The applicationServerKey the apps subscribe with (base64url, uncompressed point)."""
        raw = self.key.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return str(b64urlencode(raw))

    async def send(self, sub: records.Subscription, event: str, data: Mapping[str, Any]) -> int:
        """POST one encrypted message; returns the push service's status."""
        body = json.dumps({"event": event, "data": dict(data)}, ensure_ascii=False)
        return await asyncio.to_thread(self._send, sub, body)

    def _send(self, sub: records.Subscription, body: str) -> int:
        refusal = endpoint_refusal(sub.endpoint)
        if refusal is not None:
            raise Gone(refusal)  # never sent; the subscription cannot work
        try:
            response = webpush(
                sub.info(),
                data=body,
                vapid_private_key=self.key,
                vapid_claims={"sub": self.subject},
                ttl=TTL_S,
                timeout=TIMEOUT_S,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise Gone(str(exc)) from None
            raise PushFailed(str(exc)) from None
        except OSError as exc:  # connection refused, DNS, timeout
            raise PushFailed(str(exc)) from None
        return int(getattr(response, "status_code", 0))


def load_pusher(engine: sa.Engine, settings: Settings, now: float) -> Pusher:
    """The pusher with the configured key, or the stored one, or a new one stored now."""
    if settings.vapid_private_key:
        return Pusher(Vapid02.from_string(settings.vapid_private_key), settings.vapid_subject)
    pem = records.stored_key(engine, KEY_NAME)
    if pem is None:
        fresh = Vapid02()
        fresh.generate_keys()
        pem = records.store_key(engine, KEY_NAME, fresh.private_pem().decode(), now)
    return Pusher(Vapid02.from_pem(pem.encode()), settings.vapid_subject)
