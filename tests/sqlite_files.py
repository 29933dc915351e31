"""SQLite database files for the tests."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database file (SQLite's online backup), so
    that a template made once starts each test's own database."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
