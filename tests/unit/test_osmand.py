"""OsmAnd decoder: every conformance vector, then each rule the decoder documents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import msgspec
import pytest

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.gateways.osmand import (
    DEFAULT_ACCURACY_M,
    KNOT_MPS,
    MIN_ACCURACY_M,
    DecodeError,
    Report,
    decode,
    message_key,
    parse_time,
)
from tests.conformance import vectors

VECTORS = vectors("osmand")
RECEIVED = datetime(2026, 8, 22, 12, 0, tzinfo=UTC).timestamp()
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
BISHKEK = ZoneInfo("Asia/Bishkek")


def _decode_vector(entry: dict[str, Any]) -> list[Report]:
    http = entry.get("http") or {}
    content_type = (http.get("headers") or {}).get("Content-Type", "")
    if entry["encoding"] == "json":
        return decode("", entry["message"].encode(), content_type, received_at=RECEIVED)
    if "application/json" in http.get("note", ""):
        # The note says the real request carried this header with an empty body.
        content_type = "application/json"
    query = urlsplit(entry["message"]).query
    return decode(query, b"", content_type, received_at=RECEIVED)


def _events(reports: list[Report]) -> list[Fix | Signal]:
    assert len(reports) == 1
    (report,) = reports
    assert not isinstance(report, DecodeError), report
    return report


def _one_fix(reports: list[Report]) -> Fix:
    events = _events(reports)
    fix = events[0]
    assert isinstance(fix, Fix)
    return fix


def _check_traccar_position(fix: Fix, expect: dict[str, Any]) -> None:
    """Traccar's ProtocolTest.verifyPosition bounds, plus exact values when given."""
    assert fix.device_id
    assert EARLIEST < fix.t <= RECEIVED + 25 * 3600
    assert -90 <= fix.lat <= 90 and -180 <= fix.lon <= 180
    assert fix.speed is None or fix.speed >= 0
    assert fix.heading is None or 0 <= fix.heading <= 360
    assert fix.acc >= MIN_ACCURACY_M
    if "time" in expect:
        assert fix.t == datetime.fromisoformat(expect["time"]).timestamp()
    if "latitude" in expect:
        assert fix.lat == pytest.approx(expect["latitude"], abs=1e-5)
        assert fix.lon == pytest.approx(expect["longitude"], abs=1e-5)


def _check_ours(index: int, entry: dict[str, Any], reports: list[Report]) -> None:
    """Vectors Traccar asserts nothing about: what Korgoo does with them."""
    kind = entry["origin"]["kind"]
    query = dict(parse_qsl(urlsplit(entry["message"]).query))
    if kind == "client-formatter-test":
        # Formatter fixtures carry 1989 or 0 timestamps: refused as implausible
        # device times (before 2000), so a phone with a broken clock is visible.
        (report,) = reports
        assert isinstance(report, DecodeError)
        assert "implausible device time" in report.reason
        return
    fix = _one_fix(reports)
    assert fix.device_id == query["id"]
    assert fix.t == float(query["timestamp"])
    assert fix.lat == float(query["lat"]) and fix.lon == float(query["lon"])
    assert fix.speed == pytest.approx(float(query["speed"]) * KNOT_MPS)
    if "batt" in query:
        assert fix.battery == float(query["batt"])
    if query.get("accuracy") == "0.0":
        # 0 is "unknown" on Android, not "perfect": the documented default applies.
        assert fix.acc == DEFAULT_ACCURACY_M
    if "application/json" in entry.get("http", {}).get("note", ""):
        # JSON header, empty body: read by content, not by header (unlike Traccar 6.7+).
        assert index == 20


@pytest.mark.parametrize(
    ("index", "entry"),
    list(enumerate(VECTORS)),
    ids=[f"{i}-{e['origin']['kind']}" for i, e in enumerate(VECTORS)],
)
def test_conformance_vector(index: int, entry: dict[str, Any]) -> None:
    reports = _decode_vector(entry)
    expect = entry["expect"]
    if expect is None:
        _check_ours(index, entry, reports)
        return
    check = expect["check"]
    if check == "position":
        _check_traccar_position(_one_fix(reports), expect)
    elif check == "attribute":
        # Deliberate difference: Traccar keeps `extras` as position attributes; the
        # monitoring model has no attribute bag, so they are dropped. What we assert
        # is that the extras do not disturb the fix they came with.
        fix = _one_fix(reports)
        assert (fix.device_id, fix.acc, fix.battery, fix.charging) == (
            "48241179",
            5.0,
            100.0,
            False,
        )
        assert (
            msgspec.json.decode(entry["message"])["location"]["extras"][expect["key"]]
            == (expect["value"])
        )
    elif check == "null":
        (report,) = reports
        assert isinstance(report, DecodeError) and report.reason == "missing id"
    elif check == "not_null":
        # Traccar copies the last known position; we invent none: a heartbeat.
        (event,) = _events(reports)
        assert isinstance(event, Signal) and event.kind is SignalKind.HEARTBEAT
    else:
        pytest.fail(f"unknown check kind {check!r}")


