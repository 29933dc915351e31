"""Benchmarks of korgoo: the implementations live in korgoo.benchmarks.*, run by `korgoo bench`."""
