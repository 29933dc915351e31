"""Who may speak on a gateway, and how much of an unknown sender is recorded.

`UnknownGate` bounds what unknown senders cost: each gateway records an
identity at most once per window and at most `max_idents` distinct identities
per window, so a flood of made-up identities (700 requests a second measured)
does not turn into as many database writes on the writer the real devices wait for.
The rest are still refused and counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class UnknownGate:
    """Which unknown senders of one gateway are recorded (in memory, per process)."""

    def __init__(
        self,
        *,
        window_s: float = 60.0,
        max_idents: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_idents = max_idents
        self.clock = clock
        self.window_start = clock()
        self.recorded: set[str] = set()

    def admit(self, ident: str) -> bool:
        """Whether to record a message from `ident` now."""
        now = self.clock()
        if now - self.window_start >= self.window_s:
            self.window_start = now
            self.recorded.clear()
        if ident in self.recorded or len(self.recorded) >= self.max_idents:
            return False
        self.recorded.add(ident)
        return True
