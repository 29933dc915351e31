"""The audit log through the API: filters by who, action (or a family of
actions), a part of the object and a time range; pages back by id."""

from __future__ import annotations

from .api_world import World, iso, world_fixture
from .test_api_session import failures

__all__ = ["world_fixture"]

WHY = {"reason": "ticket 7"}


async def test_filters_and_pages(w: World) -> None:
    await failures(w, "Nobody_x", "192.0.2.30", 2)
    admin = await w.login("admin")
    start = w.auth_clock()
    await admin.post("/api/v1/users/operator/disable", json=WHY)
    await admin.post("/api/v1/users/operator/enable", json=WHY)
    w.auth_clock.t += 3600
    await admin.post("/api/v1/users/operator-len/totp", json=WHY)

    async def get(**params: object) -> list[dict[str, object]]:
        r = await admin.get("/api/v1/audit", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    users = await get(action="user.")
    assert [e["action"] for e in users] == ["user.totp_reset", "user.enabled", "user.disabled"]
    assert {e["actor"] for e in users} == {"admin"}
    assert [e["action"] for e in await get(action="user")] == []  # exact without the dot
    # A part of the object, any case; % and _ are plain characters in it.
    assert len(await get(subject_contains="OPERATOR-L")) == 1
    assert len(await get(subject_contains="nobody_x")) == 2
    assert await get(subject_contains="%") == []
    # Time range: the last change came an hour later.
    early = await get(action="user.", since=iso(start - 1), until=iso(start + 60))
    assert [e["action"] for e in early] == ["user.enabled", "user.disabled"]
    # Paging back: two pages of two, then the rest, no entry twice.
    everything = await get()
    first = await get(limit=2)
    second = await get(limit=2, before_id=first[-1]["id"])
    assert [e["id"] for e in first + second] == [e["id"] for e in everything[:4]]
    assert (await get(actor="admin", action="session.login"))[0]["actor"] == "admin"
    bad = await admin.get("/api/v1/audit", params={"before_id": 0})
    assert bad.status_code == 422
    operator = await w.login("operator")
    assert (await operator.get("/api/v1/audit")).status_code == 403


async def test_a_page_beyond_any_database_integer_is_refused_not_a_500(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.get("/api/v1/audit", params={"before_id": 401942447504696643424354304})
    assert r.status_code == 422, r.text
    assert (await sup.get("/api/v1/audit", params={"before_id": 2**63 - 1})).status_code == 200
