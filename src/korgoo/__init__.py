"""Korgoo: electronic monitoring of protective orders."""

__version__ = "0.1.0"
