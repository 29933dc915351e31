"""Console users' Web Push subscriptions (the police view on a phone): saved
by the user's browser, read by the outbox's push channel, dropped when the
push service says the subscription is gone or the user logs out of the
browser that made it. Plain functions over an engine or a connection;
callers run them off the event loop."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from korgoo.store.app_records import Subscription
from korgoo.store.dialect import insert
from korgoo.store.schema import user_push_subscriptions as subs


def save(engine: sa.Engine, username: str, sub: Subscription, session: str, at: float) -> None:
    """Keep `sub` for `username`, made in the session with token hash `session`.
    An endpoint already stored (for him or for whoever used this browser
    before) is his now, with the new keys."""
    values = {
        "endpoint": sub.endpoint,
        "username": username,
        "p256dh": sub.p256dh,
        "auth": sub.auth,
        "session": session,
        "created_at": at,
    }
    with engine.begin() as conn:
        statement = insert(conn, subs).values(values)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[subs.c.endpoint],
                set_={k: statement.excluded[k] for k in values if k != "endpoint"},
            )
        )


def of_user(engine: sa.Engine, username: str) -> list[Subscription]:
    query = (
        sa.select(subs.c.endpoint, subs.c.p256dh, subs.c.auth)
        .where(subs.c.username == username)
        .order_by(subs.c.created_at, subs.c.endpoint)
    )
    with engine.connect() as conn:
        return [Subscription(e, k, a) for e, k, a in conn.execute(query)]


def with_push(conn: sa.Connection, usernames: Collection[str]) -> set[str]:
    """Those of `usernames` who have at least one subscription."""
    if not usernames:
        return set()
    query = sa.select(subs.c.username).where(subs.c.username.in_(list(usernames))).distinct()
    return set(conn.execute(query).scalars())


def drop(engine: sa.Engine, endpoint: str, username: str | None = None) -> bool:
    """Forget the subscription at `endpoint` (only if it is `username`'s, when given)."""
    where = subs.c.endpoint == endpoint
    if username is not None:
        where = where & (subs.c.username == username)
    with engine.begin() as conn:
        return conn.execute(sa.delete(subs).where(where)).rowcount > 0


def drop_session(conn: sa.Connection, session: str) -> int:
    """Forget the subscriptions made in a session that ends (logout)."""
    return conn.execute(sa.delete(subs).where(subs.c.session == session)).rowcount
