"""The apps' live streams on a real uvicorn server, fed by the real pipeline:
the respondent approaches the protected person and leaves again (all fixes sent
by the two phones through the app API).

- The protected person's app gets prealert, alert, all_clear, in that order.
- Nothing the respondent's phone can read (stream, every answer of the app API)
  carries her coordinates or the words distance / bearing, although the
  engine's evidence for the breach holds both.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from korgoo.domain.decisions import DecisionKind

from ..unit.engine.conftest import HOME, T0, east_of, north_of
from .api_world import World, world_fixture
from .test_apps_world import Phone, Stream, enrol, fix, send, served, signal

__all__ = ["world_fixture"]

VICTIM = north_of(east_of(HOME, 3000), 700)  # away from her home zone
STEP_S = 20.0
APPROACH_M = (2500, 2000, 1500, 1000, 600, 300, 100, 60, 60, 60, 60)
LEAVE_M = (400, 800, 1200, 1600, 2000, 2400, 2800, 3200, 3500, 3500)


def southwest_of_her(metres: float) -> tuple[float, float]:
    return east_of(north_of(VICTIM, -0.6 * metres), -0.8 * metres)


def her_coordinates() -> list[str]:
    return [f"{v:.{n}f}" for v in VICTIM for n in range(3, 8)]


async def walk(
    w: World, c: httpx.AsyncClient, respondent: Phone, victim: Phone, t: float
) -> tuple[float, list[httpx.Response]]:
    """Both phones report every STEP_S: she stays put, he comes close and goes."""
    answers = []
    before = APPROACH_M[0]
    for i, metres in enumerate(APPROACH_M + LEAVE_M):
        r = await send(w, c, victim, fix(i, t, VICTIM, speed=0.0))
        assert r.status_code == 200, r.text
        # He reports the speed his steps take: a leap the speed does not explain
        # would be set aside as multipath.
        speed = max(1.5, abs(metres - before) / STEP_S)
        before = metres
        r = await send(w, c, respondent, fix(i, t + 1, southwest_of_her(metres), speed=speed))
        assert r.status_code == 200, r.text
        answers.append(r)
        t += STEP_S
    return t, answers


async def test_victim_warned_in_order_and_respondent_learns_nothing_of_her(w: World) -> None:
    respondent = await enrol(w, "order-okt", "resp-okt", "respondent_app")
    victim = await enrol(w, "order-okt", "prot-okt", "victim_app")
    seen: list[Any] = []
    queue = w.pipeline.bus.subscribe()
    async with (
        served(w) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
        Stream(c, respondent) as his,
        Stream(c, victim) as hers,
    ):
        t, answers = await walk(w, c, respondent, victim, T0 + 10)
        warnings = await hers.wait_for("warning", 3)
        await his.wait_for("instruction", 2)
        # What else his phone can read.
        me = await c.get("/app/api/v1/me", headers=respondent.auth)
        assert me.status_code == 200
        key = await c.get("/app/api/v1/push-subscription", headers=respondent.auth)
        ids = [data["id"] for data in his.of("instruction")]
        receipts = [
            await c.post("/app/api/v1/receipts", json={"id": i}, headers=respondent.auth)
            for i in ids
        ]
        sos = await send(w, c, respondent, signal("s1", t, "sos"))
        rejected = await send(w, c, respondent, fix(999, t + 1, (91.0, 0.0)))
        checkin = await send(w, c, respondent, signal("c1", t + 2, "check_in"))
    while not queue.empty():
        seen.extend(queue.get_nowait().decisions)
    w.pipeline.bus.unsubscribe(queue)

    # The premise: the engine decided a breach whose evidence holds her position.
    breach = [d for d in seen if d.kind is DecisionKind.OPENED and d.rule == "proximity.breach"]
    assert breach and "protected_fix" in breach[0].evidence
    assert any(c in json.dumps(breach[0].evidence) for c in her_coordinates())

    # Her app: prealert, then alert, then all clear, nothing out of order.
    levels = [x["level"] for x in warnings]
    assert [lv for i, lv in enumerate(levels) if i == 0 or levels[i - 1] != lv] == [
        "prealert",
        "alert",
        "all_clear",
    ]
    assert set(warnings[0]) == {"id", "level", "code", "at"}

    # His phone: instructions to leave, then clear; and nothing of her anywhere.
    codes = [x["code"] for x in his.of("instruction")]
    assert codes[0] == "leave_now" and codes[-1] == "clear"
    assert all(r.status_code == 200 for r in receipts)
    assert checkin.json()["results"][0]["status"] == "rejected"  # the photo is the check-in
    readable = [
        "\n".join(his.raw),
        me.text,
        key.text,
        sos.text,
        rejected.text,
        checkin.text,
        *(r.text for r in answers),
        *(r.text for r in receipts),
    ]
    for text in readable:
        lowered = text.lower()
        assert "distance" not in lowered and "bearing" not in lowered, text
        for coordinate in her_coordinates():
            assert coordinate not in text, (coordinate, text)
        assert not re.search(r'"(lat|lon|latitude|longitude)"', text), text
