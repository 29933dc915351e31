"""Logging in: password (argon2), TOTP second factor, lockout, session tokens.

A wrong user name, a wrong password and a wrong code all get the same answer,
so the login form does not tell which user names exist; only a locked account
says that it is locked (and until when), because the person must know to wait
or to call an administrator.

The session token (32 random bytes) goes to the browser in an HttpOnly,
SameSite=Strict cookie; the store keeps its sha256. Each session has its own
CSRF token that every state-changing request must echo in `X-CSRF-Token`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import msgspec
import pyotp
import sqlalchemy as sa

from korgoo.api.permissions import CREATABLE_ROLES, TOTP_ROLES
from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.settings import Settings
from korgoo.store.users import (
    User,
    create_session,
    create_user,
    credentials,
    password_matches,
    record_login_failure,
    record_login_success,
)

COOKIE: Final = "korgoo_session"
CSRF_HEADER: Final = "X-CSRF-Token"
MIN_PASSWORD: Final = 10
WRONG_LOGIN: Final = "Wrong user name, password or code. Check them and try again."


class LoginError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class UserExistsError(ValueError):
    pass


class NewSession(msgspec.Struct, frozen=True):
    user: User
    token: str  # goes to the cookie, never stored
    csrf: str
    expires_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Korgoo")


def needs_totp(role: str) -> bool:
    return role in {r.value for r in TOTP_ROLES}


def _locked_message(until: float) -> str:
    when = datetime.fromtimestamp(until, UTC).strftime("%H:%M UTC")
    return (
        f"This account is locked after repeated failed logins. Try again after {when}, "
        "or ask an administrator to unlock it."
    )


def login(
    db: sa.Engine, settings: Settings, username: str, password: str, totp: str, *, now: float
) -> NewSession:
    """Check the credentials and open a session, or raise LoginError (401 or 423)."""
    found = credentials(db, username)
    if found is not None and found.user.locked_until is not None and found.user.locked_until > now:
        raise LoginError(_locked_message(found.user.locked_until), 423)
    ok = password_matches(None if found is None else found.password_hash, password)
    if found is None:
        raise LoginError(WRONG_LOGIN, 401)
    user = found.user
    if ok and (found.totp_secret is not None or needs_totp(user.role)):
        # A role that needs TOTP but has no secret cannot log in at all.
        ok = found.totp_secret is not None and pyotp.TOTP(found.totp_secret).verify(
            totp.strip(), for_time=int(now), valid_window=1
        )
    if not ok or user.disabled:
        until = record_login_failure(
            db,
            username,
            at=now,
            max_failures=settings.login_max_failures,
            lockout_s=settings.login_lockout_minutes * 60.0,
        )
        if until is not None:
            raise LoginError(_locked_message(until), 423)
        raise LoginError(WRONG_LOGIN, 401)
    record_login_success(db, username)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = now + settings.session_hours * 3600.0
    create_session(
        db, username, token_hash=token_hash(token), csrf=csrf, at=now, expires_at=expires_at
    )
    return NewSession(user, token, csrf, expires_at)


def creatable(role: str) -> bool:
    return role in {r.value for r in CREATABLE_ROLES}


class NewUser(msgspec.Struct, frozen=True):
    user: User
    password: str  # shown once
    totp_secret: str | None
    totp_uri: str | None


def add_user(
    db: sa.Engine,
    username: str,
    *,
    role: str,
    districts: Sequence[str] = (),
    language: str = "ru",
    display_name: str = "",
    password: str | None = None,
    totp_secret: str | None = None,
    now: float,
) -> NewUser:
    """Create a user of a creatable role with a generated password (unless given)
    and, for roles that need it, a TOTP secret. Raises ValueError saying what is wrong."""
    if not creatable(role):
        allowed = sorted(r.value for r in CREATABLE_ROLES)
        raise ValueError(f"role {role!r} cannot be created (yet); choose one of {allowed}")
    if not username.strip() or len(username) > 64:
        raise ValueError("the user name must be 1 to 64 characters")
    unknown = sorted(set(districts) - {j.code for j in JURISDICTIONS})
    if unknown:
        raise ValueError(f"unknown district codes {unknown}")
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if totp_secret is None and needs_totp(role):
        totp_secret = new_totp_secret()
    try:
        with db.begin() as conn:
            user = create_user(
                conn,
                username=username,
                display_name=display_name or username,
                role=role,
                password=password,
                districts=districts,
                totp_secret=totp_secret,
                language=language,
                at=now,
            )
    except sa.exc.IntegrityError:
        raise UserExistsError(f"a user {username!r} already exists") from None
    uri = None if totp_secret is None else totp_uri(totp_secret, username)
    return NewUser(user, password, totp_secret, uri)
