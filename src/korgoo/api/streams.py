"""The console's open event streams, by session: logging out ends that session's
streams at once (every tab), and shutting down ends them all, so that neither
waits for a stream to notice by itself."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class OpenStream:
    queue: asyncio.Queue[Any]  # the stream's bus subscription; None wakes it
    loop: asyncio.AbstractEventLoop
    ended: bool = False


def _wake(queue: asyncio.Queue[Any]) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(None)


@dataclass
class Streams:
    _open: dict[str, set[OpenStream]] = field(default_factory=dict)
    # log_out runs on a worker thread, the streams on the event loop.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, token_hash: str, queue: asyncio.Queue[Any]) -> OpenStream:
        stream = OpenStream(queue, asyncio.get_running_loop())
        with self._lock:
            self._open.setdefault(token_hash, set()).add(stream)
        return stream

    def close(self, token_hash: str, stream: OpenStream) -> None:
        with self._lock:
            streams = self._open.get(token_hash)
            if streams is not None:
                streams.discard(stream)
                if not streams:
                    del self._open[token_hash]

    def end(self, token_hash: str) -> None:
        """End the streams of one session (it was logged out)."""
        with self._lock:
            streams = list(self._open.pop(token_hash, ()))
        self._stop(streams)

    def end_all(self) -> None:
        """End every stream (the server is shutting down)."""
        with self._lock:
            streams = [s for group in self._open.values() for s in group]
            self._open.clear()
        self._stop(streams)

    @staticmethod
    def _stop(streams: list[OpenStream]) -> None:
        for stream in streams:
            stream.ended = True
            stream.loop.call_soon_threadsafe(_wake, stream.queue)
