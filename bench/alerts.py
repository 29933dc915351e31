"""`python -m bench.alerts [--json] [--orders N] [--days D] [--seed S] [--hard]`.

The same as `korgoo bench alerts`.
"""

from __future__ import annotations

import typer

from korgoo.cli import bench_alerts

if __name__ == "__main__":
    typer.run(bench_alerts)
