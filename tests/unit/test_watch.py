"""Watch decoder: every conformance vector, then each rule the module documents."""

from __future__ import annotations

import calendar
import time
import zoneinfo
from datetime import datetime
from typing import Any

import pytest

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.gateways import watch
from korgoo.gateways.tcp import Decoded
from tests.conformance import vectors

VECTORS = vectors("watch")
DEVICE = DeviceInfo("bracelet-1", DeviceKind.BRACELET)
AT = float(calendar.timegm((2027, 1, 1, 0, 0, 0)))  # after every vector's device time

# The status word as the vendor documents it, written out independently of the
# decoder: bit -> the Signal we must raise.
STATUS_BITS = {
    0: SignalKind.LOW_BATTERY,
    14: SignalKind.POWER_CUT,
    16: SignalKind.SOS,
    17: SignalKind.LOW_BATTERY,
    20: SignalKind.STRAP_OPEN,
    21: SignalKind.FALL,
    22: SignalKind.FALL,
}


def raw_of(entry: dict[str, Any]) -> bytes:
    if entry["encoding"] == "hex":
        return bytes.fromhex(entry["message"])
    return str(entry["message"]).encode("latin-1")


def first_frame(entry: dict[str, Any]) -> tuple[bytes, list[bytes]]:
    buffer = bytearray(raw_of(entry))
    frames, error = watch.cut_frames(buffer, 1 << 20)
    assert error == ""
    assert frames, "no complete frame"
    return frames[0], frames


def fixes(decoded: Decoded) -> list[Fix]:
    return [e for e in decoded.events if isinstance(e, Fix)]


def signals(decoded: Decoded, kind: SignalKind | None = None) -> list[Signal]:
    return [e for e in decoded.events if isinstance(e, Signal) and (kind is None or e.kind is kind)]


def alarm_kinds(decoded: Decoded) -> set[SignalKind]:
    return {s.kind for s in signals(decoded)} - {SignalKind.HEARTBEAT}


def expected_reply(derived: dict[str, Any], content: str) -> bytes:
    index = f"{derived['index']}*" if "index" in derived else ""
    head = f"[{derived['manufacturer']}*{derived['device_id']}*{index}"
    return f"{head}{len(content):04x}*{content}]".encode()


def command_content(command: dict[str, Any]) -> bytes | None:
    """What Traccar's encoder puts in the frame for each command kind in the vectors."""
    kind = command["type"]
    if kind == "rebootDevice":
        return b"RESET"
    if kind == "sosNumber":
        return f"SOS{command['index']},{command['phone']}".encode()
    if kind == "custom":
        return str(command["data"]).encode()
    if kind == "message":
        return b"MESSAGE," + str(command["message"]).encode("utf-16-be").hex().encode()
    if kind == "voiceMessage":
        return b"TK," + watch.escape(bytes.fromhex(command["data"]))
    if kind == "setTimezone":
        name = str(command["timezone"])
        if name.startswith("GMT"):
            hours, minutes = name[3:].split(":")
            offset = int(hours) + (1 if hours[0] != "-" else -1) * int(minutes) / 60
        else:
            utc = zoneinfo.ZoneInfo(name).utcoffset(datetime(2026, 1, 15))
            assert utc is not None
            offset = utc.total_seconds() / 3600
        language = command.get("language", "")
        return f"LZ,{language},{offset:+g}".encode()
    return None


