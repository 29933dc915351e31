"""The shared conformance vectors: real device messages with the values a decoder
must produce (`../shared/conformance/` beside the repository, or
KORGOO_CONFORMANCE_DIR)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def conformance_dir() -> Path:
    override = os.environ.get("KORGOO_CONFORMANCE_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "conformance"


def vectors(protocol: str) -> list[dict[str, Any]]:
    path = conformance_dir() / f"{protocol}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"conformance vectors not found at {path}: put shared/ beside the repository "
            "or set KORGOO_CONFORMANCE_DIR"
        )
    data: list[dict[str, Any]] = json.loads(path.read_text())
    return data
