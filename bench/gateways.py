"""`python -m bench.gateways [--json] [--seconds S] ...`: `korgoo bench gateways`."""

from __future__ import annotations

import typer

from korgoo.cli import bench_gateways

if __name__ == "__main__":
    typer.run(bench_gateways)
