"""Logging in: password (argon2), TOTP second factor, back-off, session tokens.

A wrong user name, a wrong password and a wrong code all get the same answer,
in the same time (an unknown name is checked against a dummy argon2 hash), so
the login form does not tell which user names exist.

A TOTP code logs in once: the time step it belongs to is kept on the user, and a
code of that step or an earlier one is refused, so a code seen over a shoulder
or replayed from a proxy log is worthless once used.

No lockout an attacker could use to keep an operator out: failed logins slow
down their (user name, source address) only. After `login_free_failures` in a
row the address waits 1 s, then 2 s, 4 s, ... up to `login_max_wait_s` before
its next try counts (429 with Retry-After); a sign-in from another address is
not affected, a success clears the count, and a day without failures forgets
it. Unknown names are counted and slowed down exactly like known ones. Every
failure goes on the audit log with its reason (unknown user, wrong password,
wrong or reused code, no code set up, disabled; never the password typed), and
so does every start of a wait; an administrator can lift a wait at once.

The session token (32 random bytes) goes to the browser in an HttpOnly,
SameSite=Strict cookie; the store keeps its sha256. Each session has its own
CSRF token that every state-changing request must echo in `X-CSRF-Token`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from typing import Final

import msgspec
import pyotp
import sqlalchemy as sa

from korgoo.api.permissions import CREATABLE_ROLES, DISTRICT_BOUND_ROLES, TOTP_ROLES
from korgoo.domain.agencies import AGENCIES, AGENCY_TYPE_OF_ROLE, Agency, default_agency, fits
from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.domain.text import N_, Text
from korgoo.settings import Settings
from korgoo.store.audit import audit_append
from korgoo.store.db import begin_write
from korgoo.store.users import (
    User,
    clear_login_failures,
    create_session,
    create_user,
    credentials,
    login_failure_count,
    password_matches,
    record_login_failure,
    use_totp_step,
)

COOKIE: Final = "korgoo_session"
CSRF_HEADER: Final = "X-CSRF-Token"
MIN_PASSWORD: Final = 10
WRONG_LOGIN: Final = N_("Wrong user name, password or code. Check them and try again.")
THROTTLED: Final = N_(
    "Too many failed sign-ins from here. Wait a moment, then try again, "
    "or ask an administrator to unlock your account."
)
FORGET_FAILURES_S: Final = 86400.0


class LoginError(Exception):
    def __init__(self, message: Text, status: int, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


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


def backoff_s(failures: int, settings: Settings) -> float:
    """How long an address waits after `failures` failed logins in a row."""
    extra = failures - settings.login_free_failures
    return 0.0 if extra < 0 else min(2.0**extra, settings.login_max_wait_s)


def _totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step (the previous, current or next: clocks drift) whose code this is."""
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _audit(
    db: sa.Engine, action: str, username: str, details: dict[str, object], at: float
) -> None:
    with begin_write(db) as conn:
        audit_append(conn, "anonymous", action, f"user:{username}", details, at=at)


