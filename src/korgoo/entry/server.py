"""`korgoo serve`: every gateway, the engine and the store in one process."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal

import structlog
import uvicorn

from korgoo.entry.app import create_app, end_streams
from korgoo.entry.checkpoints import checkpoint_periodically
from korgoo.entry.embedded_http import EmbeddedServer
from korgoo.entry.retention import retain_periodically
from korgoo.gateways.gt06 import serve_gt06
from korgoo.gateways.http import osmand_app
from korgoo.gateways.http_head import head_timeout_protocol
from korgoo.gateways.mqtt import run_mqtt
from korgoo.gateways.watch import serve_watch
from korgoo.service.health import Health
from korgoo.service.pipeline import Pipeline
from korgoo.settings import Settings
from korgoo.store.db import migrate, open_engine

log = structlog.get_logger("korgoo.server")


def run(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM, on uvloop when it is installed (measured:
    event-loop CPU per Watch round 124 us on asyncio's loop, 98 us on uvloop)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(settings))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(settings))


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    migrate(settings.database_url)
    pipeline = Pipeline(open_engine(settings.database_url), settings)
    await pipeline.start()
    health = Health(pipeline)
    servers: list[asyncio.Server] = []
    tasks: list[asyncio.Task[None]] = []
    host = settings.http_host

    tcp = (
        ("watch", settings.watch_enabled, serve_watch, settings.watch_port),
        ("gt06", settings.gt06_enabled, serve_gt06, settings.gt06_port),
    )
    for name, enabled, start, port in tcp:
        if not enabled:
            health.set(name, "disabled")
            continue
        servers.append(await start(pipeline, host, port, settings=settings))
        health.set(name, "running")

    uvicorns: list[EmbeddedServer] = []
    app = create_app(pipeline, health)
    api = EmbeddedServer(
        uvicorn.Config(
            app,
            host=host,
            port=settings.http_port,
            log_level="warning",
            http=head_timeout_protocol(settings.http_head_timeout_s, "native"),
        ),
        on_shutdown=lambda: end_streams(app),
    )
    uvicorns.append(api)
    health.set("native", "running" if settings.native_enabled else "disabled")
    if settings.osmand_enabled:
        uvicorns.append(
            EmbeddedServer(
                uvicorn.Config(
                    osmand_app(pipeline, settings),
                    host=host,
                    port=settings.osmand_port,
                    log_level="warning",
                    access_log=False,
                    lifespan="off",
                    backlog=4096,
                    http=head_timeout_protocol(settings.http_head_timeout_s, "osmand"),
                )
            )
        )
        health.set("osmand", "running")
    else:
        health.set("osmand", "disabled")
    for server in uvicorns:
        tasks.append(asyncio.create_task(server.serve()))

    if settings.mqtt_enabled:
        health.set("mqtt", "connecting")
        on_state = functools.partial(health.set, "mqtt")  # running, or the broker unreachable
        tasks.append(asyncio.create_task(run_mqtt(pipeline, settings, stop, on_state=on_state)))
    else:
        health.set("mqtt", "disabled")

    tasks.append(asyncio.create_task(checkpoint_periodically(pipeline.db, settings, stop)))
    tasks.append(asyncio.create_task(retain_periodically(pipeline.db, settings, stop)))
    log.info("serving", api=settings.http_port, gateways=health.gateways)
    await stop.wait()
    for server in uvicorns:
        server.should_exit = True
    for s in servers:
        s.close()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)
    await pipeline.stop()
