"""GT06 / Concox binary protocol (TCP, default port 5023).

Frame: ``78 78 LEN(1) PROTO INFO SERIAL(2) CRC(2) 0D 0A``, long form ``79 79
LEN(2) ...``. Framing follows what real devices need (and Traccar does): trust
LEN when the frame then ends in 0D0A, otherwise cut at the next 0D0A; several
frames may come in one read and a frame may be split over reads.

CRC-ITU (CRC-16/X-25) over LEN..SERIAL is checked, and a mismatch is counted
(korgoo_gateway_crc_errors_total, and per connection = per device in the log)
but the frame is still used: 34 of the 199 real frames in the conformance set
carry a wrong CRC, and dropping a frame that may hold an SOS is worse than
taking a frame with a damaged checksum. TCP already protects the bytes in
transit; the CRC mostly catches firmware bugs.

A connection is a session: position frames carry no device id, so the login
(0x01, IMEI in BCD) identifies the device. Frames before a login are dropped
(reason "before_login") and not acknowledged.

Messages decoded (standard layout; per-model variants are not decoded):

=========================  ==================================================
type                       events
=========================  ==================================================
0x01 login                 none (optional time-zone word kept for the session)
0x10 0x11 0x12 0x1A 0x22   Fix if the GPS fix is valid, else HEARTBEAT
0x16 0x26 0x27 (alarm)     as above, with battery and charging; alarm Signals
0x19 LBS + status          HEARTBEAT (battery) and alarm Signals
0x13 status                HEARTBEAT (battery) and alarm Signals
0x23 heartbeat             HEARTBEAT
0x8A time request          none; the reply carries the server's UTC time
anything else              none ("unsupported_type"); 0x7979 long forms
                           (0x94 information etc.) are read safely and ignored
=========================  ==================================================

Alarms come from two places and every one found is reported (not only the
first): terminal-info bits 3-5 (2 power cut, 3 low battery, 4 SOS, 7 removed;
1 vibration and 6 geofence give no Signal) and the alarm byte:

==========================  ===========
alarm byte                  Signal
==========================  ===========
0x01                        SOS
0x02                        POWER_CUT
0x0E 0x0F 0x19              LOW_BATTERY
0x11                        POWER_OFF
0x0C 0x13 0x25 0x32         TAMPER
0x18                        STRAP_OPEN
0x23                        FALL
others (vehicle, geofence)  none
==========================  ===========

Battery: voltage level 0-6 -> level x 100 / 6 percent (Traccar's rule); a
larger value is a model-specific voltage and is ignored. Accuracy: see
tcp.gps_accuracy_m; invalid fixes and cell-only reports give no Fix.

Device time: GT06 sends UTC unless the device is set to a local zone. The zone
used is DeviceInfo.tz_offset_min when it is not 0, else the login's time-zone
word (bits 15..4 = zone x 100, bit 3 = west), else UTC.

Acknowledgement ``78 78 05 PROTO SERIAL CRC 0D 0A`` (sent by the server only
after the events are committed) for every short-form type except command
replies 0x80-0x82 and the types Traccar answers in their own way (0x17, 0x69,
0xF3 Wi-Fi, 0x2A address request, 0x35 photo); 0x8A gets the time reply.
"""

from __future__ import annotations

import asyncio
import calendar
import time

import msgspec

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo, Ingest
from korgoo.gateways.crc import crc16_x25
from korgoo.gateways.tcp import (
    Decoded,
    gps_accuracy_m,
    limits_from,
    plausible_time,
    serve_framed,
)
from korgoo.settings import Settings

PROTOCOL = "gt06"
DEFAULT_PORT = 5023

LOGIN = 0x01
STATUS = 0x13
HEARTBEAT = 0x23
LBS_STATUS = 0x19
TIME_REQUEST = 0x8A
GPS_TYPES = frozenset({0x10, 0x11, 0x12, 0x16, 0x1A, 0x22, 0x26, 0x27})
GPS_STATUS_TYPES = frozenset({0x16, 0x26, 0x27})
NO_ACK_TYPES = frozenset({0x17, 0x2A, 0x35, 0x69, 0x80, 0x81, 0x82, TIME_REQUEST, 0xF3})

