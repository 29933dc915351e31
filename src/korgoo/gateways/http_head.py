"""A limit on how long an HTTP client may take to send its request head.

uvicorn closes a keep-alive connection idle between requests
(`timeout_keep_alive`) and h11 bounds the head's size, but nothing bounds its
time: a client that trickles one header line every few seconds holds a
connection (and its memory) forever, and a few thousand of them starve the
phones. This protocol closes a connection whose request head is not complete
within `head_timeout_s` of the connection opening or of the request's first
byte; the request that completes its head in time is served as usual.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from korgoo.gateways.metrics import REJECTED


def head_timeout_protocol(head_timeout_s: float, protocol: str) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the head time limit; pass it as
    `uvicorn.Config(http=...)`. Closures are counted as `slow_head` rejections
    of `protocol`."""
    slow_head = REJECTED.labels(protocol, "slow_head")

    class HeadTimeoutProtocol(HttpToolsProtocol):
        head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()  # the next request on a keep-alive connection has begun

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def _arm(self) -> None:
            if self.head_timer is None:
                self.head_timer = self.loop.call_later(head_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self.head_timer is not None:
                self.head_timer.cancel()
                self.head_timer = None

        def _too_slow(self) -> None:
            self.head_timer = None
            if not self.transport.is_closing():
                slow_head.inc()
                self.transport.close()

    return HeadTimeoutProtocol
