"""Services for the tests that need them, started lazily once per session.

`KORGOO_TEST_PG` (a PostgreSQL admin URL) and `KORGOO_TEST_MQTT` (host:port) point
the tests at existing servers; otherwise the session starts private ones
(korgoo_lab/services.py) the first time a test asks, and stops them at its end. Tests
only ever create their own, uniquely named databases and topics on them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from korgoo.store.db import migrate
from korgoo_lab.services import Broker, ServiceError, private_mosquitto, private_postgres


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL URL whose user may create and drop databases."""
    existing = os.environ.get("KORGOO_TEST_PG")
    if existing:
        yield existing
        return
    try:
        with private_postgres() as url:
            yield url
    except ServiceError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[Broker]:
    existing = os.environ.get("KORGOO_TEST_MQTT")
    if existing:
        host, _, port = existing.rpartition(":")
        yield Broker(host or "127.0.0.1", int(port))
        return
    try:
        with private_mosquitto() as broker:
            yield broker
    except ServiceError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database brought to the newest schema once per session; tests of
    the store copy it (`copy_database`) instead of migrating their own."""
    path = tmp_path_factory.mktemp("migrated") / "korgoo.db"
    migrate(f"sqlite:///{path}")
    return path