GPS_BLOCK = 18
_TERMINAL_ALARMS = {
    2: SignalKind.POWER_CUT,
    3: SignalKind.LOW_BATTERY,
    4: SignalKind.SOS,
    7: SignalKind.STRAP_OPEN,
}
_TERMINAL_FLAGS = {
    1: "vibration",
    2: "power_cut",
    3: "low_battery",
    4: "sos",
    6: "geofence",
    7: "removing",
}
ALARM_BYTE = {
    0x01: SignalKind.SOS,
    0x02: SignalKind.POWER_CUT,
    0x0E: SignalKind.LOW_BATTERY,
    0x0F: SignalKind.LOW_BATTERY,
    0x19: SignalKind.LOW_BATTERY,
    0x11: SignalKind.POWER_OFF,
    0x0C: SignalKind.TAMPER,
    0x13: SignalKind.TAMPER,
    0x25: SignalKind.TAMPER,
    0x32: SignalKind.TAMPER,
    0x18: SignalKind.STRAP_OPEN,
    0x23: SignalKind.FALL,
}


# --- framing -----------------------------------------------------------------


def cut_frames(buffer: bytearray, max_frame_bytes: int) -> tuple[list[bytes], str]:
    """Remove complete frames from the front of `buffer`; leave a partial one.
    Returns the frames and an error reason ("" if none)."""
    frames: list[bytes] = []
    while len(buffer) >= 2:
        if buffer[0] != buffer[1] or buffer[0] not in (0x78, 0x79):
            return frames, "garbage"
        if len(buffer) < 5:
            break
        short = buffer[0] == 0x78
        size = 5 + buffer[2] if short else 6 + (buffer[2] << 8 | buffer[3])
        if len(buffer) >= size + 2 and buffer[size : size + 2] == b"\r\n":
            end = size + 2
        elif len(buffer) >= size and buffer[size - 2 : size] == b"\r\n":
            end = size
        else:
            found = buffer.find(b"\r\n", 2)
            if found < 0:
                if len(buffer) > max_frame_bytes:
                    return frames, "oversized"
                break
            end = found + 2
        if end > max_frame_bytes:
            return frames, "oversized"
        frames.append(bytes(buffer[:end]))
        del buffer[:end]
    return frames, ""


class Frame:
    """The fixed parts of one cut frame."""

    __slots__ = ("crc_ok", "data", "length_ok", "long", "payload", "proto", "serial")

    def __init__(self, raw: bytes) -> None:
        self.long = raw[0] == 0x79
        head = 5 if self.long else 4
        declared = (raw[2] << 8 | raw[3]) if self.long else raw[2]
        self.proto = raw[head - 1]
        self.length_ok = declared == len(raw) - (6 if self.long else 5)
        self.data = raw[head:-6]  # information content, between type and serial
        self.payload = raw[head:-2]  # up to 0D0A: old 0x10 frames carry no serial or CRC
        self.serial = raw[-6:-4]
        self.crc_ok = crc16_x25(raw[2:-4]) == (raw[-4] << 8 | raw[-3])


def parse_frame(raw: bytes) -> Frame | None:
    """None for a frame too short to hold a type, serial and CRC."""
    minimum = 11 if raw[:1] == b"\x79" else 10
    return Frame(raw) if len(raw) >= minimum else None


def ack(proto: int, serial: bytes, content: bytes = b"") -> bytes:
    """``78 78 LEN PROTO [content] SERIAL CRC 0D 0A``."""
    body = bytes((5 + len(content), proto)) + content + serial
    return b"\x78\x78" + body + crc16_x25(body).to_bytes(2, "big") + b"\r\n"


def command(text: str, serial: int = 0, server_flag: int = 0) -> bytes:
    """Online command 0x80 (e.g. ``"Relay,1#"``): length, server flag, ASCII text."""
    payload = text.encode("ascii")
    content = bytes((4 + len(payload),)) + server_flag.to_bytes(4, "big") + payload
    return ack(0x80, serial.to_bytes(2, "big"), content)


def time_reply(serial: bytes, at: float) -> bytes:
    now = time.gmtime(at)
    content = bytes(
        (now.tm_year - 2000, now.tm_mon, now.tm_mday, now.tm_hour, now.tm_min, now.tm_sec)
    )
    return ack(TIME_REQUEST, serial, content)


# --- login ----------------------------------------------------------------------


def login_imei(raw: bytes) -> str | None:
    """The IMEI of a login frame (BCD with a leading 0 nibble); None for other frames."""
    frame = parse_frame(raw)
    if frame is None or frame.long or frame.proto != LOGIN or len(frame.payload) < 8:
        return None
    return frame.payload[:8].hex()[1:]


