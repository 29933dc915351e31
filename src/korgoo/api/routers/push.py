"""Web Push for console users: a logged-in user subscribes his own browser
(the police view's "Notify this phone" switch), asks whether it is
subscribed, and unsubscribes it. The outbox's push channel then sends the
messages to his unit there (docs/notifications.md). The endpoint rules are
the apps' (`apps.push.endpoint_refusal`); the key is the apps' VAPID key.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from korgoo.api.deps import ApiDep, SessionDep
from korgoo.api.responses import SubscribedOut, VapidKeyOut
from korgoo.api.routers.apps import AppsDep, PushSubscriptionIn
from korgoo.apps.push import endpoint_refusal
from korgoo.domain.text import N_
from korgoo.store import user_push
from korgoo.store.app_records import Subscription
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write

router = APIRouter(tags=["push"])
Endpoint = Annotated[str, Query(min_length=1, max_length=1000)]


@router.get("/push/vapid-key", response_model=VapidKeyOut)
async def vapid_key(session: SessionDep, apps: AppsDep) -> dict[str, Any]:
    """The applicationServerKey a browser subscribes with (the apps' key)."""
    return {"public_key": (await apps.pusher()).public_key}


@router.get("/push-subscriptions", response_model=SubscribedOut)
async def subscribed(session: SessionDep, api: ApiDep, endpoint: Endpoint) -> dict[str, Any]:
    """Whether this browser's subscription (its endpoint) is stored for the user."""
    mine = await asyncio.to_thread(user_push.of_user, api.db, session.user.username)
    return {"subscribed": any(s.endpoint == endpoint for s in mine)}


@router.post("/push-subscriptions", status_code=201, response_model=SubscribedOut)
async def subscribe(body: PushSubscriptionIn, session: SessionDep, api: ApiDep) -> dict[str, Any]:
    """Send the user's unit messages to this browser too (until he logs out of it)."""
    refusal = endpoint_refusal(body.endpoint)
    if refusal is not None:
        raise HTTPException(400, N_("'endpoint': {refusal}.", refusal=refusal))
    sub = Subscription(body.endpoint, body.keys.p256dh, body.keys.auth)
    name, at = session.user.username, api.auth_clock()
    await asyncio.to_thread(user_push.save, api.db, name, sub, session.token_hash, at)
    await asyncio.to_thread(_audit, api, name, "push.subscribe", at)
    return {"subscribed": True}


@router.delete("/push-subscriptions", status_code=204)
async def unsubscribe(session: SessionDep, api: ApiDep, endpoint: Endpoint) -> Response:
    """No more messages to this browser (a subscription of another user is not touched)."""
    name = session.user.username
    if await asyncio.to_thread(user_push.drop, api.db, endpoint, name):
        await asyncio.to_thread(_audit, api, name, "push.unsubscribe", api.auth_clock())
    return Response(status_code=204)


def _audit(api: ApiDep, actor: str, action: str, at: float) -> None:
    with begin_write(api.db) as conn:
        audit_append(conn, actor, action, f"user:{actor}", at=at)
