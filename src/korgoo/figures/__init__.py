"""Figures for the ministry: counts, rates and response times over a period,
computed from rows the store reads (pure: no SQL, no clock; see statistics.py)."""
