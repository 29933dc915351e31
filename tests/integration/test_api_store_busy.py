"""When the store cannot take a write (SQLite's lock held by another writer), the
API says so with 503 and Retry-After, and nothing is half done."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from korgoo.api.routers import orders, persons

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


async def test_a_variation_waits_its_turn_behind_another_writer(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variation reads the order's current version, then writes the next one.
    Another writer committing in between (the pipeline storing fixes, another
    operator) must not make it fail: it takes the write lock at BEGIN and waits
    its turn, and the other writer waits for it."""
    sup = await w.login("supervisor")
    db = sa.create_engine(w.url, connect_args={"timeout": 10})
    other_done = threading.Event()

    def other_writer() -> None:
        with db.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS other_writer (n INTEGER)")
            conn.exec_driver_sql("INSERT INTO other_writer VALUES (1)")
        other_done.set()

    def vary_with_a_writer_between(conn: sa.Connection, *args: object, **kw: object) -> object:
        conn.exec_driver_sql("SELECT count(*) FROM order_versions").all()  # its snapshot
        thread = threading.Thread(target=other_writer)
        thread.start()
        other_done.wait(0.5)  # a plain BEGIN lets the other commit here, and then fails
        return original(conn, *args, **kw)

    original = orders.vary_order
    monkeypatch.setattr(orders, "vary_order", vary_with_a_writer_between)
    r = await sup.post(
        "/api/v1/orders/order-okt/variations",
        json={"changes": {"min_distance_m": 450.0}, "reason": "the court widened the distance"},
    )
    assert r.status_code == 201, r.text
    assert other_done.wait(15.0)
    with db.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM other_writer").scalar() == 1
    db.dispose()
