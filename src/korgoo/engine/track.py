"""A party's recent positions, kept small: the live fix plus a decimated ring.

The ring lets a late (buffered) fix of one party be compared with where the
other party was at that time, without any database query.
"""

from __future__ import annotations

from array import array

RING = 16  # entries kept
SPACING_S = 60.0  # at most one ring entry per minute of device time


class Track:
    __slots__ = ("acc", "at", "head", "lat", "lon", "ring", "t")

    def __init__(self) -> None:
        self.t = -1.0  # device time of the live fix; < 0: none yet
        self.at = 0.0
        self.lat = 0.0
        self.lon = 0.0
        self.acc = 0.0
        self.ring: array[float] | None = None
        self.head = 0

    @property
    def known(self) -> bool:
        return self.t >= 0.0

    def update(self, t: float, at: float, lat: float, lon: float, acc: float) -> None:
        self.t, self.at, self.lat, self.lon, self.acc = t, at, lat, lon, acc
        self.remember(t, lat, lon, acc)

    def remember(self, t: float, lat: float, lon: float, acc: float) -> None:
        """Keep a position in the ring only (late fixes never become the live one)."""
        ring = self.ring
        if ring is None:
            ring = self.ring = array("d", [-1.0]) * (RING * 4)
        last = ring[((self.head - 1) % RING) * 4]
        if last < 0.0 or abs(t - last) >= SPACING_S:
            i = self.head * 4
            ring[i], ring[i + 1], ring[i + 2], ring[i + 3] = t, lat, lon, acc
            self.head = (self.head + 1) % RING

    def forget(self) -> None:
        """Sharing paused: the position is no longer evidence of where she is."""
        self.t = -1.0

    def nearest(self, t: float) -> tuple[float, float, float, float] | None:
        """(t, lat, lon, acc) of the kept position closest in time to t."""
        best: tuple[float, float, float, float] | None = None
        best_dt = float("inf")
        if self.t >= 0.0:
            best, best_dt = (self.t, self.lat, self.lon, self.acc), abs(self.t - t)
        ring = self.ring
        if ring is not None:
            for i in range(0, RING * 4, 4):
                rt = ring[i]
                if rt >= 0.0 and abs(rt - t) < best_dt:
                    best_dt = abs(rt - t)
                    best = (rt, ring[i + 1], ring[i + 2], ring[i + 3])
        return best