@pytest.mark.parametrize(
    "entry", VECTORS, ids=[f"{i}-{v['source'].rsplit('/', 1)[-1]}" for i, v in enumerate(VECTORS)]
)
def test_conformance_vector(entry: dict[str, Any]) -> None:
    expect = entry["expect"]
    derived = entry.get("derived", {})

    if entry.get("direction") == "server_to_device":
        content = command_content(expect["command"])
        assert content is not None, "every encoder vector's command kind is mapped"
        assert watch.encode_frame("CS", "123456789012345", content) == raw_of(entry)
        return

    frame, frames = first_frame(entry)
    if expect is not None and expect["check"] == "frame":
        assert frame == bytes.fromhex(expect["frame_hex"])
        for each in frames:  # every frame cut from the input decodes without error
            assert not watch.decode(each, DEVICE, AT).malformed
        return

    decoded = watch.decode(frame, DEVICE, AT)
    assert not decoded.malformed
    assert decoded.kind == derived["type"]
    assert decoded.length_ok is derived["length_matches_content"]
    kind = decoded.kind

    # Replies: every LK and AL is answered; INIT, TKQ and JXTK as documented.
    if kind == "LK":
        assert decoded.reply == expected_reply(derived, "LK")
    elif kind.startswith("AL"):
        assert decoded.reply == expected_reply(derived, "AL")
    elif kind in ("TKQ", "TKQ2"):
        assert decoded.reply == expected_reply(derived, kind)
    elif kind == "JXTK":
        assert decoded.reply == expected_reply(derived, "JXTKR,1")
    else:
        assert decoded.reply == b""

    fields = derived.get("position_fields")
    if fields is not None:
        check_position(decoded, fields, expect)
    elif kind == "LK":
        # Traccar returns nothing for a bare LK ("null"); we deliberately record
        # a HEARTBEAT: the device is alive, and "no signal" rules need to know.
        (heartbeat,) = decoded.events
        assert isinstance(heartbeat, Signal) and heartbeat.kind is SignalKind.HEARTBEAT
        assert heartbeat.t == AT
        values = frame[1:-1].split(b",")[1:]
        assert heartbeat.value == (float(values[2]) if len(values) >= 3 else None)
    elif kind.lower() in watch.HEALTH_TYPES:
        # Traccar stores health readings as attributes; they are not monitoring
        # data here, so nothing is stored and the drop is counted.
        assert decoded.events == ()
        assert decoded.dropped == "health_reading"
    elif kind in watch.MEDIA_TYPES:
        # Voice messages and photos (Traccar's "audio" / "image") are not kept.
        assert decoded.events == ()
        assert decoded.dropped == "media"
    else:
        # TKQ and JXTK are answered (above) and carry nothing to store.
        assert kind in ("TKQ", "JXTK")
        assert decoded.events == ()


def check_position(decoded: Decoded, fields: dict[str, str], expect: dict[str, Any] | None) -> None:
    battery = float(fields["battery_percent"])
    t = float(
        calendar.timegm(time.strptime(fields["time_utc_as_traccar_reads_it"], "%Y-%m-%dT%H:%M:%SZ"))
    )
    found = fixes(decoded)
    if fields["validity"] == "A":
        (fix,) = found
        lat, lon = float(fields["lat"]), float(fields["lon"])
        if fields["lat_hemisphere"] == "S":
            lat = -abs(lat)
        if fields["lon_hemisphere"] == "W":
            lon = -abs(lon)
        assert fix.lat == pytest.approx(lat, abs=1e-6)
        assert fix.lon == pytest.approx(lon, abs=1e-6)
        assert fix.t == t
        assert fix.battery == battery
        assert fix.speed == pytest.approx(float(fields["speed_kmh"]) / 3.6)
        assert fix.acc > 0
        assert not signals(decoded, SignalKind.HEARTBEAT)
    else:
        # Deliberate: Traccar stores an invalid ("V") report as a position with
        # its stale or zero coordinates. We store no Fix, only a HEARTBEAT with
        # the battery, and the alarms below still go through.
        assert found == []
        (heartbeat,) = signals(decoded, SignalKind.HEARTBEAT)
        assert heartbeat.value == battery
        assert heartbeat.t == t

    if expect is not None and "latitude" in expect:
        assert expect["valid"] is (fields["validity"] == "A")
        if expect["valid"]:
            (fix,) = found
            assert fix.lat == pytest.approx(expect["latitude"], abs=1e-5)
            assert fix.lon == pytest.approx(expect["longitude"], abs=1e-5)
            assert fix.t == calendar.timegm(time.strptime(expect["time"][:19], "%Y-%m-%dT%H:%M:%S"))

    status = int(fields["status_hex"], 16)
    wanted = {kind for bit, kind in STATUS_BITS.items() if status >> bit & 1}
    if decoded.kind.startswith("AL") and status == 0:
        # Deliberate: an alarm frame that says nothing we know (Traccar's
        # "general") is taken as an SOS, so an operator looks at it.
        wanted = {SignalKind.SOS}
    # Deliberate: every bit raises its own Signal; Traccar keeps only the first.
    assert alarm_kinds(decoded) == wanted
    traccar = fields["traccar_alarm_from_status"]
    if traccar is not None and traccar not in ("geofenceExit", "geofenceEnter"):
        mapped = {
            "sos": SignalKind.SOS,
            "removing": SignalKind.STRAP_OPEN,
            "fallDown": SignalKind.FALL,
            "lowBattery": SignalKind.LOW_BATTERY,
            "powerCut": SignalKind.POWER_CUT,
        }[traccar]
        assert mapped in alarm_kinds(decoded)
    for low in signals(decoded, SignalKind.LOW_BATTERY):
        assert low.value == battery


