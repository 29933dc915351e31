"""Who may call what: every route of the real app, each of its methods and every
identity, against the expected table `authz_table.csv` kept beside this file.

The table is the reviewed statement of access; the test fails on a route of the
app missing from it, on a row naming a route the app no longer has, and on any
answer of another class than the row says. The classes:

- `allowed`: the request passed authentication and authorisation (any answer
  but 401, 403, 404, 405 and the login redirect: a 422 for the empty body sent
  here is fine);
- `401`, `403`, `405`: refused with that status;
- `404`: the route answered "not found" (a record that this identity may not
  see, or a route that exists only for others);
- `login`: a console page redirecting to the login page (303);
- `elsewhere`: a console page the role may not use, sending it to the page it
  lands on (303 to another page).

Identities: anonymous, each console role (logged in through the API, sending the
CSRF token as the console does), a respondent app and a victim app (enrolled
through one-time codes), and a bracelet, whose IMEI is no credential: it
presents its id with a guessed secret.

To review a change of access, write the observed table with
`KORGOO_AUTHZ_WRITE=1 pytest tests/integration/test_api_authz.py` and read the diff.
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from korgoo.api.auth import COOKIE, CSRF_HEADER
from korgoo.domain.terms import DeviceKind
from korgoo.store.devices import enrol_device
from korgoo.web.tiles import open_tiles
from tests.maptiles import BISHKEK, bishkek_tiles, tile_of

from .api_world import World, world_fixture, zone_breach
from .test_apps_world import enrol

__all__ = ["world_fixture"]

TABLE = Path(__file__).with_name("authz_table.csv")
FIELDS = ("route", "method", "identity", "expected")
ROLES = (
    "operator",
    "supervisor",
    "administrator",
    "statistics",
    "police_duty_officer",
    "police_district_inspector",
    "probation_officer",
    "prosecutor",
    "court",
)
ROLE_USERS = {
    "operator": "operator",
    "supervisor": "supervisor",
    "administrator": "admin",
    "statistics": "statistics",
    "police_duty_officer": "police-okt",
    "police_district_inspector": "inspector-okt",
    "probation_officer": "probation-okt",
    "prosecutor": "prosecutor-okt",
    "court": "court-okt",
}
IDENTITIES = ("anonymous", *ROLES, "respondent_app", "victim_app", "bracelet")
SPARE_BRACELET = "bracelet-spare"  # unassigned: a DELETE of its assignment changes nothing
# The methods a route does not declare are checked on this one route (the rest
# is Starlette's routing, the same for every route).
UNDECLARED = ("/api/v1/orders/{order_id}", "PUT")
# Requests that end a session or otherwise change who the identity is go last.
LAST = {("/api/v1/session", "DELETE")}
# Streams answer their status, then run until the client leaves.
STREAM_WAIT_S = 5.0


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    identity: str


def app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (path template, method) the app serves, HEAD aside (Starlette adds it
    to every GET), the static files aside (a mount, public by design)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if method != "HEAD" and route.path:
                found.add((route.path, method))
    return sorted(found)


def concrete(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    assert "{" not in path, path
    return path


QUERIES = {
    "/api/v1/checkins": "order_id=order-okt",
    "/api/v1/tracks/{device_id}": "since=2026-01-01T00:00:00Z&until=2026-01-01T01:00:00Z",
}


async def call(
    app: FastAPI, method: str, path: str, query: str, headers: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """One request through the ASGI interface, answered by the status and headers
    of its response; a stream is left as soon as its status is known."""
    body = b"{}" if method in ("POST", "PUT", "PATCH", "DELETE") else b""
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        raw_headers.append((b"content-type", b"application/json"))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"korgoo.test"), *raw_headers],
        "client": ("127.0.0.1", 50000),
        "server": ("korgoo.test", 80),
        "app": app,
    }
    sent = False
    disconnect = asyncio.Event()
    started: asyncio.Future[tuple[int, dict[str, str]]] = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start" and not started.done():
            got = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            started.set_result((message["status"], got))

    task = asyncio.create_task(app(scope, receive, send))
    waiting: set[asyncio.Future[Any]] = {task, started}
    done, _ = await asyncio.wait(waiting, timeout=STREAM_WAIT_S, return_when="FIRST_COMPLETED")
    if started.done():
        status = started.result()
        disconnect.set()
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return status
    assert task in done, f"{method} {path}: no answer within {STREAM_WAIT_S} s"
    task.result()
    raise AssertionError(f"{method} {path}: the app sent no response")


def outcome(status: int, headers: dict[str, str]) -> str:
    if status in (401, 403, 404, 405):
        return str(status)
    if status == 303 and headers.get("location", "").startswith("/login"):
        return "login"
    if status == 303:
        return "elsewhere"
    assert status < 500, f"a server error: {status}"
    return "allowed"


async def identities(w: World) -> dict[str, dict[str, str]]:
    """The headers each identity sends, its credentials made through the real paths."""
    with w.pipeline.db.begin() as conn:
        enrol_device(conn, SPARE_BRACELET, DeviceKind.BRACELET, protocol="watch", at=w.clock())
    out: dict[str, dict[str, str]] = {
        "anonymous": {},
        "bracelet": {"Authorization": "Device bracelet-okt:000000"},
    }
    for role in ROLES:
        client = await w.login(ROLE_USERS[role])
        token = client.cookies.get(COOKIE)
        assert token is not None
        out[role] = {"Cookie": f"{COOKIE}={token}", CSRF_HEADER: client.headers[CSRF_HEADER]}
        await client.aclose()
    respondent = await enrol(w, "order-okt", "resp-okt", DeviceKind.RESPONDENT_APP.value)
    victim = await enrol(w, "order-okt", "prot-okt", DeviceKind.VICTIM_APP.value)
    out["respondent_app"] = respondent.auth
    out["victim_app"] = victim.auth
    return out


def read_table() -> dict[Row, str]:
    with TABLE.open(newline="") as f:
        return {
            Row(r["route"], r["method"], r["identity"]): r["expected"] for r in csv.DictReader(f)
        }


def write_table(observed: dict[Row, str]) -> None:
    with TABLE.open("w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(FIELDS)
        for row in sorted(
            observed, key=lambda r: (r.route, r.method, IDENTITIES.index(r.identity))
        ):
            out.writerow([row.route, row.method, row.identity, observed[row]])


async def test_every_route_method_and_identity_is_as_the_table_says(
    w: World, tmp_path: Path
) -> None:
    alert_key = await zone_breach(w)
    # The map's tiles, so that the tile route answers a tile to whoever may have it.
    w.app.state.api.tiles = open_tiles(bishkek_tiles(tmp_path / "tiles.pmtiles"))  # type: ignore[attr-defined]
    z, x, y = 13, *tile_of(*BISHKEK, 13)
    headers = await identities(w)
    values = {
        "order_id": "order-okt",
        "person_id": "prot-okt",
        "device_id": SPARE_BRACELET,
        "key": alert_key,
        "alert_key": alert_key,
        "username": "operator",
        "checkin_id": "no-such-checkin",
        "appointment_id": "no-such-appointment",
        "request_id": "no-such-request",
        "code": "KG-GB-SVE",
        "protocol": "watch",
        "ident": "123456789012345",
        "app": "victim",
        "z": str(z),
        "x": str(x),
        "y": str(y),
    }
    app: FastAPI = w.app  # type: ignore[assignment]
    routes = app_routes(app)
    assert routes, "no routes found: has the routing of FastAPI changed?"
    plan = [r for r in routes if r not in LAST] + [r for r in routes if r in LAST] + [UNDECLARED]
    observed: dict[Row, str] = {}
    for identity in IDENTITIES:
        for route, method in plan:
            path = concrete(route, values)
            status, got = await call(app, method, path, QUERIES.get(route, ""), headers[identity])
            observed[Row(route, method, identity)] = outcome(status, got)
    if os.environ.get("KORGOO_AUTHZ_WRITE"):
        write_table(observed)
    expected = read_table()
    missing = sorted(
        {(r.route, r.method) for r in observed} - {(r.route, r.method) for r in expected}
    )
    stale = sorted(
        {(r.route, r.method) for r in expected} - {(r.route, r.method) for r in observed}
    )
    assert not missing, f"routes of the app not in {TABLE.name}: {missing}"
    assert not stale, f"rows of {TABLE.name} naming no route of the app: {stale}"
    wrong = [
        f"{r.method} {r.route} as {r.identity}: expected {expected.get(r)}, got {got}"
        for r, got in observed.items()
        if expected.get(r) != got
    ]
    assert not wrong, "\n".join(wrong)
