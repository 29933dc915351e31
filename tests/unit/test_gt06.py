"""GT06 decoder: every conformance vector, then each rule the module documents."""

from __future__ import annotations

import calendar
import time
from typing import Any

import pytest

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.gateways import gt06
from korgoo.gateways.crc import crc16_x25
from korgoo.gateways.tcp import Decoded
from tests.conformance import vectors

VECTORS = vectors("gt06")
DEVICE = DeviceInfo("bracelet-2", DeviceKind.BRACELET)
AT = float(calendar.timegm((2027, 1, 1, 0, 0, 0)))  # after every vector's device time

TRACCAR_ALARMS = {
    "sos": SignalKind.SOS,
    "removing": SignalKind.STRAP_OPEN,
    "tampering": SignalKind.TAMPER,
    "lowBattery": SignalKind.LOW_BATTERY,
    "powerCut": SignalKind.POWER_CUT,
    "powerOff": SignalKind.POWER_OFF,
    "fallDown": SignalKind.FALL,
}
DECODED_TYPES = gt06.GPS_TYPES | {gt06.LOGIN, gt06.STATUS, gt06.LBS_STATUS, gt06.HEARTBEAT}
NOT_DECODED = ("unsupported_type", "unknown_layout", "too_short")


def fixes(decoded: Decoded) -> list[Fix]:
    return [e for e in decoded.events if isinstance(e, Fix)]


def signals(decoded: Decoded, kind: SignalKind | None = None) -> list[Signal]:
    return [e for e in decoded.events if isinstance(e, Signal) and (kind is None or e.kind is kind)]


def alarm_kinds(decoded: Decoded) -> set[SignalKind]:
    return {s.kind for s in signals(decoded)} - {SignalKind.HEARTBEAT}


def battery_of(decoded: Decoded) -> float | None:
    for event in decoded.events:
        if isinstance(event, Fix) or event.kind is SignalKind.HEARTBEAT:
            return event.battery if isinstance(event, Fix) else event.value
    return None