def login_tz_min(data: bytes) -> int | None:
    """Zone from a login's time-zone word: bits 15..4 = zone x 100 (hhmm), bit 3 west."""
    if len(data) < 12:
        return None
    word = data[10] << 8 | data[11]
    hours, minutes = divmod(word >> 4, 100)
    offset = hours * 60 + minutes
    return -offset if word & 0x8 else offset


# --- decoding -----------------------------------------------------------------------


def decode(
    raw: bytes, device: DeviceInfo | None, at: float, login_tz: int | None = None
) -> Decoded:
    """Decode one frame. `device` is the logged-in device (None before login),
    `login_tz` the zone from its login word."""
    frame = parse_frame(raw)
    if frame is None:
        return Decoded(kind="short", dropped="too_short", length_ok=False)
    decoded = _decode_frame(frame, device, at, login_tz)
    return msgspec.structs.replace(decoded, crc_ok=frame.crc_ok, length_ok=frame.length_ok)


def _decode_frame(
    frame: Frame, device: DeviceInfo | None, at: float, login_tz: int | None
) -> Decoded:
    kind = f"0x{frame.proto:02x}"
    if frame.long:
        return Decoded(kind, dropped="unsupported_type")
    if frame.proto == LOGIN:
        imei = frame.payload[:8].hex()[1:]
        if len(imei) != 15 or not imei.isdigit():
            return Decoded(kind, malformed="login without a BCD IMEI")
        if device is None:
            return Decoded(kind, dropped="unknown_device")
        return Decoded(kind, reply=ack(LOGIN, frame.serial))
    if device is None:
        return Decoded(kind, dropped="before_login")
    tz = device.tz_offset_min or login_tz or 0
    events, flags, dropped = _events(frame, device, at, tz)
    return Decoded(kind, events, _reply(frame, at), dropped=dropped, flags=flags)


def _reply(frame: Frame, at: float) -> bytes:
    if frame.proto == TIME_REQUEST:
        return time_reply(b"\x00\x00", at)
    if frame.proto in NO_ACK_TYPES:
        return b""
    return ack(frame.proto, frame.serial)


def _events(
    frame: Frame, device: DeviceInfo, at: float, tz: int
) -> tuple[tuple[Fix | Signal, ...], tuple[str, ...], str]:
    """(events, status flags, dropped reason) of one logged-in frame."""
    data, proto = frame.data, frame.proto
    if proto in GPS_TYPES:
        # A GPS block that would overlap the serial and CRC means a truncated
        # frame: a bogus position is worse than none. The old serial-less 0x10
        # form (just the block before 0D0A) is complete.
        if len(data) >= GPS_BLOCK:
            block = data
        elif len(frame.payload) == GPS_BLOCK:
            block = frame.payload
        else:
            return (), (), "too_short"
        status = _status_after_lbs(data) if proto in GPS_STATUS_TYPES else None
        return _gps_events(block, status, device, at, tz)
    if proto == STATUS:
        if not 4 <= len(data) <= 6:
            return (), (), "unknown_layout"
        return _status_events(data, device, at)
    if proto == LBS_STATUS:
        lbs = 9 if data[:1] and data[0] & 0x80 else 8
        if not lbs + 4 <= len(data) <= lbs + 6:
            return (), (), "unknown_layout"
        return _status_events(data[lbs:], device, at)
    if proto == HEARTBEAT:
        return (Signal(device.device_id, at, at, SignalKind.HEARTBEAT, None, PROTOCOL),), (), ""
    if proto == TIME_REQUEST:
        return (), (), ""
    return (), (), "unsupported_type"


def _status_after_lbs(data: bytes) -> bytes | None:
    """The terminal-info/voltage/GSM/alarm bytes after the GPS block and the
    LBS block with its leading length byte (0 may mean a zero-filled 45-byte block)."""
    at = GPS_BLOCK
    if len(data) <= at:
        return None
    length = data[at]
    at += 1
    if length == 0 and not any(data[at + 8 : at + 44]) and len(data) >= at + 45 + 4:
        at += 45
    else:
        mnc_wide = len(data) > at and data[at] & 0x80
        at += (9 if mnc_wide else 8) + max(0, length - 9)
    status = data[at : at + 4]
    return status if len(status) == 4 else None


