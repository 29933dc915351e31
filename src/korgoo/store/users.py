"""Console users and their sessions.

Passwords are stored as argon2id hashes. A session's cookie token is never
stored: only its sha256, so a copy of the database does not log anyone in.
The last TOTP time step used to log in lives on the user row, and failed logins
per (user name as typed, source address) in `login_failures`, so that every
process of a deployment sees the same state.

What a role may do is not decided here (see `korgoo.api.permissions`): the store
keeps the role's name and the user's districts (jurisdiction codes; empty = all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import argon2
import msgspec
import sqlalchemy as sa

from korgoo.domain.agencies import default_agency
from korgoo.store.schema import login_failures, sessions, user_push_subscriptions, users

LANGUAGES = ("ru", "ky", "en")

_hasher = argon2.PasswordHasher()
# Verified against when the user name is unknown, so that answer takes as long.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class User(msgspec.Struct, frozen=True):
    username: str
    display_name: str
    role: str
    districts: tuple[str, ...]
    language: str
    created_at: float
    disabled: bool = False
    has_totp: bool = False
    agency: str | None = None  # the agency's id (domain/agencies.py)
    phone: str | None = None  # where the messages to his unit reach him (SMS)
    email: str | None = None


class Credentials(msgspec.Struct, frozen=True):
    user: User
    password_hash: str
    totp_secret: str | None


def _user(row: sa.Row[Any]) -> User:
    return User(
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        districts=tuple(row.districts or ()),
        language=row.language,
        created_at=row.created_at,
        disabled=row.disabled,
        has_totp=row.totp_secret is not None,
        agency=row.agency_id,
        phone=row.phone,
        email=row.email,
    )


def create_user(
    conn: sa.Connection,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    districts: Sequence[str] = (),
    agency: str | None = None,
    totp_secret: str | None = None,
    language: str = "ru",
    at: float,
) -> User:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {list(LANGUAGES)}, not {language!r}")
    row = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "districts": list(districts),
        "agency_id": agency,
        "password_hash": _hasher.hash(password),
        "totp_secret": totp_secret,
        "language": language,
        "disabled": False,
        "created_at": at,
    }
    conn.execute(sa.insert(users).values(row))
    return _user(conn.execute(sa.select(users).where(users.c.username == username)).one())


def fill_agencies(conn: sa.Connection) -> None:
    """Give the users created before agencies existed the agency their role and
    districts point to (a user it does not say stays without one, for the
    administrator to choose)."""
    query = sa.select(users.c.username, users.c.role, users.c.districts).where(
        users.c.agency_id.is_(None)
    )
    for username, role, districts in conn.execute(query).all():
        agency = default_agency(role, list(districts or ()))
        if agency is not None:
            conn.execute(
                sa.update(users).where(users.c.username == username).values(agency_id=agency.id)
            )


def get_user(engine: sa.Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return None if row is None else _user(row)


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.username))]


def credentials(engine: sa.Engine, username: str) -> Credentials | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None:
        return None
    return Credentials(_user(row), row.password_hash, row.totp_secret)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Slow by design (argon2). With no stored hash (unknown user) a dummy hash is
    checked, so the answer takes as long and says nothing about the user name."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def use_totp_step(engine: sa.Engine, username: str, step: int) -> bool:
    """Mark TOTP time step `step` used; False if it or a later one already was.
    One conditional update, so two logins racing with one code cannot both win."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(users)
            .where(users.c.username == username)
            .where(sa.or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
            .values(totp_last_step=step)
        )
    return result.rowcount == 1