def iso(stamp: str) -> float:
    return float(calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")))


def is_model_variant(entry: dict[str, Any]) -> bool:
    """Frames laid out per device model or firmware (Traccar picks the layout by a
    model setting or a guess); we decode only the standard layout."""
    derived = entry.get("derived", {})
    variant = derived.get("traccar_variant_guess")
    return variant not in (None, "STANDARD") or "device_model_override" in entry.get("context", {})


@pytest.mark.parametrize(
    "entry", VECTORS, ids=[f"{i}-{v['source'].rsplit('/', 1)[-1]}" for i, v in enumerate(VECTORS)]
)
def test_conformance_vector(entry: dict[str, Any]) -> None:
    expect = entry["expect"]
    derived = entry.get("derived", {})
    raw = bytes.fromhex(entry["message"])

    if entry.get("direction") == "server_to_device":
        assert expect["command"]["type"] == "engineStop"
        assert gt06.command("Relay,1#") == raw
        return

    buffer = bytearray(raw)
    frames, error = gt06.cut_frames(buffer, 1 << 20)
    assert error == ""
    if not frames:
        # Only one vector is cut short (it has no 0D0A at all): the cutter
        # waits for the rest of the frame instead of failing.
        assert not raw.endswith(b"\r\n") and buffer == bytearray(raw)
        return
    if expect["check"] == "frame":
        assert frames[0] == bytes.fromhex(expect["frame_hex"])
    # Traccar's test harness makes up a session for every frame; we give the
    # decoder a logged-in device the same way.
    results = [gt06.decode(frame, DEVICE, AT) for frame in frames]
    decoded = results[0]
    for result in results:
        assert not result.malformed

    if frames[0] == raw and derived.get("start"):
        assert decoded.crc_ok is derived["crc_itu_ok"]  # wrong CRCs are counted, not dropped
        assert decoded.length_ok is derived["frame_length_consistent"]
    if derived.get("traccar_ack_hex"):
        assert decoded.reply.hex() == derived["traccar_ack_hex"]
    if expect["check"] == "server_reply":
        assert decoded.reply.hex() == expect["reply_hex"]
    if derived.get("login"):
        assert gt06.login_imei(frames[0]) == derived["login"]["imei"]
        tz = derived["login"].get("timezone_offset_minutes_as_traccar_reads_it")
        parsed = gt06.parse_frame(frames[0])
        assert parsed is not None
        assert gt06.login_tz_min(parsed.data) == tz

    proto = int(derived["protocol_number"], 16) if derived.get("protocol_number") else None
    if is_model_variant(entry):
        # Model-specific layouts (SEEWORLD, VXT01, LW4G-4B, ...) are not decoded
        # in v1: framing, CRC and the acknowledgement are checked above; what
        # the standard decoding makes of them is not a claim we stand behind.
        return

    gps = derived.get("gps_block")
    if gps is not None:
        found = fixes(decoded)
        if gps["valid"]:
            (fix,) = found
            assert fix.lat == pytest.approx(gps["latitude"], abs=1e-5)
            assert fix.lon == pytest.approx(gps["longitude"], abs=1e-5)
            assert fix.t == iso(gps["time"])
            assert fix.speed == pytest.approx(gps["speed_kmh"] / 3.6)
            assert fix.heading == gps["course"]
        else:
            # Deliberate: an invalid GPS block is not stored as a Fix (Traccar
            # stores it with stale coordinates); a HEARTBEAT says the device lives.
            assert found == []
            assert len(signals(decoded, SignalKind.HEARTBEAT)) == 1
    status = derived.get("status_0x13")
    if status is not None:
        assert battery_of(decoded) == status["traccar_battery_level"]

    check = expect["check"]
    if check == "null" or proto == gt06.LOGIN:  # a login identifies, it stores nothing
        assert decoded.events == ()
        return
    if check == "position" and "latitude" in expect:
        (fix,) = fixes(decoded)
        assert expect["valid"] is True
        assert fix.lat == pytest.approx(expect["latitude"], abs=1e-5)
        assert fix.lon == pytest.approx(expect["longitude"], abs=1e-5)
        assert fix.t == iso(expect["time"])
    if proto not in DECODED_TYPES or decoded.dropped in NOT_DECODED:
        # Types outside what a bracelet needs (vehicle OBD, Wi-Fi/LBS lists,
        # 0x94 information, video alarms, ...) and truncated GPS blocks are
        # acknowledged where Traccar does and otherwise ignored, and counted.
        assert decoded.events == ()
        assert decoded.dropped in NOT_DECODED
        return
    assert decoded.events, "a decoded type yields at least a Fix or a HEARTBEAT"
    if check == "attribute" and expect["key"] == "alarm":
        wanted = TRACCAR_ALARMS.get(expect["value"])
        assert wanted is not None, "every alarm of a decoded standard frame maps"
        assert wanted in alarm_kinds(decoded)
    if check == "attribute" and expect["key"] == "batteryLevel":
        assert battery_of(decoded) == expect["value"]


def build(proto: int, info: bytes, serial: int = 1) -> bytes:
    body = bytes((5 + len(info), proto)) + info + serial.to_bytes(2, "big")
    return b"\x78\x78" + body + crc16_x25(body).to_bytes(2, "big") + b"\r\n"


def gps_block(
    when: tuple[int, ...] = (26, 3, 1, 10, 20, 30),
    lat: float = 42.874621,
    lon: float = 74.569762,
    speed: int = 36,
    valid: bool = True,
    course: int = 270,
) -> bytes:
    flags = course | 0x400 | (0x1000 if valid else 0)  # north, east
    return (
        bytes(when)
        + bytes((0xC9,))  # 9 satellites
        + round(abs(lat) * 1_800_000).to_bytes(4, "big")
        + round(abs(lon) * 1_800_000).to_bytes(4, "big")
        + bytes((speed,))
        + flags.to_bytes(2, "big")
    )


LBS = bytes.fromhex("09") + bytes.fromhex("01b30000010000ab")  # length byte, MCC 437 (Kyrgyzstan)


def alarm_frame(terminal_info: int, alarm: int, valid: bool = True, voltage: int = 5) -> bytes:
    status = bytes((terminal_info, voltage, 4, alarm, 0x02))
    return build(0x16, gps_block(valid=valid) + LBS + status)


def test_position_units_time_and_accuracy() -> None:
    (fix,) = fixes(gt06.decode(build(0x12, gps_block() + bytes(8)), DEVICE, AT))
    assert fix.lat == pytest.approx(42.874621, abs=1e-6)
    assert fix.lon == pytest.approx(74.569762, abs=1e-6)
    assert fix.t == calendar.timegm((2026, 3, 1, 10, 20, 30))
    assert fix.speed == pytest.approx(10.0)
    assert fix.heading == 270
    assert fix.acc == 15.0
    assert fix.source == "gt06" and fix.at == AT


@pytest.mark.parametrize(
    ("alarm", "kind"),
    [
        (0x01, SignalKind.SOS),
        (0x02, SignalKind.POWER_CUT),
        (0x0E, SignalKind.LOW_BATTERY),
        (0x0F, SignalKind.LOW_BATTERY),
        (0x19, SignalKind.LOW_BATTERY),
        (0x11, SignalKind.POWER_OFF),
        (0x0C, SignalKind.TAMPER),
        (0x13, SignalKind.TAMPER),
        (0x25, SignalKind.TAMPER),
        (0x32, SignalKind.TAMPER),
        (0x18, SignalKind.STRAP_OPEN),
        (0x23, SignalKind.FALL),
        (0x06, None),  # overspeed: a vehicle alarm
        (0x00, None),
    ],
)
def test_alarm_byte_table(alarm: int, kind: SignalKind | None) -> None:
    decoded = gt06.decode(alarm_frame(0x44, alarm), DEVICE, AT)
    assert alarm_kinds(decoded) == ({kind} if kind else set())
    assert len(fixes(decoded)) == 1


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (2, SignalKind.POWER_CUT),
        (3, SignalKind.LOW_BATTERY),
        (4, SignalKind.SOS),
        (7, SignalKind.STRAP_OPEN),
        (1, None),
        (6, None),
    ],
)
def test_terminal_info_alarm_bits(code: int, kind: SignalKind | None) -> None:
    decoded = gt06.decode(build(0x13, bytes((code << 3, 3, 4, 0, 2))), DEVICE, AT)
    assert alarm_kinds(decoded) == ({kind} if kind else set())
    (heartbeat,) = signals(decoded, SignalKind.HEARTBEAT)
    assert heartbeat.value == 50


