"""The in-process bus of the embedded run: every subscriber gets every item.

A slow subscriber must never hold up the engine: its queue is bounded, and
when it is full the oldest item is dropped and counted (a console that fell
behind reloads its state from the API).
"""

from __future__ import annotations

import asyncio
from typing import Any


class LocalBus:
    def __init__(self, maxsize: int = 10_000) -> None:
        self._subscribers: list[asyncio.Queue[Any]] = []
        self._maxsize = maxsize
        self.dropped = 0

    def subscribe(self) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self._maxsize)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None:
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def publish(self, item: Any) -> None:
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(item)
