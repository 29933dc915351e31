"""Limits on every input (issue 11 item 4): a note, a search string or a polygon
over its limit is refused with 422 naming the field and the limit, and nothing
is stored; the refusal is in the language the console sends (Accept-Language).
"""

from __future__ import annotations

from urllib.parse import quote

from korgoo.api.schemas import NOTE_MAX, QUERY_MAX, VERTICES_MAX, ZONES_MAX, zone_from_json

from .api_world import World, world_fixture, zone_breach

__all__ = ["world_fixture"]


def notes_path(key: str) -> str:
    return f"/api/v1/alerts/{quote(key, safe='')}/notes"


async def timeline_notes(w: World, key: str) -> list[str]:
    op = await w.login("supervisor")
    r = await op.get(f"/api/v1/alerts/{quote(key, safe='')}/timeline")
    assert r.status_code == 200, r.text
    return [t["details"].get("text", "") for t in r.json() if t["kind"] == "note"]


async def test_a_too_long_note_is_refused_naming_the_field_and_nothing_is_stored(
    w: World,
) -> None:
    key = await zone_breach(w)
    op = await w.login("operator")
    for size in (NOTE_MAX + 1, 200_000):
        r = await op.post(notes_path(key), json={"text": "x" * size})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert "'text'" in detail and str(NOTE_MAX) in detail, detail
        assert detail == f"Invalid request: 'text' may have at most {NOTE_MAX} characters."
    assert await timeline_notes(w, key) == []

    longest = "я" * NOTE_MAX  # the limit counts characters, not bytes
    r = await op.post(notes_path(key), json={"text": longest})
    assert r.status_code == 200, r.text
    assert await timeline_notes(w, key) == [longest]


async def test_the_refusal_is_in_the_language_the_console_sends(w: World) -> None:
    key = await zone_breach(w)
    op = await w.login("operator")
    too_long = {"text": "x" * (NOTE_MAX + 1)}
    ru = await op.post(notes_path(key), json=too_long, headers={"Accept-Language": "ru"})
    assert ru.status_code == 422
    assert ru.json()["detail"] == f"Неверный запрос: 'text': не более {NOTE_MAX} символов."
    ky = await op.post(notes_path(key), json=too_long, headers={"Accept-Language": "ky,ru;q=0.8"})
    kyrgyz = f"Суроо туура эмес: 'text': {NOTE_MAX} белгиден ашпашы керек."  # noqa: RUF001
    assert ky.json()["detail"] == kyrgyz
    # A missing field, in Russian too; an unsupported language falls back to English.
    missing = await op.post(notes_path(key), json={}, headers={"Accept-Language": "ru-RU"})
    assert missing.json()["detail"] == "Неверный запрос: 'text': обязательное поле."
    de = await op.post(notes_path(key), json={}, headers={"Accept-Language": "de"})
    assert de.json()["detail"] == "Invalid request: 'text' is required."
    assert await timeline_notes(w, key) == []


async def test_search_strings_and_lists_have_limits(w: World) -> None:
    sup = await w.login("supervisor")
    r = await sup.get("/api/v1/alerts", params={"person": "a" * (QUERY_MAX + 1)})
    assert r.status_code == 422 and "'person'" in r.json()["detail"], r.text
    assert str(QUERY_MAX) in r.json()["detail"]
    r = await sup.get("/api/v1/orders", params={"person": "a" * QUERY_MAX})
    assert r.status_code == 200, r.text
    r = await sup.post("/api/v1/orders", json={"zones": [{}] * (ZONES_MAX + 1)})
    assert r.status_code == 422
    assert f"'zones' may have at most {ZONES_MAX} items" in r.json()["detail"], r.text
    persons = await sup.get("/api/v1/persons")
    person = persons.json()[0]["id"]
    r = await sup.patch(f"/api/v1/persons/{person}", json={"note": "n" * (NOTE_MAX + 1)})
    assert r.status_code == 422 and "'note'" in r.json()["detail"]
    assert (await sup.get(f"/api/v1/persons/{person}")).json()["note"] != "n" * (NOTE_MAX + 1)


def test_zones_and_polygons_have_limits() -> None:
    def polygon(n: int) -> dict[str, object]:
        ring = [[74.6 + i * 1e-5, 42.87 + (i % 2) * 1e-5] for i in range(n - 1)]
        return {
            "zone_id": "z1",
            "name": "Home",
            "kind": "exclusion",
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        }

    try:
        zone_from_json(polygon(VERTICES_MAX + 1))
    except ValueError as e:
        assert f"at most {VERTICES_MAX} vertices" in str(e)
    else:
        raise AssertionError("a polygon over the limit was accepted")
    too_long_name = polygon(4) | {"name": "n" * 201}
    try:
        zone_from_json(too_long_name)
    except ValueError as e:
        assert "'name'" in str(e)
    else:
        raise AssertionError("a zone name over the limit was accepted")