def device_frame(content: str, ident: str = "9031853319") -> bytes:
    return f"[3G*{ident}*{len(content):04x}*{content}]".encode()


def position(status: str, validity: str = "A", date: str = "220322", clock: str = "055105") -> str:
    return (
        f"UD,{date},{clock},{validity},22.761162,N,114.360192,E,36,90,47,14,100,64,0,0,{status},0,0"
    )


def test_sos_with_low_battery_raises_both() -> None:
    # Traccar reports this word as "lowBattery" only: the SOS would be lost.
    decoded = watch.decode(device_frame(position("00010001")), DEVICE, AT)
    assert alarm_kinds(decoded) == {SignalKind.SOS, SignalKind.LOW_BATTERY}


def test_strap_removed_with_sos_raises_both() -> None:
    decoded = watch.decode(device_frame(position("00110000")), DEVICE, AT)
    assert alarm_kinds(decoded) == {SignalKind.SOS, SignalKind.STRAP_OPEN}


def test_fall_bits_raise_one_fall_signal() -> None:
    decoded = watch.decode(device_frame(position("00600000")), DEVICE, AT)
    assert [s.kind for s in signals(decoded)] == [SignalKind.FALL]
    assert "fall" in decoded.flags


def test_states_and_alarms_are_named_apart() -> None:
    decoded = watch.decode(device_frame(position("00024001")), DEVICE, AT)
    assert alarm_kinds(decoded) == {SignalKind.LOW_BATTERY, SignalKind.POWER_CUT}
    assert set(decoded.flags) == {"low_battery_state", "power_cut_state", "low_battery"}
    assert len(signals(decoded, SignalKind.LOW_BATTERY)) == 1


def test_sos_in_invalid_fix_is_not_lost() -> None:
    decoded = watch.decode(device_frame(position("00010000", validity="V")), DEVICE, AT)
    assert fixes(decoded) == []
    assert alarm_kinds(decoded) == {SignalKind.SOS}


def test_alarm_without_mapped_bit_is_flagged_general_and_replied() -> None:
    frame = device_frame(position("00000000").replace("UD", "AL", 1))
    decoded = watch.decode(frame, DEVICE, AT)
    assert decoded.flags == ("general",)
    assert decoded.reply == b"[3G*9031853319*0002*AL]"


def test_device_time_zone_is_applied() -> None:
    local = DeviceInfo("bracelet-1", DeviceKind.BRACELET, tz_offset_min=360)  # Asia/Bishkek, UTC+6
    (fix,) = fixes(watch.decode(device_frame(position("00000000")), local, AT))
    assert fix.t == calendar.timegm((2022, 3, 22, 5, 51, 5)) - 360 * 60


def test_units_and_accuracy() -> None:
    (fix,) = fixes(watch.decode(device_frame(position("00000000")), DEVICE, AT))
    assert fix.speed == pytest.approx(10.0)  # 36 km/h
    assert fix.heading == 90.0
    assert fix.acc == 15.0  # 14 satellites
    assert fix.source == "watch" and fix.device_id == "bracelet-1" and fix.at == AT


def test_hemisphere_quirks() -> None:
    body = "UD2,100116,153723,A,38.000000,,-9.000000,W,0.44,299.3,0.0,7,100,86,0,0,00000000"
    (fix,) = fixes(watch.decode(device_frame(body), DEVICE, AT))
    assert (fix.lat, fix.lon) == (38.0, -9.0)
    body = "UD,120316,140444,A,48.779045,N, 9.1574736,E,0.57,12.8,0.0,7,28,77,0,0,00000000"
    (fix,) = fixes(watch.decode(device_frame(body), DEVICE, AT))
    assert fix.lon == pytest.approx(9.1574736)


