"""`python -m bench.durability [--cycles 20] [--backend sqlite] [--json] ...`:
`korgoo bench durability`."""

from __future__ import annotations

import typer

from korgoo.cli import bench_durability

if __name__ == "__main__":
    typer.run(bench_durability)
