"""When the store cannot take a write (SQLite's lock held by another writer), the
API says so with 503 and Retry-After, and nothing is half done."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from korgoo.api.routers import orders, persons, session

from .api_world import World, world_fixture

__all__ = ["world_fixture"]


async def test_a_busy_store_is_503_with_retry_after(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sup = await w.login("supervisor")

    def locked(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError(
            "INSERT INTO persons ...", {}, Exception("database is locked")
        )

    monkeypatch.setattr(persons, "create_person", locked)
    r = await sup.post(
        "/api/v1/persons",
        json={"role": "respondent", "display_name": "Respondent 99", "district": "KG-GB-OKT"},
    )
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert "busy" in r.json()["detail"]
    listed = await sup.get("/api/v1/persons")
    assert all(p["display_name"] != "Respondent 99" for p in listed.json())


class WriterBetween:
    """Wraps a store function called inside an API transaction: before it runs,
    the transaction reads (its snapshot) and another writer commits, or tries
    to. A transaction begun with a plain BEGIN then fails at its first write
    ("database is locked"); one that took the write lock at BEGIN makes the
    other writer wait, and both succeed."""

    def __init__(
        self, w: World, module: object, name: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.db = sa.create_engine(w.url, connect_args={"timeout": 10})
        self.done = threading.Event()
        self.original = getattr(module, name)
        monkeypatch.setattr(module, name, self)

    def _other_writer(self) -> None:
        with self.db.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS other_writer (n INTEGER)")
            conn.exec_driver_sql("INSERT INTO other_writer VALUES (1)")
        self.done.set()

    def __call__(self, conn: sa.Connection, *args: object, **kw: object) -> object:
        conn.exec_driver_sql("SELECT count(*) FROM audit_log").all()  # its snapshot
        if not self.done.is_set():
            threading.Thread(target=self._other_writer).start()
            self.done.wait(0.5)  # a plain BEGIN lets the other commit here, and then fails
        return self.original(conn, *args, **kw)

    def other_wrote(self) -> bool:
        assert self.done.wait(15.0)
        with self.db.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM other_writer").scalar()
        self.db.dispose()
        return n == 1


async def test_a_variation_waits_its_turn_behind_another_writer(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variation reads the order's current version, then writes the next one;
    the pipeline storing fixes or another operator commits in between."""
    sup = await w.login("supervisor")
    between = WriterBetween(w, orders, "vary_order", monkeypatch)
    r = await sup.post(
        "/api/v1/orders/order-okt/variations",
        json={"changes": {"min_distance_m": 450.0}, "reason": "the court widened the distance"},
    )
    assert r.status_code == 201, r.text
    assert between.other_wrote()


async def test_an_audited_console_write_waits_its_turn_behind_another_writer(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every console write goes on the audit log, which reads the chain's head
    before it appends: logging in, with another writer committing in between,
    still logs in."""
    between = WriterBetween(w, session, "audit_append", monkeypatch)
    await w.login("supervisor")
    assert between.other_wrote()
