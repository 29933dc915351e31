"""The API tests' world: its template database is made once per session."""

from .api_world import world_template

__all__ = ["world_template"]  # a fixture, used by name
