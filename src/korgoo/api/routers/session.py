"""Login, logout, the current user; and user management for administrators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from korgoo.api.auth import COOKIE, LoginError, UserExistsError, add_user, login
from korgoo.api.deps import ApiDep, SessionDep, not_found, require
from korgoo.api.permissions import Capability
from korgoo.api.responses import LoginOut, NewUserOut, SessionOut, UserOut
from korgoo.api.schemas import LoginIn, SessionPatch, UserIn, iso
from korgoo.api.views import user_json
from korgoo.store.audit import audit_append
from korgoo.store.users import (
    User,
    clear_login_failures,
    delete_session,
    get_user,
    list_users,
    set_language,
    user_exists,
)

router = APIRouter(tags=["session"])
Admin = Annotated[User, Depends(require(Capability.USERS_ADMIN))]


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
    with api.db.begin() as conn:
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
    api.streams.end(session.token_hash)
    _audit(api, session.user.username, "session.logout", api.auth_clock())
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=api.settings.secure_cookies
    )
    response.status_code = 204
    return response


@router.get("/users", tags=["users"], response_model=list[UserOut])
def users(_: Admin, api: ApiDep) -> list[dict[str, Any]]:
    return [user_json(u) for u in list_users(api.db)]


@router.post("/users", status_code=201, tags=["users"], response_model=NewUserOut)
def create(body: UserIn, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Create a user. The password (generated unless given) and the TOTP secret are
    shown in this answer only."""
    try:
        new = add_user(
            api.db,
            body.username,
            role=body.role,
            districts=body.districts,
            language=body.language,
            display_name=body.display_name,
            password=body.password,
            now=api.auth_clock(),
        )
    except ValueError as e:
        raise HTTPException(409 if isinstance(e, UserExistsError) else 422, str(e)) from None
    with api.db.begin() as conn:
        details = {"role": body.role, "districts": body.districts}
        audit_append(conn, admin.username, "user.created", f"user:{body.username}", details)
    return {
        "user": user_json(new.user),
        "password": new.password,
        "totp_secret": new.totp_secret,
        "totp_uri": new.totp_uri,
    }


@router.post("/users/{username}/unlock", tags=["users"], response_model=UserOut)
def unlock(username: str, admin: Admin, api: ApiDep) -> dict[str, Any]:
    """Lift the wait that failed logins put on this user's name, from every address."""
    if not user_exists(api.db, username):
        raise not_found(f"User {username!r}")
    clear_login_failures(api.db, username)
    with api.db.begin() as conn:
        audit_append(conn, admin.username, "user.unlocked", f"user:{username}")
    user = get_user(api.db, username)
    assert user is not None
    return user_json(user)