def test_every_vector_is_covered() -> None:
    assert len(VECTORS) == 33
    checks = {e["expect"]["check"] for e in VECTORS if e["expect"]}
    assert checks <= {"position", "attribute", "null", "not_null"}


# --- timestamps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1377177267", 1377177267.0),
        ("1442068686579", 1442068686.579),
        ("1377177267.5", 1377177267.5),
        ("2016-01-27T18:55:47Z", datetime(2016, 1, 27, 18, 55, 47, tzinfo=UTC).timestamp()),
        ("2025-06-15T13:45:12.862Z", datetime(2025, 6, 15, 13, 45, 12, 862000, UTC).timestamp()),
        ("2016-01-27T18:55:47+03:00", datetime(2016, 1, 27, 15, 55, 47, tzinfo=UTC).timestamp()),
        # No zone: the server's zone (Bishkek, UTC+6).
        ("2016-01-27T18:55:47", datetime(2016, 1, 27, 12, 55, 47, tzinfo=UTC).timestamp()),
        ("2014-06-04 09:10:11", datetime(2014, 6, 4, 3, 10, 11, tzinfo=UTC).timestamp()),
    ],
)
def test_timestamp_forms(raw: str, expected: float) -> None:
    assert parse_time(raw, BISHKEK) == pytest.approx(expected)


def test_local_timestamp_uses_the_zone_passed_in() -> None:
    query = "id=1&lat=1&lon=1&timestamp=2014-06-04+09%3A10%3A11"
    fix = _one_fix(decode(query, b"", received_at=RECEIVED, tz="Europe/Berlin"))
    assert fix.t == datetime(2014, 6, 4, 7, 10, 11, tzinfo=UTC).timestamp()  # CEST


def test_missing_timestamp_is_the_receive_time() -> None:
    assert _one_fix(decode("id=1&lat=1&lon=1", b"", received_at=RECEIVED)).t == RECEIVED


@pytest.mark.parametrize("raw", ["yesterday", "2014-13-45 99:00:00", "nan"])
def test_unreadable_timestamp_is_malformed(raw: str) -> None:
    (report,) = decode(f"id=1&lat=1&lon=1&timestamp={raw}", b"", received_at=RECEIVED)
    assert isinstance(report, DecodeError) and "timestamp" in report.reason


def test_time_far_in_the_future_is_refused() -> None:
    ahead = int(RECEIVED + 26 * 3600)
    (report,) = decode(f"id=1&lat=1&lon=1&timestamp={ahead}", b"", received_at=RECEIVED)
    assert isinstance(report, DecodeError) and "implausible" in report.reason
    within = int(RECEIVED + 3600)
    assert _one_fix(decode(f"id=1&lat=1&lon=1&timestamp={within}", b"", received_at=RECEIVED))


# --- query and form parameters ------------------------------------------------------------


def test_query_fields_and_units() -> None:
    query = "deviceid=abc&lat=42.87&lon=74.59&speed=10&heading=90&accuracy=12.5&batt=55&charge=true"
    fix = _one_fix(decode(query, b"", received_at=RECEIVED))
    assert (fix.device_id, fix.lat, fix.lon, fix.heading) == ("abc", 42.87, 74.59, 90.0)
    assert fix.speed == pytest.approx(5.144444, rel=1e-6)  # 10 knots
    assert (fix.acc, fix.battery, fix.charging, fix.mock) == (12.5, 55.0, True, False)
    assert (fix.at, fix.source) == (RECEIVED, "osmand")


def test_form_body_is_read_when_query_is_empty() -> None:
    body = b"id=7&lat=42.87&lon=74.59&timestamp=1787400000&accuracy=8"
    fix = _one_fix(decode("", body, "application/x-www-form-urlencoded", received_at=RECEIVED))
    assert (fix.device_id, fix.t, fix.acc) == ("7", 1787400000.0, 8.0)