def test_implausible_device_time_gives_no_fix() -> None:
    decoded = watch.decode(device_frame(position("00000000", date="220399")), DEVICE, AT)
    assert fixes(decoded) == []
    (heartbeat,) = signals(decoded, SignalKind.HEARTBEAT)
    assert heartbeat.t == AT  # device time unusable: receive time stands in


def test_zero_position_marked_valid_gives_no_fix() -> None:
    body = "UD,220322,055105,A,0.0,N,0.0,E,0,0,0,0,100,64,0,0,00010000"
    decoded = watch.decode(device_frame(body), DEVICE, AT)
    assert fixes(decoded) == []
    assert alarm_kinds(decoded) == {SignalKind.SOS}


def test_short_or_garbled_position_still_yields_alarms() -> None:
    body = "AL,220322,055105,A,xx,N,yy,E,0,0,0,0,100,64,0,0,00100000"
    decoded = watch.decode(device_frame(body), DEVICE, AT)
    assert fixes(decoded) == []
    assert alarm_kinds(decoded) == {SignalKind.STRAP_OPEN}
    truncated = watch.decode(device_frame("UD,220322"), DEVICE, AT)
    assert [s.kind for s in signals(truncated)] == [SignalKind.HEARTBEAT]


def test_init_reply_and_index_echo() -> None:
    decoded = watch.decode(b"[ZJ*014111001350304*0034*0004*INIT]", DEVICE, AT)
    assert decoded.reply == b"[ZJ*014111001350304*0034*0006*INIT,1]"
    assert decoded.events == ()


def test_cut_frames_handles_split_and_concatenated_input() -> None:
    one, two = device_frame("LK,0,0,53"), device_frame(position("00010000"))
    buffer = bytearray()
    stream = one + two
    collected: list[bytes] = []
    for i in range(0, len(stream), 7):
        buffer += stream[i : i + 7]
        frames, error = watch.cut_frames(buffer, 4096)
        assert error == ""
        collected += frames
    assert collected == [one, two]
    assert buffer == bytearray()


def test_cut_frames_skips_line_breaks_and_rejects_garbage() -> None:
    buffer = bytearray(b"\r\n" + device_frame("LK") + b"GET / HTTP/1.1\r\n")
    frames, error = watch.cut_frames(buffer, 4096)
    assert frames == [device_frame("LK")]
    assert error == "garbage"


def test_cut_frames_rejects_oversized() -> None:
    buffer = bytearray(b"[3G*1*0000*" + b"x" * 5000)
    assert watch.cut_frames(buffer, 4096) == ([], "oversized")
    buffer = bytearray(device_frame("TK," + "x" * 5000))
    assert watch.cut_frames(buffer, 4096) == ([], "oversized")


def test_escape_round_trip() -> None:
    data = bytes(range(256))
    escaped = watch.escape(data)
    assert b"[" not in escaped and b"]" not in escaped and b"," not in escaped
    assert watch.unescape(escaped) == data


def test_locate_now_upload_interval_and_strap_alarm_commands() -> None:
    assert watch.command("CS", "9031853319", "CR") == b"[CS*9031853319*0002*CR]"
    assert watch.command("CS", "9031853319", "UPLOAD,60") == b"[CS*9031853319*0009*UPLOAD,60]"
    assert watch.command("CS", "9031853319", "REMOVE,1") == b"[CS*9031853319*0008*REMOVE,1]"


def test_not_a_watch_frame_is_malformed() -> None:
    assert watch.decode(b"[hello]", DEVICE, AT).malformed
    assert watch.frame_ident(b"[hello]") is None


def test_an_alarm_frame_that_says_nothing_known_is_taken_as_sos() -> None:
    body = "AL,170525,214118,A,42.87,N,74.59,E,0,0,0,6,80,50,0,0,{status}"
    general = watch.decode(device_frame(body.format(status="00000000")), DEVICE, AT)
    assert alarm_kinds(general) == {SignalKind.SOS}
    # A device-side fence alarm is known (zones are judged here): no SOS from it.
    fence = watch.decode(device_frame(body.format(status="00040000")), DEVICE, AT)
    assert alarm_kinds(fence) == set()
    # A plain position report without alarm bits is no alarm.
    report = watch.decode(
        device_frame(body.replace("AL", "UD").format(status="00000000")), DEVICE, AT
    )
    assert alarm_kinds(report) == set()
