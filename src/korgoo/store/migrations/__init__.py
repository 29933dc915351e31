"""Alembic migrations of the Korgoo store."""
