"""When the store cannot take a write (SQLite's lock held by another writer), the
API says so with 503 and Retry-After, and nothing is half done."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from korgoo.api.routers import persons

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
