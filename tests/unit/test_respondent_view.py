"""The respondent's serializer: whatever the engine decided, with whatever
evidence, what reaches the respondent's app has no position of the protected
person, no distance, no bearing, and no number but ids and times."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from korgoo.apps import respondent_view as rv
from korgoo.domain.decisions import Decision, DecisionKind
from korgoo.domain.events import OrderChange
from korgoo.domain.terms import ScheduleWindow
from korgoo.engine import Engine

from .engine.conftest import HOME, T0, east_of, home_zone, make_terms, rfix, vfix

VICTIM = east_of(HOME, 3000)
FORBIDDEN = ("distance", "bearing", "lat", "lon", "heading", "evidence", "acc")


def engine_decisions() -> list[Decision]:
    """A real approach and breach: the decisions carry her fix and the distances."""
    terms = make_terms(zones=(home_zone(),))
    engine = Engine()
    out = engine.apply(OrderChange(T0, terms))
    t = T0 + 10
    for metres in (2500, 1500, 900, 600, 300, 100, 50, 50, 50):
        out += engine.apply(vfix(t, VICTIM))
        out += engine.apply(rfix(t + 1, east_of(VICTIM, -metres), speed=2.0, heading=90.0))
        t += 20
    t += 120  # a drive a car can make: 3 km in two minutes
    for _ in range(6):  # then into the static home zone
        out += engine.apply(rfix(t, HOME))
        t += 20
    t += 200
    for _ in range(8):  # and far away again
        out += engine.apply(rfix(t, east_of(HOME, -5000)))
        t += 20
    return out


def keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items()] + [k for v in value.values() for k in keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in keys(v)]
    return []


def numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return []


def test_engine_evidence_never_reaches_the_instruction() -> None:
    decisions = engine_decisions()
    with_her_fix = [d for d in decisions if "protected_fix" in d.evidence]
    assert with_her_fix, "the scenario must produce decisions holding her position"
    # Were the engine ever to put evidence on an instruction, it must still not pass.
    decisions = [
        msgspec.structs.replace(d, evidence=with_her_fix[0].evidence)
        if d.kind is DecisionKind.INSTRUCT
        else d
        for d in decisions
    ]
    instructions = [d for d in decisions if d.kind is DecisionKind.INSTRUCT]
    codes = [d.message for d in instructions]
    assert "leave_now" in codes and "leave_zone" in codes and "clear" in codes
    # Every decision goes through, as a hostile caller might try.
    frames = [rv.instruction(d, f"m{i}", {"home": "Home"}) for i, d in enumerate(decisions)]
    sent = [f for f in frames if f is not None]
    assert len(sent) == len(instructions)
    her = with_her_fix[0].evidence["protected_fix"]
    assert isinstance(her, list)
    victim_text = [f"{VICTIM[0]:.3f}", f"{VICTIM[1]:.3f}", f"{her[2]:.3f}"]
    for out in sent:
        text = json.dumps(out)
        assert set(out) <= {"id", "code", "zone_name", "at"}
        assert not numbers(out), out  # ids and times are strings
        for word in FORBIDDEN:
            assert word not in [k.lower() for k in keys(out)]
        assert "distance" not in text and "bearing" not in text
        assert not any(v in text for v in victim_text)
    leave_zone = next(f for f in sent if f["code"] == "leave_zone")
    assert leave_zone["zone_name"] == "Home"


def test_a_subject_that_is_not_a_disclosed_zone_is_leaving_the_area() -> None:
    d = Decision(
        kind=DecisionKind.INSTRUCT,
        at=T0,
        order_id="o",
        message="leave_zone",
        subject="prot",  # a person id: never shown
        recipient="resp",
        evidence={"lat": VICTIM[0], "lon": VICTIM[1], "distance_m": 42.0},
    )
    out = rv.instruction(d, "m1", {"home": "Home"})
    assert out == {"id": "m1", "code": rv.LEAVE_AREA, "at": rv.iso(T0)}


def test_warnings_and_unknown_codes_are_not_instructions() -> None:
    warn = Decision(kind=DecisionKind.WARN, at=T0, message="alert", recipient="prot")
    odd = Decision(kind=DecisionKind.INSTRUCT, at=T0, message="she_is_at_home", recipient="r")
    assert rv.instruction(warn, "m", {}) is None
    assert rv.instruction(odd, "m", {}) is None


def test_only_disclosed_zones_are_named_to_him() -> None:
    hidden = home_zone()  # an exclusion zone: undisclosed by default
    curfew = ScheduleWindow(days=(0, 1), start=22 * 60, end=6 * 60)
    own = msgspec.structs.replace(
        home_zone(schedule=(curfew,)), zone_id="his", name="His flat", kind="inclusion"
    )
    hidden_curfew = msgspec.structs.replace(own, zone_id="hc", name="Hostel", disclosed=False)
    terms = make_terms(zones=(hidden, own, hidden_curfew))
    assert rv.disclosed_zone_names(terms) == {"his": "His flat"}
    out = rv.me(terms, "OKT-1", "+996 312 000 000")
    assert [z["id"] for z in out["conditions"]["zones"]] == ["his"]
    assert len(out["conditions"]["curfew"]) == 1  # the hidden zone's windows left out too
    text = json.dumps(out)
    assert hidden.name not in text and "Hostel" not in text and '"hc"' not in text
    leave = Decision(
        kind=DecisionKind.INSTRUCT, at=T0, message="leave_zone", subject="home", recipient="r"
    )
    names = rv.disclosed_zone_names(terms)
    assert rv.instruction(leave, "m", names) == {"id": "m", "code": "leave_area", "at": rv.iso(T0)}
    shown = msgspec.structs.replace(leave, subject="his")
    assert rv.instruction(shown, "m", names)["zone_name"] == "His flat"  # type: ignore[index]


def test_me_has_the_static_zones_and_no_live_position() -> None:
    terms = make_terms(zones=(msgspec.structs.replace(home_zone(), disclosed=True),))
    out = rv.me(terms, "OKT-1", "+996 312 000 000")
    assert out["conditions"]["zones"][0]["name"] == home_zone().name
    assert out["conditions"]["zones"][0]["geometry"] == home_zone().geometry
    assert out["conditions"]["keep_away_m"] == terms.min_distance_m
    text = json.dumps(out).lower()
    assert "distance" not in text and "bearing" not in text
    assert not {"lat", "lon"} & {k.lower() for k in keys(out)}
    # Numbers: the order's own (zone geometry and radius, the keep-away metres,
    # check-ins per day, schedule minutes) and nothing else.
    allowed = {HOME[0], HOME[1], 200.0, terms.min_distance_m, 0.0}
    assert set(numbers(out)) <= allowed
    assert terms.warning_distance_m not in numbers(out)


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "m", "lat": 1.0},
        {"id": "m", "nested": {"Distance_To_Her": 5}},
        {"id": "m", "items": [{"bearing_deg": 90}]},
        {"id": "m", "evidence": {}},
    ],
)
def test_guard_refuses_forbidden_keys(payload: dict[str, Any]) -> None:
    with pytest.raises(rv.Leak):
        rv.guard(payload)
    with pytest.raises(rv.Leak):
        rv.frame("instruction", payload)


@given(
    message=st.sampled_from(["leave_now", "leave_zone", "clear"]),
    subject=st.text(max_size=10),
    evidence=st.dictionaries(st.text(max_size=8), st.floats(allow_nan=False), max_size=5),
    at=st.floats(min_value=0, max_value=4e9),
)
def test_any_instruct_decision_gives_only_whitelisted_strings(
    message: str, subject: str, evidence: dict[str, float], at: float
) -> None:
    d = Decision(
        kind=DecisionKind.INSTRUCT,
        at=at,
        message=message,
        subject=subject,
        recipient="r",
        evidence=dict(evidence),
    )
    out = rv.instruction(d, "m", {"z": "Zone"})
    assert out is not None
    assert set(out) <= {"id", "code", "zone_name", "at"}
    assert all(isinstance(v, str) for v in out.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", out["at"])


def test_frame_is_a_server_sent_event() -> None:
    text = rv.frame("checkin", rv.checkin("c1", T0))
    assert text.startswith("event: checkin\ndata: ") and text.endswith("\n\n")
    assert json.loads(text.split("data: ", 1)[1]) == {"id": "c1", "due_at": rv.iso(T0)}


def test_a_message_resent_after_the_zone_was_hidden_names_no_zone() -> None:
    stored = {"id": "m", "code": "leave_zone", "zone_name": "Home", "at": rv.iso(T0)}
    assert rv.resent("instruction", stored, {"home": "Home"}) == stored
    assert rv.resent("instruction", stored, {}) == {
        "id": "m",
        "code": "leave_area",
        "at": rv.iso(T0),
    }
    checkin = rv.checkin("c1", T0)
    assert rv.resent("checkin", checkin, {}) == checkin


def test_me_lists_the_no_contact_condition_and_nothing_of_her() -> None:
    terms = msgspec.structs.replace(make_terms(), no_contact=True)
    out = rv.me(terms, "OKT-1", "+996 312 000 000")
    assert out["conditions"]["no_contact"] is True
    assert rv.me(make_terms(), "OKT-1", "")["conditions"]["no_contact"] is False
    text = json.dumps(out)
    assert all(p.person_id not in text for p in terms.protected)
