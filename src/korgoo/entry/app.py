"""The main HTTP application (FastAPI): health, Prometheus metrics, native ingest
(unless KORGOO_NATIVE_ENABLED=false), and the console's JSON API under /api/v1
(OpenAPI at /docs only with KORGOO_API_DOCS=true).

Every error is `{"detail": "<message a person understands>"}`, including the
validation errors FastAPI raises for malformed requests.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import fastapi
import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException

from korgoo import __version__
from korgoo.api import sse
from korgoo.api.deps import Api, Clock
from korgoo.api.pages.apps import apps_router
from korgoo.api.pages.console import LANGUAGE_COOKIE, pages_router, static_files
from korgoo.api.routers import (
    agencies,
    alerts,
    audit,
    caseload,
    checkin_review,
    devices,
    escalation,
    evidence,
    handover,
    notify,
    orders,
    outage,
    persons,
    police,
    push,
    requests,
    session,
    statistics,
    tiles,
    tracks,
    users,
)
from korgoo.api.routers.apps import app_router, operator_router
from korgoo.api.routers.ingest import native_router
from korgoo.api.schemas import ErrorOut
from korgoo.apps.service import Apps
from korgoo.domain.text import N_
from korgoo.service.health import Health
from korgoo.service.outage import OutageWatch
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.web.i18n import say
from korgoo.web.validation import describe_errors, request_language

API_PREFIX = "/api/v1"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# Translators: the store could not take the request (SQLite locked).
_BUSY = N_("The database is busy; nothing was changed. Try again in a moment.")


log = structlog.get_logger("korgoo.api")


def end_streams(app: FastAPI) -> None:
    """End the console's and the phones' live streams (the server is stopping)."""
    app.state.api.streams.end_all()
    app.state.apps.hub.end_all()


def create_app(
    pipeline: Pipeline,
    health: Health,
    settings: Settings | None = None,
    *,
    auth_clock: Clock = time.time,
) -> FastAPI:
    settings = settings or pipeline.settings
    apps = Apps(pipeline, pipeline.db, settings)
    watch = OutageWatch(health, pipeline.db, settings, pipeline.clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The apps' notifier and check-in scheduler, and the outage watch, run
        # while the server does.
        await apps.start()
        watch.start()
        try:
            yield
        finally:
            await watch.stop()
            await apps.stop()

    docs = settings.api_docs  # a map of every route is for development, not production
    app = FastAPI(
        title="Korgoo",
        version=__version__,
        description="Electronic monitoring of protective orders.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.api = Api(pipeline, pipeline.db, settings, auth_clock)
    app.state.apps = apps
    app.state.outage = watch
    if settings.native_enabled:
        app.include_router(native_router(pipeline, pipeline.clock), tags=["ingest"])
    # evidence before alerts: `/alerts/{key:path}` would take its paths.
    for module in (
        session,
        users,
        agencies,
        persons,
        orders,
        devices,
        evidence,
        alerts,
        tracks,
        audit,
        statistics,
        notify,
        handover,
        checkin_review,
        police,
        requests,
        outage,
        caseload,
        escalation,
        push,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(sse.router, prefix=API_PREFIX)
    app.include_router(tiles.router)  # beside /static: the maps' streets
    app.include_router(operator_router, prefix=API_PREFIX)
    app.include_router(app_router)
    app.include_router(pages_router(app.state.api.settings))
    app.include_router(apps_router(app.state.api.settings))
    app.mount("/static", static_files(), name="static")
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(sa.exc.OperationalError, _store_busy)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    @app.get("/health", tags=["operations"])
    async def get_health() -> JSONResponse:
        """Liveness and readiness, per gateway. 503 while not ready (e.g. the store
        cannot commit): a load balancer then sends devices elsewhere."""
        report = health.report()
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request, app.state.api.settings.metrics_token):
            raise fastapi.HTTPException(
                403, N_("Metrics are for the centre's monitoring: use its token, or this machine.")
            )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def metrics_allowed(request: Request, token: str) -> bool:
    """A scraper with the token, or (without a token set) one on this machine."""
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    return host in LOOPBACK


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, saying what a 422 really carries: one sentence in
    `detail` (see `describe_errors`), not FastAPI's list of error objects."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in components:
            components["HTTPValidationError"] = ErrorOut.model_json_schema()
            components.pop("ValidationError", None)
        app.openapi_schema = schema
    return app.openapi_schema


def _language(request: Request) -> str:
    return request_language(
        request.headers.get("accept-language", ""), request.cookies.get(LANGUAGE_COOKIE)
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """The refusal in the reader's language: routes raise with a `Text` (message id
    and values), translated here; `detail` stays one readable sentence."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = say(exc.detail, _language(request))
    return JSONResponse({"detail": detail}, exc.status_code, headers=exc.headers)


async def _store_busy(request: Request, exc: Exception) -> Response:
    """The store could not take the request now (on SQLite: another writer held the
    lock): nothing was changed, and the request can simply be sent again."""
    log.warning("store_busy", error=str(exc).splitlines()[0])
    return JSONResponse(
        {"detail": say(_BUSY, _language(request))},
        503,
        headers={"Retry-After": "1"},
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": describe_errors(exc.errors(), _language(request))}, 422)
