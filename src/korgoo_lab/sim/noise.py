"""How a device misreports where it is, and how its battery runs down.

Position error follows the Android convention that the reported accuracy is the
radius holding the true position with ~68 % probability:

* outdoor 5-15 m and urban canyon 20-40 m: a Gaussian error, correlated from one
  fix to the next (AR(1)), with per-axis sigma = accuracy / 1.6 (so ~72 % inside);
* indoor 30-80 m: a slow drift, a random walk kept within 0.85 of the accuracy
  radius, plus a little white noise;
* occasional jumps: an outlier 200-900 m away whose reported accuracy is either
  large (honest) or falsely small (the dangerous kind).

Coverage gaps (`random_gaps`) are windows without network: the device keeps
fixing, buffers, and uploads when the network returns. Battery: a bracelet lasts
about 2-3 days, a phone about one; signals fire at 20 % and 10 %.
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple

from korgoo_lab.sim.city import Environment

ACCURACY_RANGE_M: dict[Environment, tuple[float, float]] = {
    Environment.OUTDOOR: (5.0, 15.0),
    Environment.URBAN_CANYON: (20.0, 40.0),
    Environment.INDOOR: (30.0, 80.0),
}
SIGMA_PER_ACCURACY = 1.0 / 1.6
LOW_BATTERY_LEVELS = (20.0, 10.0)


class NoisySample(NamedTuple):
    dx: float  # metres east of the true position
    dy: float  # metres north
    acc: float
    jumped: bool


class GpsNoise:
    """Per-device error state: keeps errors correlated in time, as real receivers do."""

    def __init__(
        self,
        rng: random.Random,
        jump_probability: float = 0.002,
        correlation: float = 0.85,
    ) -> None:
        self._rng = rng
        self._jump_p = jump_probability
        self._rho = correlation
        self._zx = rng.gauss(0.0, 1.0)
        self._zy = rng.gauss(0.0, 1.0)
        self._drift = (0.0, 0.0)
        self._env: Environment | None = None
        self._base_acc = 0.0

    def sample(self, env: Environment) -> NoisySample:
        rng = self._rng
        if env is not self._env:
            lo, hi = ACCURACY_RANGE_M[env]
            self._base_acc = rng.uniform(lo, hi)
            self._env = env
            self._drift = (0.0, 0.0)
        lo, hi = ACCURACY_RANGE_M[env]
        acc = min(hi, max(lo, self._base_acc * rng.uniform(0.9, 1.1)))
        if rng.random() < self._jump_p:
            return self._jump()
        if env is Environment.INDOOR:
            dx, dy = self._indoor(acc)
        else:
            k = math.sqrt(1.0 - self._rho**2)
            self._zx = self._rho * self._zx + k * rng.gauss(0.0, 1.0)
            self._zy = self._rho * self._zy + k * rng.gauss(0.0, 1.0)
            sigma = acc * SIGMA_PER_ACCURACY
            dx, dy = self._zx * sigma, self._zy * sigma
        return NoisySample(dx, dy, round(acc, 1), False)

    def _indoor(self, acc: float) -> tuple[float, float]:
        rng = self._rng
        ux = self._drift[0] + rng.gauss(0.0, 0.08)
        uy = self._drift[1] + rng.gauss(0.0, 0.08)
        r = math.hypot(ux, uy)
        if r > 0.85:  # reflect back inside the bound
            ux, uy = ux * (1.7 - r) / r, uy * (1.7 - r) / r
        self._drift = (ux, uy)
        return (ux + rng.gauss(0.0, 0.05)) * acc, (uy + rng.gauss(0.0, 0.05)) * acc

    def _jump(self) -> NoisySample:
        rng = self._rng
        d = rng.uniform(200.0, 900.0)
        a = rng.uniform(0.0, 2 * math.pi)
        acc = rng.uniform(5.0, 15.0) if rng.random() < 0.5 else d * rng.uniform(0.8, 1.5)
        return NoisySample(d * math.cos(a), d * math.sin(a), round(acc, 1), True)


def random_gaps(
    rng: random.Random,
    start: float,
    end: float,
    per_hour: float = 0.05,
    min_s: float = 60.0,
    max_s: float = 600.0,
) -> list[tuple[float, float]]:
    """Non-overlapping windows without network coverage (a Poisson process)."""
    gaps: list[tuple[float, float]] = []
    if per_hour <= 0:
        return gaps
    t = start
    while True:
        t += rng.expovariate(per_hour / 3600.0)
        if t >= end:
            return gaps
        length = rng.uniform(min_s, max_s)
        gaps.append((t, t + length))
        t += length


class Battery:
    """Charge level over time; reports the low-battery levels it crosses downwards."""

    def __init__(self, level: float, life_h: float, charge_per_h: float, t: float) -> None:
        self.level = level
        self.drain_per_s = 100.0 / (life_h * 3600.0)
        self.charge_per_s = charge_per_h / 3600.0
        self._t = t
        self._warned: set[float] = set()

    def advance(self, t: float, charging: bool) -> list[float]:
        before = self.level
        rate = self.charge_per_s if charging else -self.drain_per_s
        self.level = min(100.0, max(0.0, self.level + rate * (t - self._t)))
        self._t = t
        if self.level > 30.0:
            self._warned.clear()
        crossed = [lv for lv in LOW_BATTERY_LEVELS if before > lv >= self.level]
        crossed = [lv for lv in crossed if lv not in self._warned]
        self._warned.update(crossed)
        return crossed

    def run_down(self, level: float, hours_left: float) -> None:
        """The device is no longer charged: `level` percent left for `hours_left` hours."""
        self.level = min(self.level, level)
        self.drain_per_s = self.level / (hours_left * 3600.0)