def test_every_alarm_is_reported_not_only_the_first() -> None:
    decoded = gt06.decode(alarm_frame(4 << 3, 0x18), DEVICE, AT)  # SOS bits and strap byte
    assert alarm_kinds(decoded) == {SignalKind.SOS, SignalKind.STRAP_OPEN}


def test_sos_without_gps_fix_is_not_lost() -> None:
    decoded = gt06.decode(alarm_frame(0x44, 0x01, valid=False), DEVICE, AT)
    assert fixes(decoded) == []
    assert alarm_kinds(decoded) == {SignalKind.SOS}
    (heartbeat,) = signals(decoded, SignalKind.HEARTBEAT)
    assert heartbeat.value == 83  # voltage level 5 of 6


def test_lbs_status_frame_alarms_and_battery() -> None:
    info = bytes.fromhex("01b30000010000ab") + bytes((0x44, 6, 4, 0x18, 2))
    decoded = gt06.decode(build(0x19, info), DEVICE, AT)
    assert alarm_kinds(decoded) == {SignalKind.STRAP_OPEN}
    assert battery_of(decoded) == 100
    assert decoded.reply == gt06.ack(0x19, b"\x00\x01")


def test_battery_and_charging_on_alarm_fix() -> None:
    (fix,) = fixes(gt06.decode(alarm_frame(0x44, 0x00, voltage=3), DEVICE, AT))
    assert fix.battery == 50
    assert fix.charging is True  # terminal info bit 2


def test_heartbeat_0x23() -> None:
    decoded = gt06.decode(build(0x23, bytes.fromhex("c0012204000100")), DEVICE, AT)
    assert [s.kind for s in signals(decoded)] == [SignalKind.HEARTBEAT]
    assert decoded.reply == gt06.ack(0x23, b"\x00\x01")


