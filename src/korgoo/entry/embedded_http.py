"""uvicorn run inside a Korgoo process's own event loop."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator

import uvicorn

# Past this, requests still running at shutdown are cancelled.
GRACEFUL_SHUTDOWN_S = 5


class EmbeddedServer(uvicorn.Server):
    """The process owns SIGINT and SIGTERM (it stops the pipeline in order), not uvicorn.

    `on_shutdown` runs first when the server stops: it ends the streams that
    would otherwise keep uvicorn waiting for their connections to close."""

    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None] | None = None):
        if config.timeout_graceful_shutdown is None:
            config.timeout_graceful_shutdown = GRACEFUL_SHUTDOWN_S
        super().__init__(config)
        self.on_shutdown = on_shutdown

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.on_shutdown is not None:
            self.on_shutdown()
        await super().shutdown(sockets)
