"""Golden scenarios: tracks kept as data files with the alert sequence they must give.

Each file in tests/scenarios/ is played through the simulator's scenario player
and the engine; the decisions (episodes and the messages to the parties) must
match the file's `expect` list in order. Fields left out of an expectation are
not compared; `at_s` (seconds after start) may be given as [min, max].
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.engine import Engine
from korgoo_lab.sim.scenario import scenario_events

SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.json"))
SHOWN = (
    DecisionKind.OPENED,
    DecisionKind.UPDATED,
    DecisionKind.CLEARED,
    DecisionKind.WARN,
    DecisionKind.INSTRUCT,
)


def observed(decision: Decision, start: float) -> dict[str, Any]:
    d: dict[str, Any] = msgspec.to_builtins(decision)
    d["at_s"] = decision.at - start
    return d


def matches(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    for key, want in expected.items():
        if key == "at_s":
            lo, hi = want if isinstance(want, list) else (want, want)
            if not lo <= got["at_s"] <= hi:
                return False
        elif got.get(key, False if key == "late" else None) != want:
            return False
    return True


def test_there_are_golden_scenarios() -> None:
    assert len(SCENARIOS) >= 8


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_golden_scenario(path: Path) -> None:
    spec = json.loads(path.read_text())
    decisions = Engine().apply_all(scenario_events(spec))
    got = [observed(d, spec["start"]) for d in decisions if d.kind in SHOWN]
    brief = [
        f"{g['at_s']:>7.0f}s {g['kind']:<8} {g.get('rule') or g.get('message')} "
        f"{g.get('priority') or ''} {g.get('confidence') or ''}{' late' if g.get('late') else ''}"
        for g in got
    ]
    expected = spec["expect"]
    assert len(got) == len(expected), "\n".join(brief)
    for i, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert matches(want, have), f"decision {i}: expected {want}\n" + "\n".join(brief)


def test_replaying_a_scenario_twice_is_byte_identical() -> None:
    for path in SCENARIOS:
        events = scenario_events(json.loads(path.read_text()))
        first = msgspec.json.encode(Engine().apply_all(events))
        assert first == msgspec.json.encode(Engine().apply_all(events)), path.stem
