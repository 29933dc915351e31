"""The engine benchmark, run small through the CLI: its JSON and its consistency."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from korgoo.cli import app

ORDERS, FIXES, BASELINE = 200, 5_000, 2_000
REQUIRED = (
    "engine_fixes_per_s",
    "store_fixes_per_s",
    "baseline_fixes_per_s",
    "p50_us",
    "p99_us",
    "state_bytes_per_order",
    "orders",
    "fixes",
)


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    args = ["bench", "engine", "--json", "--orders", str(ORDERS), "--fixes", str(FIXES)]
    result = CliRunner().invoke(app, [*args, "--baseline-fixes", str(BASELINE), "--batch", "500"])
    assert result.exit_code == 0, result.output
    parsed = orjson.loads(result.stdout)  # stdout holds the one JSON object and nothing else
    assert isinstance(parsed, dict)
    return parsed


def test_json_has_the_issue_keys_with_positive_figures(figures: dict[str, Any]) -> None:
    for key in REQUIRED:
        assert figures[key] > 0, key
    assert figures["orders"] == ORDERS
    assert figures["fixes"] == FIXES
    assert figures["p50_us"] <= figures["p99_us"]


def test_store_path_logs_every_fix_and_decides_as_the_engine_alone(
    figures: dict[str, Any],
) -> None:
    assert figures["store_rows"] == FIXES
    assert figures["decisions"] > 0
    assert figures["store_decisions"] == figures["decisions"]
    assert figures["ticks"] > 0
    assert 0 < figures["store_append_s"] + figures["store_commit_s"] < figures["store_s"]
    assert figures["latency_samples"] == FIXES // 10


def test_baseline_queried_and_updated_the_database_for_every_fix(
    figures: dict[str, Any],
) -> None:
    assert figures["baseline_fixes"] == BASELINE
    # One order query per fix, plus one zones query per respondent fix.
    assert BASELINE < figures["baseline_queries"] < 2 * BASELINE
    assert figures["baseline_updates"] == BASELINE
    assert figures["baseline_logged_fixes_per_s"] > 0
    ratio = figures["engine_fixes_per_s"] / figures["baseline_fixes_per_s"]
    assert figures["engine_vs_baseline"] == pytest.approx(ratio, rel=0.01)


def test_state_grows_with_the_fixes_and_machine_context_is_reported(
    figures: dict[str, Any],
) -> None:
    assert 0 < figures["state_bytes_per_order_orders_only"] <= figures["state_bytes_per_order"]
    assert figures["max_rss_bytes"] > 0
    assert len(figures["loadavg_start"]) == 3