def login_failure_count(engine: sa.Engine, username: str, source: str) -> tuple[int, float]:
    """(failed logins in a row, time of the last) for this user name and address."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(login_failures.c.failures, login_failures.c.last_at).where(
                login_failures.c.username == username, login_failures.c.source == source
            )
        ).first()
    return (0, 0.0) if row is None else (row.failures, row.last_at)


def record_login_failure(
    engine: sa.Engine, username: str, source: str, *, at: float, forget_before: float
) -> int:
    """Count one failed login of this user name from this address; failures last
    seen before `forget_before` start again from zero (and are cleared away).
    Returns the failures in a row now."""
    key = (login_failures.c.username == username, login_failures.c.source == source)
    try:
        with engine.begin() as conn:
            conn.execute(sa.delete(login_failures).where(login_failures.c.last_at < forget_before))
            failed = conn.scalar(
                sa.update(login_failures)
                .where(*key)
                .values(failures=login_failures.c.failures + 1, last_at=at)
                .returning(login_failures.c.failures)
            )
            if failed is None:
                values = {"username": username, "source": source, "failures": 1, "last_at": at}
                conn.execute(sa.insert(login_failures).values(values))
                failed = 1
    except sa.exc.IntegrityError:
        # A concurrent first failure inserted the row: count this one on it.
        with engine.begin() as conn:
            failed = conn.scalar(
                sa.update(login_failures)
                .where(*key)
                .values(failures=login_failures.c.failures + 1, last_at=at)
                .returning(login_failures.c.failures)
            )
    return int(failed or 1)


def clear_login_failures(engine: sa.Engine, username: str, source: str | None = None) -> None:
    """Forget the failed logins of a user name: from one address, or from all."""
    query = sa.delete(login_failures).where(login_failures.c.username == username)
    if source is not None:
        query = query.where(login_failures.c.source == source)
    with engine.begin() as conn:
        conn.execute(query)


def user_exists(engine: sa.Engine, username: str) -> bool:
    with engine.connect() as conn:
        found = conn.scalar(sa.select(users.c.username).where(users.c.username == username))
    return found is not None


def set_language(engine: sa.Engine, username: str, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {list(LANGUAGES)}, not {language!r}")
    with engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.username == username).values(language=language))


def create_session(
    engine: sa.Engine, username: str, *, token_hash: str, csrf: str, at: float, expires_at: float
) -> None:
    """Store a new session; sessions already expired are cleared on the way."""
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.expires_at <= at))
        conn.execute(
            sa.insert(sessions).values(
                token_hash=token_hash,
                username=username,
                csrf=csrf,
                created_at=at,
                expires_at=expires_at,
            )
        )


def session_user(engine: sa.Engine, token_hash: str, *, now: float) -> tuple[User, str] | None:
    """The user of a live session and its CSRF token; None if unknown, expired or
    the user is disabled."""
    query = (
        sa.select(users, sessions.c.csrf)
        .join(sessions, sessions.c.username == users.c.username)
        .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now)
        .where(users.c.disabled.is_(False))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (_user(row), row.csrf)


def delete_session(engine: sa.Engine, token_hash: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(sessions).where(sessions.c.token_hash == token_hash))


def end_sessions(conn: sa.Connection, username: str) -> list[str]:
    """End every session of a user (disabled, or a new TOTP secret); returns their
    token hashes, so that their open streams can be ended too. Logged out of
    every browser, he gets no more Web Push in any of them."""
    ended = conn.scalars(
        sa.delete(sessions).where(sessions.c.username == username).returning(sessions.c.token_hash)
    )
    hashes = list(ended)
    conn.execute(
        sa.delete(user_push_subscriptions).where(user_push_subscriptions.c.username == username)
    )
    return hashes


def change_user(
    conn: sa.Connection,
    username: str,
    *,
    role: str | None = None,
    districts: Sequence[str] | None = None,
    agency: str | None = None,
    display_name: str | None = None,
    disabled: bool | None = None,
) -> User | None:
    """Change the fields given, in `conn`'s transaction; None if there is no such user."""
    values: dict[str, object] = {}
    if role is not None:
        values["role"] = role
    if districts is not None:
        values["districts"] = list(districts)
    if agency is not None:
        values["agency_id"] = agency
    if display_name is not None:
        values["display_name"] = display_name
    if disabled is not None:
        values["disabled"] = disabled
    if values:
        conn.execute(sa.update(users).where(users.c.username == username).values(values))
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return None if row is None else _user(row)


def set_contacts(
    conn: sa.Connection, username: str, *, phone: str | None, email: str | None
) -> bool:
    """Where the messages to the user's unit reach him (docs/notifications.md);
    None clears one. False if there is no such user."""
    found = conn.execute(
        sa.update(users)
        .where(users.c.username == username)
        .values(phone=phone or None, email=email or None)
        .returning(users.c.username)
    ).first()
    return found is not None


def set_totp_secret(conn: sa.Connection, username: str, secret: str | None) -> None:
    """Replace a user's TOTP secret (the old one's codes stop working at once)."""
    conn.execute(sa.update(users).where(users.c.username == username).values(totp_secret=secret))


def failed_logins(engine: sa.Engine) -> dict[str, tuple[int, float]]:
    """Per user name: (the most failed logins in a row from one address, the time
    of the last failure), for the names that have any."""
    query = sa.select(
        login_failures.c.username,
        sa.func.max(login_failures.c.failures).label("failures"),
        sa.func.max(login_failures.c.last_at).label("last_at"),
    ).group_by(login_failures.c.username)
    with engine.connect() as conn:
        return {r.username: (int(r.failures), float(r.last_at)) for r in conn.execute(query)}