def test_frames_before_login_are_dropped_unacked() -> None:
    decoded = gt06.decode(alarm_frame(0x44, 0x01), None, AT)
    assert decoded.events == ()
    assert decoded.reply == b""
    assert decoded.dropped == "before_login"


def test_login_time_zone_applies_to_later_frames() -> None:
    codec = gt06.Gt06Codec(4096)
    login = build(0x01, bytes.fromhex("0864717003664467") + bytes.fromhex("100f190a"))
    assert codec.ident(login) == "864717003664467"
    assert codec.decode(login, DEVICE, AT).reply == gt06.ack(0x01, b"\x00\x01")
    assert codec.login_tz == -240  # 0x190a: 4:00 west
    (fix,) = fixes(codec.decode(build(0x12, gps_block()), DEVICE, AT))
    assert fix.t == calendar.timegm((2026, 3, 1, 10, 20, 30)) + 240 * 60
    # A zone set on the device record wins over the login word.
    local = DeviceInfo("bracelet-2", DeviceKind.BRACELET, tz_offset_min=360)
    (fix,) = fixes(codec.decode(build(0x12, gps_block()), local, AT))
    assert fix.t == calendar.timegm((2026, 3, 1, 10, 20, 30)) - 360 * 60


def test_wrong_crc_is_flagged_but_frame_used() -> None:
    frame = bytearray(alarm_frame(0x44, 0x01))
    frame[-3] ^= 0xFF
    decoded = gt06.decode(bytes(frame), DEVICE, AT)
    assert decoded.crc_ok is False
    assert alarm_kinds(decoded) == {SignalKind.SOS}


def test_implausible_gps_time_gives_no_fix() -> None:
    decoded = gt06.decode(build(0x12, gps_block(when=(0, 0, 0, 0, 0, 0))), DEVICE, AT)
    assert fixes(decoded) == []
    (heartbeat,) = signals(decoded, SignalKind.HEARTBEAT)
    assert heartbeat.t == AT


def test_time_request_is_answered_with_receive_time() -> None:
    decoded = gt06.decode(build(0x8A, b""), DEVICE, calendar.timegm((2026, 5, 4, 3, 2, 1)))
    assert decoded.reply == gt06.ack(0x8A, b"\x00\x00", bytes((26, 5, 4, 3, 2, 1)))


def test_command_replies_are_not_acked() -> None:
    assert gt06.decode(build(0x81, b"\x05\x00\x00\x00\x00OK"), DEVICE, AT).reply == b""


def test_crc_check_values() -> None:
    assert crc16_x25(b"123456789") == 0x906E
    assert gt06.ack(0x01, b"\x00\x01") == bytes.fromhex("787805010001d9dc0d0a")


def test_three_logins_in_one_read_and_split_reads() -> None:
    login = bytes.fromhex("78780d0103588990521514070d5b42a40d0a")
    buffer = bytearray(login * 3)
    frames, error = gt06.cut_frames(buffer, 4096)
    assert (frames, error, buffer) == ([login] * 3, "", bytearray())
    replies = {gt06.decode(f, DEVICE, AT).reply.hex() for f in frames}
    assert replies == {"787805010d5b947b0d0a"}
    collected: list[bytes] = []
    stream = login + alarm_frame(0x44, 1)
    for byte in stream:
        buffer.append(byte)
        frames, error = gt06.cut_frames(buffer, 4096)
        assert error == ""
        collected += frames
    assert collected == [login, alarm_frame(0x44, 1)]


def test_cut_rejects_garbage_and_oversized() -> None:
    login = bytes.fromhex("78780d0103588990521514070d5b42a40d0a")
    assert gt06.cut_frames(bytearray(login + b"GET /"), 4096) == ([login], "garbage")
    assert gt06.cut_frames(bytearray(b"\x79\x79\xff\xff" + bytes(5000)), 4096) == ([], "oversized")


def test_login_with_non_bcd_imei_is_malformed() -> None:
    decoded = gt06.decode(build(0x01, bytes.fromhex("0abcdef012345678")), DEVICE, AT)
    assert decoded.malformed
    assert decoded.reply == b""
