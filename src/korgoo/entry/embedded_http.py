"""uvicorn run inside a Korgoo process's own event loop."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn


class EmbeddedServer(uvicorn.Server):
    """The process owns SIGINT and SIGTERM (it stops the pipeline in order), not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
