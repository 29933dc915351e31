"""The main HTTP application (FastAPI): health, Prometheus metrics, native ingest."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from korgoo import __version__
from korgoo.gateways.http import native_router
from korgoo.runtime.health import Health
from korgoo.runtime.pipeline import Pipeline


def create_app(pipeline: Pipeline, health: Health) -> FastAPI:
    app = FastAPI(
        title="Korgoo",
        version=__version__,
        description="Electronic monitoring of protective orders.",
    )
    app.include_router(native_router(pipeline, pipeline.clock), tags=["ingest"])

    @app.get("/health", tags=["operations"])
    async def get_health() -> JSONResponse:
        """Liveness and readiness, per gateway. 503 while not ready (e.g. the store
        cannot commit): a load balancer then sends devices elsewhere."""
        report = health.report()
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    @app.get("/metrics", tags=["operations"])
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
