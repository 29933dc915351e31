"""`python -m bench.engine [--json] [--orders N] [--fixes N] ...`: `korgoo bench engine`."""

from __future__ import annotations

import typer

from korgoo.cli import bench_engine

if __name__ == "__main__":
    typer.run(bench_engine)
