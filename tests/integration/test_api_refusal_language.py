"""The refusals the routes write themselves (404, 409, hand-made 422) are said in
the reader's language (issue 11 item 4): the console sends its page's language as
Accept-Language; a client that sends none reads English."""

from __future__ import annotations

from urllib.parse import quote

from .api_world import World, world_fixture, zone_breach
from .test_api_orders import new_order

__all__ = ["world_fixture"]


def alert_path(key: str, action: str) -> str:
    return f"/api/v1/alerts/{quote(key, safe='')}/{action}"


async def test_the_alert_machine_refuses_in_the_readers_language(w: World) -> None:
    key = await zone_breach(w)
    op = await w.login("operator")
    assert (await op.post(alert_path(key, "acknowledge"))).status_code == 200
    again = {
        lang: await op.post(alert_path(key, "acknowledge"), headers={"Accept-Language": lang})
        for lang in ("ru", "ky", "en")
    }
    assert {r.status_code for r in again.values()} == {409}
    assert again["ru"].json()["detail"] == (
        f"тревога {key} уже подтверждена пользователем operator; делать ничего не нужно"
    )
    assert again["ky"].json()["detail"] == (
        f"{key} коркунуч белгисин operator мурунтан тастыктаган; эч нерсе кылуунун кереги жок"
    )
    assert again["en"].json()["detail"] == (
        f"alert {key} was already acknowledged by operator; nothing to do"
    )
    no_note = await op.post(
        alert_path(key, "resolve"),
        json={"outcome": "gps_false_alarm", "note": " "},
        headers={"Accept-Language": "ru"},
    )
    assert no_note.status_code in (409, 422), no_note.text
    assert "заметка" in no_note.json()["detail"], no_note.text


async def test_not_found_and_zone_refusals_are_translated_with_their_parts(w: World) -> None:
    sup = await w.login("supervisor")
    missing = await sup.get("/api/v1/orders/no-such-order", headers={"Accept-Language": "ky"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == (
        "Табылган жок же сиздин райондоруңуздан тышкары: no-such-order буйругу."
    )
    body = new_order()
    body["zones"][0]["radius_m"] = 90_000  # type: ignore[index]
    wide = await sup.post("/api/v1/orders", json=body, headers={"Accept-Language": "ru"})
    assert wide.status_code == 422, wide.text
    detail = wide.json()["detail"]
    # The nested parts (which zone) are translated too; no English word is left.
    assert detail.startswith("зона 'school': для зоны Point radius_m"), detail
    english = await sup.post("/api/v1/orders", json=body)
    assert english.json()["detail"].startswith("zone 'school': radius_m must be"), english.text


async def test_an_unknown_enrolment_code_is_explained_in_the_phones_language(w: World) -> None:
    async with w.client() as phone:
        r = await phone.post(
            "/app/api/v1/enrol", json={"code": "12345678"}, headers={"Accept-Language": "ky"}
        )
    assert r.status_code == 404, r.text
    assert r.json()["detail"] == (
        "Мындай код белгисиз. Сандарды текшериңиз же борборго кайрылыңыз."  # noqa: RUF001
    )
