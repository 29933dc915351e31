"""Login, logout, the current user (user management is in `users.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from korgoo.api.auth import COOKIE, LoginError, login
from korgoo.api.deps import ApiDep, SessionDep
from korgoo.api.responses import LoginOut, SessionOut
from korgoo.api.schemas import LoginIn, SessionPatch, iso
from korgoo.api.views import user_json
from korgoo.store import user_push
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.users import delete_session, get_user, set_language

router = APIRouter(tags=["session"])


@router.post("/session", response_model=LoginOut)
async def log_in(
    body: LoginIn, api: ApiDep, request: Request, response: Response
) -> dict[str, Any]:
    """Log in with user name, password and (for operators and supervisors) the
    current TOTP code. Sets the session cookie; returns the user and the CSRF token.
    Repeated failures from one address make it wait (429 with Retry-After)."""
    now = api.auth_clock()
    source = request.client.host if request.client else ""
    try:
        session = await run_in_threadpool(
            login,
            api.db,
            api.settings,
            body.username,
            body.password,
            body.totp,
            now=now,
            source=source,
        )
    except LoginError as e:
        headers = None if e.retry_after is None else {"Retry-After": str(e.retry_after)}
        raise HTTPException(e.status, e.message, headers=headers) from None
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(api.settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=api.settings.secure_cookies,
    )
    await run_in_threadpool(_audit, api, session.user.username, "session.login", now)
    return {
        "user": user_json(session.user),
        "csrf": session.csrf,
        "expires_at": iso(session.expires_at),
    }


def _audit(api: ApiDep, actor: str, action: str, at: float) -> None:
    with begin_write(api.db) as conn:
        audit_append(conn, actor, action, f"user:{actor}", at=at)


@router.get("/session", response_model=SessionOut)
def current(session: SessionDep) -> dict[str, Any]:
    return {"user": user_json(session.user), "csrf": session.csrf}


@router.patch("/session", response_model=SessionOut)
def change_language(body: SessionPatch, session: SessionDep, api: ApiDep) -> dict[str, Any]:
    """Set the user's interface language (kept on the user, for every session)."""
    set_language(api.db, session.user.username, body.language)
    user = get_user(api.db, session.user.username)
    assert user is not None  # the session holds it
    return {"user": user_json(user), "csrf": session.csrf}


@router.delete("/session", status_code=204)
def log_out(session: SessionDep, api: ApiDep, response: Response) -> Response:
    delete_session(api.db, session.token_hash)
    with begin_write(api.db) as conn:  # no more Web Push to the browser he left
        user_push.drop_session(conn, session.token_hash)
    api.streams.end(session.token_hash)
    _audit(api, session.user.username, "session.logout", api.auth_clock())
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=api.settings.secure_cookies
    )
    response.status_code = 204
    return response
