"""Server-sent events for the console: `GET /api/v1/events/stream`.

- `event: alert` with the alert's JSON each time an alert the user may see
  changes (raised, updated, acknowledged, resolved, ...). Its evidence holds
  nothing her position can be derived from (her fix, the distance to her)
  unless the user may read her location and opened the stream with a
  `reason`, which is written to the audit log once per stream;
- `event: live` with the respondents whose position or state changed, every
  couple of seconds, for users who may read tracks;
- a comment line every 15 s so proxies keep the connection open.

The stream ends with its session (see `stream_events`) and on shutdown.

Each stream is one subscription to the pipeline's bus, dropped on disconnect.
A console that fell behind (the bus drops the oldest items of a slow
subscriber) reloads its state from the API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from korgoo.api.deps import Api, ApiDep, Session, SessionDep, require
from korgoo.api.permissions import Capability, can
from korgoo.api.responses import EVENT_STREAM
from korgoo.api.routers.alerts import location_read, shown, visible
from korgoo.api.routers.tracks import live_positions
from korgoo.api.schemas import ReasonQuery
from korgoo.service.effects import Effects
from korgoo.store.users import User, session_user

router = APIRouter(tags=["events"])
Reader = Annotated[User, Depends(require(Capability.ALERTS_READ))]
HEARTBEAT_S = 15.0
LIVE_EVERY_S = 2.0
RETRY_MS = 3000  # how long a browser waits before reconnecting
SESSION_CHECK_S = 5.0


def frame(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def alert_frames(
    api: Api, user: User, effects: Effects, *, protected_ok: bool = False
) -> list[str]:
    return [
        frame("alert", shown(api, a, protected_ok=protected_ok))
        for a in effects.alerts
        if visible(api, user, a)
    ]


async def stream_events(
    api: Api, session: Session, *, protected_ok: bool = False
) -> AsyncIterator[str]:
    """The stream ends when its session does: at once when logged out (or the
    server shuts down), within SESSION_CHECK_S when it expires or the user is
    disabled; the browser's reconnection then gets 401 and goes to the login."""
    user = session.user
    queue = api.service.subscribe()
    opened = api.streams.open(session.token_hash, queue)
    loop = asyncio.get_running_loop()
    with_live = can(user, Capability.TRACKS_READ)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        seen: dict[str, tuple[Any, str]] = {}
        if with_live:
            for p in await run_in_threadpool(live_positions, api, user):
                seen[p["order_id"]] = (p["t"], p["state"])
        next_beat = loop.time() + HEARTBEAT_S
        next_live = loop.time() + LIVE_EVERY_S
        next_check = loop.time() + SESSION_CHECK_S
        while True:
            wait = min(next_beat, next_check, next_live if with_live else next_beat) - loop.time()
            try:
                effects: Effects | None = await asyncio.wait_for(queue.get(), max(0.0, wait))
            except TimeoutError:
                effects = None
            if opened.ended:
                return
            if loop.time() >= next_check:
                next_check = loop.time() + SESSION_CHECK_S
                if not await run_in_threadpool(_still_live, api, session):
                    return
            if effects is not None and effects.alerts:
                texts = await run_in_threadpool(
                    alert_frames, api, user, effects, protected_ok=protected_ok
                )
                for text in texts:
                    yield text
            now = loop.time()
            if with_live and now >= next_live:
                next_live = now + LIVE_EVERY_S
                changed = []
                for p in await run_in_threadpool(live_positions, api, user):
                    mark = (p["t"], p["state"])
                    if seen.get(p["order_id"]) != mark:
                        seen[p["order_id"]] = mark
                        changed.append(p)
                if changed:
                    yield frame("live", changed)
            if now >= next_beat:
                next_beat = now + HEARTBEAT_S
                yield ": keepalive\n\n"
    finally:
        api.streams.close(session.token_hash, opened)
        api.service.unsubscribe(queue)


def _still_live(api: Api, session: Session) -> bool:
    return session_user(api.db, session.token_hash, now=api.auth_clock()) is not None


@router.get("/events/stream", response_class=StreamingResponse, responses=EVENT_STREAM)
async def events(
    user: Reader, session: SessionDep, api: ApiDep, reason: ReasonQuery = None
) -> StreamingResponse:
    """Live updates as server-sent events (see the module description)."""
    details = {"what": "event stream", "districts": list(user.districts)}
    protected_ok = await run_in_threadpool(
        location_read, api, user, reason, "events:stream", details
    )
    return StreamingResponse(
        stream_events(api, session, protected_ok=protected_ok),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
