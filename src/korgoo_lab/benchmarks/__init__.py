"""Benchmarks that print figures, run by `korgoo bench ...`."""
