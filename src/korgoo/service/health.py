"""Liveness and readiness of the process and of each gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from korgoo.service.pipeline import Pipeline


@dataclass
class Health:
    pipeline: Pipeline
    gateways: dict[str, str] = field(default_factory=dict)  # name -> state

    def set(self, name: str, state: str) -> None:
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
