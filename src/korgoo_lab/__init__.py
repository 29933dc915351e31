"""Korgoo's laboratory: the Bishkek simulator and the benchmarks.

Kept outside the `korgoo` package so that nothing the monitoring service runs can
import it; only the command line (`korgoo demo`, `korgoo bench ...`) and the
demo's entry point do.
"""
