"""Entities and value objects of the monitoring domain. Pure: no I/O."""
