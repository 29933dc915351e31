"""The protocol conformance vectors: real device messages with the values a decoder
must produce, kept in the repository under `data/` (origin and licence in its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def vectors(protocol: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((DATA / f"{protocol}.json").read_text())
    return data
