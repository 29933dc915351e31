"""Liveness and readiness of the process and of each gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from korgoo.domain.outage import GatewayState, HealthSample
from korgoo.service.pipeline import Pipeline


@dataclass
class Health:
    pipeline: Pipeline
    gateways: dict[str, str] = field(default_factory=dict)  # name -> state
    since: dict[str, float] = field(default_factory=dict)  # name -> when it entered its state

    def set(self, name: str, state: str) -> None:
        if self.gateways.get(name) != state:
            self.since[name] = self.pipeline.clock()
        self.gateways[name] = state

    def report(self) -> dict[str, Any]:
        store_ok = self.pipeline.ready
        running = all(s in ("running", "disabled") for s in self.gateways.values())
        return {
            "live": True,
            "ready": store_ok and running,
            "store": "ok" if store_ok else "cannot commit: not acknowledging",
            "gateways": dict(sorted(self.gateways.items())),
        }

    def sample(self) -> HealthSample:
        """What the outage detection needs (domain.outage)."""
        return HealthSample(
            store_ok=self.pipeline.ready,
            busy_since=self.pipeline.busy_since,
            gateways=tuple(
                GatewayState(name, state, self.since[name])
                for name, state in sorted(self.gateways.items())
            ),
        )