def login(
    db: sa.Engine,
    settings: Settings,
    username: str,
    password: str,
    totp: str,
    *,
    now: float,
    source: str,
) -> NewSession:
    """Check the credentials from address `source` and open a session, or raise
    LoginError (401 wrong, 429 wait `retry_after` seconds first)."""
    failures, last_at = login_failure_count(db, username, source)
    wait = last_at + backoff_s(failures, settings) - now
    if wait > 0:
        # Refused before any check, known name or not; not audited again (the
        # failure that started the wait was), so a flood writes nothing.
        raise LoginError(THROTTLED, 429, retry_after=math.ceil(wait))
    found = credentials(db, username)
    ok = password_matches(None if found is None else found.password_hash, password)
    reason = "unknown_user" if found is None else "" if ok else "wrong_password"
    if found is not None and ok and (found.totp_secret is not None or needs_totp(found.user.role)):
        # A role that needs TOTP but has no secret cannot log in at all.
        step = (
            None if found.totp_secret is None else _totp_step(found.totp_secret, totp.strip(), now)
        )
        ok = step is not None and use_totp_step(db, username, step)
        if found.totp_secret is None:
            reason = "no_totp"
        elif not ok:
            reason = "wrong_totp"
    if found is not None and ok and found.user.disabled:
        ok, reason = False, "disabled"
    if found is None or not ok:
        failures = record_login_failure(
            db, username, source, at=now, forget_before=now - FORGET_FAILURES_S
        )
        # Why it failed is for the audit log only: the answer stays the same.
        details: dict[str, object] = {"source": source, "failures": failures, "reason": reason}
        _audit(db, "session.login_failed", username, details, now)
        if backoff_s(failures, settings) > 0:
            details["wait_s"] = backoff_s(failures, settings)
            _audit(db, "session.throttled", username, details, now)
        raise LoginError(WRONG_LOGIN, 401)
    clear_login_failures(db, username, source)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = now + settings.session_hours * 3600.0
    create_session(
        db, username, token_hash=token_hash(token), csrf=csrf, at=now, expires_at=expires_at
    )
    return NewSession(found.user, token, csrf, expires_at)


def creatable(role: str) -> bool:
    return role in {r.value for r in CREATABLE_ROLES}


class NewUser(msgspec.Struct, frozen=True):
    user: User
    password: str  # shown once
    totp_secret: str | None
    totp_uri: str | None


def place(
    role: str, agency_id: str | None, districts: Sequence[str]
) -> tuple[Agency, tuple[str, ...]]:
    """The agency and districts of a user of `role`: the agency named (else the
    one the role and districts point to), which the role must fit; the districts
    given, else the agency's, within those the agency serves. Raises ValueError
    saying what is wrong, in words the administrator can act on."""
    kind = AGENCY_TYPE_OF_ROLE.get(role)
    if agency_id is None:
        agency = default_agency(role, districts)
        if agency is None:
            raise ValueError(
                f"choose the agency of this {role} (a {kind}): it gives the districts served"
            )
    else:
        found = [a for a in AGENCIES if a.id == agency_id]
        if not found:
            raise ValueError(f"unknown agency {agency_id!r}")
        agency = found[0]
    if not fits(role, agency):
        raise ValueError(
            f"a {role} works in a {kind}, and {agency.name_en} is a {agency.type}: "
            "choose an agency of that type or another role"
        )
    chosen = tuple(districts) or agency.districts
    outside = sorted(set(chosen) - set(agency.districts)) if agency.districts else []
    if outside:
        raise ValueError(
            f"{agency.name_en} does not serve {outside}; it serves {list(agency.districts)}"
        )
    if role in {r.value for r in DISTRICT_BOUND_ROLES} and not chosen:
        raise ValueError(f"a {role} serves districts: give at least one")
    return agency, chosen


def add_user(
    db: sa.Engine,
    username: str,
    *,
    role: str,
    districts: Sequence[str] = (),
    agency: str | None = None,
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
    if role in {r.value for r in DISTRICT_BOUND_ROLES} and not districts and agency is None:
        raise ValueError(f"a {role} serves districts: give at least one, or choose the agency")
    placed, districts = place(role, agency, districts)
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if totp_secret is None and needs_totp(role):
        totp_secret = new_totp_secret()
    try:
        with begin_write(db) as conn:
            user = create_user(
                conn,
                username=username,
                display_name=display_name or username,
                role=role,
                password=password,
                districts=districts,
                agency=placed.id,
                totp_secret=totp_secret,
                language=language,
                at=now,
            )
    except sa.exc.IntegrityError:
        raise UserExistsError(f"a user {username!r} already exists") from None
    uri = None if totp_secret is None else totp_uri(totp_secret, username)
    return NewUser(user, password, totp_secret, uri)
