"""What the HTTP application exposes depends on its settings: the API's docs only
when asked for, the native ingest only when enabled, and session cookies marked
Secure whenever the centre's public URL is https."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from korgoo.entry.app import create_app
from korgoo.service.health import Health
from korgoo.settings import Settings

from .api_world import World, world_fixture

__all__ = ["world_fixture"]

DOCS = ("/docs", "/redoc", "/openapi.json")


@asynccontextmanager
async def client(
    w: World, settings: Settings, source: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(w.pipeline, Health(w.pipeline), settings, auth_clock=w.auth_clock)
    transport = httpx.ASGITransport(app=app, client=(source, 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://korgoo.test") as c:
        yield c


async def test_api_docs_only_when_a_setting_turns_them_on(w: World) -> None:
    async with client(w, Settings()) as c:
        assert [(await c.get(path)).status_code for path in DOCS] == [404, 404, 404]
    async with client(w, Settings(api_docs=True)) as c:
        assert [(await c.get(path)).status_code for path in DOCS] == [200, 200, 200]
        assert "/api/v1/session" in (await c.get("/openapi.json")).json()["paths"]


async def test_native_ingest_is_gone_when_disabled(w: World) -> None:
    batch = {"messages": []}
    async with client(w, Settings(native_enabled=False)) as c:
        assert (await c.post("/api/v1/ingest", json=batch)).status_code == 404
        assert (await c.get("/api/v1/ingest/schema")).status_code == 404
    async with client(w, Settings()) as c:
        assert (await c.post("/api/v1/ingest", json=batch)).status_code == 401
        assert (await c.get("/api/v1/ingest/schema")).status_code == 200


async def test_session_cookie_is_secure_when_the_public_url_is_https(w: World) -> None:
    for public_url, secure in (
        ("https://centre.example.kg", True),
        ("http://127.0.0.1:8000", False),
    ):
        async with client(w, Settings(public_url=public_url)) as c:
            credentials = {
                "username": "operator",
                "password": w.users["operator"].password,
                "totp": w.totp("operator"),
            }
            login = await c.post("/api/v1/session", json=credentials)
            c.headers["X-CSRF-Token"] = login.json()["csrf"]
            logout = await c.delete("/api/v1/session")
        for r in (login, logout):
            attributes = [a.strip().lower() for a in r.headers["set-cookie"].split(";")]
            assert ("secure" in attributes) is secure, (public_url, r.headers["set-cookie"])


async def test_metrics_only_for_this_machine_or_the_token(w: World) -> None:
    async with client(w, Settings()) as c:
        assert (await c.get("/metrics")).status_code == 200
    async with client(w, Settings(), source="203.0.113.9") as c:
        assert (await c.get("/metrics")).status_code == 403
    async with client(w, Settings(metrics_token="s3cret"), source="203.0.113.9") as c:
        assert (await c.get("/metrics")).status_code == 403
        wrong = {"Authorization": "Bearer nope"}
        assert (await c.get("/metrics", headers=wrong)).status_code == 403
        right = {"Authorization": "Bearer s3cret"}
        response = await c.get("/metrics", headers=right)
        assert response.status_code == 200 and "korgoo_ingest_stored_total" in response.text
    async with client(w, Settings(metrics_token="s3cret")) as c:  # the token rules locally too
        assert (await c.get("/metrics")).status_code == 403