def test_query_wins_over_form_body() -> None:
    fix = _one_fix(decode("id=q&lat=1&lon=1", b"id=b&lat=2&lon=2", received_at=RECEIVED))
    assert (fix.device_id, fix.lat) == ("q", 1.0)


def test_sos_comes_after_the_fix_it_was_raised_at() -> None:
    events = _events(decode("id=1&lat=42.8&lon=74.6&alarm=sos", b"", received_at=RECEIVED))
    assert [type(e) for e in events] == [Fix, Signal]
    sos = events[1]
    assert isinstance(sos, Signal) and sos.kind is SignalKind.SOS and sos.device_id == "1"


@pytest.mark.parametrize(
    ("alarm", "kind"),
    [
        ("sos", SignalKind.SOS),
        ("SOS", SignalKind.SOS),
        ("fallDown", SignalKind.FALL),
        ("lowBattery", SignalKind.LOW_BATTERY),
        ("removing", SignalKind.STRAP_OPEN),
        # An alarm we cannot name is still an alarm: an operator looks at it.
        ("alert message", SignalKind.SOS),
    ],
)
def test_alarm_names(alarm: str, kind: SignalKind) -> None:
    events = _events(decode(f"id=1&lat=1&lon=1&alarm={alarm}", b"", received_at=RECEIVED))
    assert isinstance(events[-1], Signal) and events[-1].kind is kind


def test_heartbeat_without_position_carries_battery() -> None:
    (event,) = _events(
        decode("id=1&timestamp=1787400000&batt=42&charge=1", b"", received_at=RECEIVED)
    )
    assert isinstance(event, Signal)
    assert (event.kind, event.value, event.t) == (SignalKind.HEARTBEAT, 42.0, 1787400000.0)


def test_sos_without_position_is_heartbeat_then_sos() -> None:
    kinds = [e.kind for e in _events(decode("id=1&alarm=sos", b"", received_at=RECEIVED))]  # type: ignore[union-attr]
    assert kinds == [SignalKind.HEARTBEAT, SignalKind.SOS]


@pytest.mark.parametrize("query", ["id=1&lat=0&lon=0", "id=1&lat=42.8&lon=74.6&valid=false"])
def test_no_position_is_invented(query: str) -> None:
    (event,) = _events(decode(query, b"", received_at=RECEIVED))
    assert isinstance(event, Signal) and event.kind is SignalKind.HEARTBEAT


def test_mock_location_marks_fix_and_raises_signal() -> None:
    events = _events(decode("id=1&lat=1&lon=1&mock=true", b"", received_at=RECEIVED))
    assert isinstance(events[0], Fix) and events[0].mock
    assert isinstance(events[1], Signal) and events[1].kind is SignalKind.MOCK_LOCATION


@pytest.mark.parametrize(
    ("accuracy", "expected"),
    [("", DEFAULT_ACCURACY_M), ("0", DEFAULT_ACCURACY_M), ("-3", DEFAULT_ACCURACY_M),
     ("0.2", MIN_ACCURACY_M), ("3.8", 3.8), ("250", 250.0)],
)  # fmt: skip
def test_accuracy_rules(accuracy: str, expected: float) -> None:
    query = "id=1&lat=1&lon=1" + (f"&accuracy={accuracy}" if accuracy else "")
    assert _one_fix(decode(query, b"", received_at=RECEIVED)).acc == expected


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("lat=1&lon=1", "missing id"),
        ("id=1&lat=x&lon=1", "lat is not a number"),
        ("id=1&lat=1", "lat and lon must come together"),
        ("id=1&lat=91&lon=1", "position out of range"),
        ("id=1&lat=inf&lon=1", "lat is not a finite number"),
        ("id=1&lat=1&lon=1&charge=maybe", "charge is not a boolean"),
        ("id=1&location=1;2", "location is not lat,lon"),
    ],
)
def test_malformed_query(query: str, reason: str) -> None:
    (report,) = decode(query, b"", received_at=RECEIVED)
    assert isinstance(report, DecodeError) and reason in report.reason


def test_negative_speed_and_heading_mean_unknown() -> None:
    fix = _one_fix(
        decode("id=1&lat=1&lon=1&speed=-1&bearing=-1&batt=-1", b"", received_at=RECEIVED)
    )
    assert (fix.speed, fix.heading, fix.battery) == (None, None, None)