def _gps_events(
    data: bytes, status: bytes | None, device: DeviceInfo, at: float, tz: int
) -> tuple[tuple[Fix | Signal, ...], tuple[str, ...], str]:
    t = _gps_time(data, tz)
    when = t if t is not None and plausible_time(t, at) else None
    battery = _battery(status[1]) if status is not None else None
    flags_word = data[16] << 8 | data[17]
    lat = int.from_bytes(data[7:11], "big") / 1_800_000
    lon = int.from_bytes(data[11:15], "big") / 1_800_000
    if not flags_word & 0x400:
        lat = -lat
    if flags_word & 0x800:
        lon = -lon
    valid = bool(flags_word & 0x1000) and when is not None and (lat, lon) != (0.0, 0.0)
    valid = valid and abs(lat) <= 90 and abs(lon) <= 180
    events: list[Fix | Signal] = []
    if valid and when is not None:
        events.append(
            Fix(
                device_id=device.device_id,
                t=when,
                at=at,
                lat=lat,
                lon=lon,
                acc=gps_accuracy_m(data[6] & 0x0F),
                speed=data[15] / 3.6,
                heading=float(flags_word & 0x3FF),
                battery=battery,
                charging=bool(status[0] & 0x04) if status is not None else None,
                source=PROTOCOL,
            )
        )
    else:
        events.append(
            Signal(device.device_id, when or at, at, SignalKind.HEARTBEAT, battery, PROTOCOL)
        )
    if status is None:
        return tuple(events), (), ""
    kinds, flags = alarm_signals(status[0], status[3])
    events.extend(_signals(device, when or at, at, kinds, battery))
    return tuple(events), flags, ""


def _status_events(
    status: bytes, device: DeviceInfo, at: float
) -> tuple[tuple[Fix | Signal, ...], tuple[str, ...], str]:
    battery = _battery(status[1])
    kinds, flags = alarm_signals(status[0], status[3])
    heartbeat = Signal(device.device_id, at, at, SignalKind.HEARTBEAT, battery, PROTOCOL)
    return (heartbeat, *_signals(device, at, at, kinds, battery)), flags, ""


def alarm_signals(terminal_info: int, alarm: int) -> tuple[tuple[SignalKind, ...], tuple[str, ...]]:
    """Every Signal kind raised by the terminal-info alarm bits and the alarm
    byte (each once), and names of what was seen for logs."""
    kinds: list[SignalKind] = []
    flags: list[str] = []
    code = terminal_info >> 3 & 0x7
    if code in _TERMINAL_FLAGS:
        flags.append(_TERMINAL_FLAGS[code])
    if code in _TERMINAL_ALARMS:
        kinds.append(_TERMINAL_ALARMS[code])
    if alarm:
        flags.append(f"alarm_0x{alarm:02x}")
        kind = ALARM_BYTE.get(alarm)
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    return tuple(kinds), tuple(flags)


def _signals(
    device: DeviceInfo, t: float, at: float, kinds: tuple[SignalKind, ...], battery: float | None
) -> list[Fix | Signal]:
    return [
        Signal(
            device.device_id,
            t,
            at,
            kind,
            battery if kind is SignalKind.LOW_BATTERY else None,
            PROTOCOL,
        )
        for kind in kinds
    ]


def _gps_time(data: bytes, tz_offset_min: int) -> float | None:
    year, month, day, hour, minute, second = (
        2000 + data[0],
        data[1],
        data[2],
        data[3],
        data[4],
        data[5],
    )
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second))) - tz_offset_min * 60


def _battery(level: int) -> float | None:
    return float(level * 100 // 6) if level <= 6 else None  # Traccar rounds down too


# --- server ------------------------------------------------------------------------


class Gt06Codec:
    """One GT06 connection: its receive buffer and the zone from its login."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.buffer = bytearray()
        self.max_frame_bytes = max_frame_bytes
        self.login_tz: int | None = None

    def cut(self, data: bytes) -> tuple[list[bytes], str]:
        self.buffer += data
        return cut_frames(self.buffer, self.max_frame_bytes)

    def ident(self, frame: bytes) -> str | None:
        return login_imei(frame)

    def decode(self, frame: bytes, device: DeviceInfo | None, at: float) -> Decoded:
        decoded = decode(frame, device, at, self.login_tz)
        if decoded.reply and decoded.kind == f"0x{LOGIN:02x}":
            parsed = parse_frame(frame)
            if parsed is not None:
                self.login_tz = login_tz_min(parsed.data)
        return decoded


async def serve_gt06(
    ingest: Ingest,
    host: str = "0.0.0.0",
    port: int = DEFAULT_PORT,
    *,
    settings: Settings | None = None,
) -> asyncio.Server:
    return await serve_framed(
        ingest, host, port, protocol=PROTOCOL, codec_factory=Gt06Codec, limits=limits_from(settings)
    )
