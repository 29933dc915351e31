"""Console users and their sessions.

Passwords are stored as argon2id hashes. A session's cookie token is never
stored: only its sha256, so a copy of the database does not log anyone in.
Lockout state (failed logins in a row, locked until) lives on the user row so
that every process of a deployment sees the same count.

What a role may do is not decided here (see `korgoo.api.permissions`): the store
keeps the role's name and the user's districts (jurisdiction codes; empty = all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import argon2
import msgspec
import sqlalchemy as sa

from korgoo.store.schema import sessions, users

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
    failed_logins: int = 0
    locked_until: float | None = None
    disabled: bool = False
    has_totp: bool = False


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
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        disabled=row.disabled,
        has_totp=row.totp_secret is not None,
    )


def create_user(
    conn: sa.Connection,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    districts: Sequence[str] = (),
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
        "password_hash": _hasher.hash(password),
        "totp_secret": totp_secret,
        "language": language,
        "failed_logins": 0,
        "locked_until": None,
        "disabled": False,
        "created_at": at,
    }
    conn.execute(sa.insert(users).values(row))
    return _user(conn.execute(sa.select(users).where(users.c.username == username)).one())


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


def record_login_failure(
    engine: sa.Engine, username: str, *, at: float, max_failures: int, lockout_s: float
) -> float | None:
    """Count one failed login; lock the account after `max_failures` in a row.
    Returns the time the account is locked until, or None if it is not locked."""
    with engine.begin() as conn:
        failed = conn.scalar(
            sa.update(users)
            .where(users.c.username == username)
            .values(failed_logins=users.c.failed_logins + 1)
            .returning(users.c.failed_logins)
        )
        if failed is None or failed < max_failures:
            return None
        until = at + lockout_s
        conn.execute(
            sa.update(users)
            .where(users.c.username == username)
            .values(failed_logins=0, locked_until=until)
        )
        return until


def record_login_success(engine: sa.Engine, username: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(users)
            .where(users.c.username == username)
            .values(failed_logins=0, locked_until=None)
        )


def unlock_user(engine: sa.Engine, username: str) -> bool:
    """Lift a lockout at once; False if there is no such user."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(users)
            .where(users.c.username == username)
            .values(failed_logins=0, locked_until=None)
        )
    return result.rowcount > 0


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