def test_empty_request_is_malformed() -> None:
    (report,) = decode("", b"", received_at=RECEIVED)
    assert isinstance(report, DecodeError)


# --- JSON -------------------------------------------------------------------------------------


def _transistorsoft(**location: Any) -> bytes:
    base: dict[str, Any] = {
        "timestamp": "2026-08-22T10:00:00.000Z",
        "coords": {
            "latitude": 42.87,
            "longitude": 74.59,
            "accuracy": 4,
            "speed": 2.5,
            "heading": 180,
        },
        "battery": {"level": 0.31, "is_charging": True},
        "extras": {},
    }
    base.update(location)
    return msgspec.json.encode({"location": base, "device_id": "app-1"})


def test_transistorsoft_object() -> None:
    fix = _one_fix(decode("", _transistorsoft(), "application/json", received_at=RECEIVED))
    assert fix.t == datetime(2026, 8, 22, 10, tzinfo=UTC).timestamp()
    assert (fix.device_id, fix.lat, fix.lon, fix.heading) == ("app-1", 42.87, 74.59, 180.0)
    # Speed is already m/s; accuracy 4 m is kept (Traccar would store 0 below minAccuracy).
    assert (fix.speed, fix.acc, fix.battery, fix.charging) == (2.5, 4.0, 31.0, True)


def test_transistorsoft_alarm_in_extras_and_mock() -> None:
    body = _transistorsoft(mock=True, extras={"alarm": "sos"})
    kinds = [getattr(e, "kind", None) for e in _events(decode("", body, received_at=RECEIVED))]
    assert kinds == [None, SignalKind.MOCK_LOCATION, SignalKind.SOS]


def test_transistorsoft_without_coords_is_heartbeat() -> None:
    body = msgspec.json.encode({"location": {"battery": {"level": 0.5}}, "device_id": "app-1"})
    (event,) = _events(decode("", body, "application/json", received_at=RECEIVED))
    assert isinstance(event, Signal) and (event.kind, event.value) == (SignalKind.HEARTBEAT, 50.0)


def test_transistorsoft_location_list_and_missing_device() -> None:
    one = msgspec.json.decode(_transistorsoft())["location"]
    body = msgspec.json.encode({"device_id": "app-1", "location": [one, {"coords": "bad"}]})
    good, bad = decode("", body, received_at=RECEIVED)
    assert not isinstance(good, DecodeError) and isinstance(bad, DecodeError)
    (report,) = decode("", msgspec.json.encode({"location": one}), received_at=RECEIVED)
    assert isinstance(report, DecodeError) and report.reason == "missing device_id"


def test_flat_array_bad_item_does_not_spoil_neighbours() -> None:
    body = msgspec.json.encode(
        [
            {"id": "p1", "lat": 42.87, "lon": 74.59, "timestamp": 1787400000, "speed": 1.94},
            {"id": "p1", "lat": "north", "lon": 74.59},
            {"id": "p1", "timestamp": 1787400060, "batt": 80, "charge": False},
            7,
        ]
    )
    first, second, third, fourth = decode("", body, "application/json", received_at=RECEIVED)
    assert isinstance(first, list) and isinstance(first[0], Fix)
    assert first[0].speed == pytest.approx(1.94 * KNOT_MPS)  # flat objects keep OsmAnd units
    assert isinstance(second, DecodeError) and "lat" in second.reason
    assert isinstance(third, list) and isinstance(third[0], Signal) and third[0].value == 80.0
    assert isinstance(fourth, DecodeError)


def test_invalid_json_is_malformed() -> None:
    (report,) = decode("", b'{"location": ', "application/json", received_at=RECEIVED)
    assert isinstance(report, DecodeError) and report.reason.startswith("invalid JSON")


# --- message keys -------------------------------------------------------------------------------


def test_message_key_ignores_receive_time_only() -> None:
    query = "id=1&lat=42.87&lon=74.59&timestamp=1787400000"
    first = _one_fix(decode(query, b"", received_at=RECEIVED))
    resend = _one_fix(decode(query, b"", received_at=RECEIVED + 600))
    moved = _one_fix(decode(query.replace("74.59", "74.60"), b"", received_at=RECEIVED))
    assert message_key(first) == message_key(resend)
    assert message_key(first) != message_key(moved)
