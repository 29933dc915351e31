"""FastAPI dependencies: the application's context, the session, CSRF, capabilities.

`require(capability)` is the one way a route says what it needs; it implies a
live session and, for state-changing methods, a matching CSRF token.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import sqlalchemy as sa
import structlog
from fastapi import Depends, HTTPException, Request

from korgoo.api.auth import COOKIE, CSRF_HEADER, token_hash
from korgoo.api.permissions import Capability, can
from korgoo.api.streams import Streams
from korgoo.domain.text import N_, Text
from korgoo.service.port import Monitoring
from korgoo.settings import Settings
from korgoo.store.orders import number_and_district
from korgoo.store.users import User, session_user
from korgoo.web.tiles import TileFile, TilesUnusableError, open_tiles

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Clock = Callable[[], float]
log = structlog.get_logger("korgoo.api")


def map_tiles(path: str) -> TileFile | None:
    """The configured tiles file; a file that cannot be used is logged and the maps
    keep their plain grid (a centre without streets still monitors)."""
    if not path:
        return None
    try:
        return open_tiles(path)
    except TilesUnusableError as e:
        log.error("map tiles unusable, the maps show a plain grid", error=str(e))
        return None


@dataclass(frozen=True)
class OrderRef:
    number: str
    district: str


@dataclass
class OrderIndex:
    """Order id -> number and district, for scoping and labelling alerts without a
    query per alert. An order's number and district never change, so entries are
    cached for good; a miss (an order created since) is read once."""

    db: sa.Engine
    _known: dict[str, OrderRef] = field(default_factory=dict)

    def get(self, order_id: str) -> OrderRef | None:
        ref = self._known.get(order_id)
        if ref is None:
            found = number_and_district(self.db, order_id)
            if found is None:
                return None
            ref = self._known[order_id] = OrderRef(*found)
        return ref


@dataclass
class Api:
    """What the routes share, kept on `app.state.api`."""

    service: Monitoring
    db: sa.Engine
    settings: Settings
    # Wall-clock time for sessions and lockouts; the service's clock (which a
    # demo may run in simulated time) stamps alert actions and order versions.
    auth_clock: Clock = time.time
    orders: OrderIndex = field(init=False)
    streams: Streams = field(default_factory=Streams)
    tiles: TileFile | None = field(init=False)  # the map's streets; None: a plain grid

    def __post_init__(self) -> None:
        self.orders = OrderIndex(self.db)
        self.tiles = map_tiles(self.settings.map_tiles)

    def now(self) -> float:
        return self.service.clock()

    async def settle(self) -> None:
        """Wait until the engine has evaluated what was submitted so far, so the
        answer to a request shows the engine's new state."""
        await self.service.settle()


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    token_hash: str


def get_api(request: Request) -> Api:
    api: Api = request.app.state.api
    return api


ApiDep = Annotated[Api, Depends(get_api)]


def optional_session(request: Request, api: ApiDep) -> Session | None:
    """The request's live session, if any (for pages that redirect to /login)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    digest = token_hash(token)
    found = session_user(api.db, digest, now=api.auth_clock())
    return None if found is None else Session(found[0], found[1], digest)


def authenticated(
    request: Request, session: Annotated[Session | None, Depends(optional_session)]
) -> Session:
    if session is None:
        raise HTTPException(401, N_("You are not logged in, or your session has expired. Log in."))
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise HTTPException(
                403,
                N_(
                    "The request lacks a valid {csrf_header} header (the page may be outdated). "
                    "Reload the page and try again.",
                    csrf_header=CSRF_HEADER,
                ),
            )
    return session


SessionDep = Annotated[Session, Depends(authenticated)]


def require(capability: Capability | str) -> Callable[[Session], User]:
    """A dependency giving the current user if their role has `capability`."""
    needed = Capability(capability)

    def check(session: SessionDep) -> User:
        if not can(session.user, needed):
            raise HTTPException(
                403,
                N_(
                    "Your role ({role}) does not have the permission "
                    "'{needed}' this needs. Ask a supervisor.",
                    role=session.user.role,
                    needed=needed.value,
                ),
            )
        return session.user

    return check


def require_any(*capabilities: Capability) -> Callable[[Session], User]:
    """A dependency giving the current user if their role has one of `capabilities`
    (a resource several pages share, such as the map tiles)."""

    def check(session: SessionDep) -> User:
        if not any(can(session.user, c) for c in capabilities):
            names = "', '".join(c.value for c in capabilities)
            raise HTTPException(
                403,
                N_(
                    "Your role ({role}) has none of the permissions "
                    "'{names}' this needs. Ask a supervisor.",
                    role=session.user.role,
                    names=names,
                ),
            )
        return session.user

    return check


def not_found(what: Text) -> HTTPException:
    """404 for a record that does not exist or lies outside the user's districts:
    the same answer, so scoping does not reveal what exists elsewhere."""
    return HTTPException(
        404, N_("{what} was not found, or it is outside your districts.", what=what)
    )
