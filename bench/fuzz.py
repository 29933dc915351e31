"""`python -m bench.fuzz [--inputs N] [--seed S] [--protocol P ...] [--json]`.

Fuzzes every device decoder in-process and prints the exceptions found per
decoder (target: 0 in 1 M inputs each). Exits 1 when any decoder raised.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from korgoo_lab.benchmarks.fuzz import FEEDS, run_fuzz


def main(
    inputs: Annotated[int, typer.Option(help="Inputs per decoder.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    protocol: Annotated[
        list[str] | None, typer.Option(help="osmand, watch, gt06, native, mqtt (repeat).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object only.")] = False,
) -> None:
    chosen = protocol or list(FEEDS)
    unknown = set(chosen) - set(FEEDS)
    if unknown:
        raise typer.BadParameter(f"unknown decoder(s) {sorted(unknown)}; use {list(FEEDS)}")
    results = []
    for name in chosen:
        result = run_fuzz(name, inputs, seed)
        results.append(result)
        if not json:
            rate = result.inputs / result.seconds if result.seconds else 0.0
            typer.echo(
                f"{name:7} {result.inputs:>9} inputs  {result.exceptions:>6} exceptions"
                f"  ({rate:,.0f} inputs/s)"
            )
            for kind, count in sorted(result.kinds.items(), key=lambda kv: -kv[1]):
                typer.echo(f"        {count:>6}  {kind}")
            if result.example:
                typer.echo(f"        first: {result.example[:160]}")
    if json:
        typer.echo(msgspec.json.encode(results).decode())
    raise typer.Exit(1 if any(r.exceptions for r in results) else 0)


if __name__ == "__main__":
    typer.run(main)
