"""Watch protocol (3G / SeTracker family, TCP, default port 5093).

Frame: ``[MM*ID*[IDX*]LLLL*CONTENT]``. Frames are cut on ``[``...``]`` bracket
depth (SSIDs may hold brackets) and unescaped (0x7D 01..05 -> ``} [ ] , *``).
The length field is often wrong in the wild: it is ignored for framing and
only reported (`length_ok`) for metrics.

Messages and what they give:

=============================  ===================================  =====================
type                           events                               reply
=============================  ===================================  =====================
LK[,steps,rolls,battery]       HEARTBEAT (value = battery % or      ``[MM*ID*0002*LK]``
                               None)
UD, UD2, UD3, UD_LTE,          Fix when the GPS fix is valid;       none
UD_WCDMA, WT                   status-word Signals; HEARTBEAT
                               (value = battery) when not valid
AL, AL_LTE, ALCUSTOMER...      as UD                                ``[MM*ID*0002*AL]``
INIT                           none                                 ``INIT,1``
TKQ, TKQ2                      none                                 echo of the type
JXTK (chunked voice)           none                                 ``JXTKR,1``
health (PULSE, heart, BLOOD,   none: not monitoring data            none
bphrt, TEMP, btemp2, oxygen),
TK, img, anything else
=============================  ===================================  =====================

Invalid fixes (``V``) are not turned into Fixes: their coordinates are stale or
zero and there is no cell geolocation here. The device is alive though, so an
invalid report yields a HEARTBEAT with its battery, and every alarm bit of its
status word still yields its Signal: an SOS pressed indoors is never lost.

Status word (hex, 32 bits; old firmware sends 16). Every bit is decoded on its
own and several may be set at once (Traccar reports only the first match, so
SOS + low battery became "low battery" and strap removal + SOS became "SOS").
The high 16 bits are edge alarms, the low 16 bits are states that hold while
the condition lasts (they repeat on every report; the engine's episodes make
the repeats idempotent):

====  =========  ==========================  ==============================
bit   kind       meaning                     Signal
====  =========  ==========================  ==============================
0     state      low battery                 LOW_BATTERY (value = battery)
1, 2  state      device-side fence out / in  none: zones are judged here
3     state      worn (firmware-dependent)   none: meaning varies by vendor
4     state      moving                      none
14    state      power cut                   POWER_CUT
16    alarm      SOS                         SOS
17    alarm      low battery                 LOW_BATTERY (value = battery)
18,19 alarm      device-side fence out / in  none: zones are judged here
20    alarm      taken off (strap removed)   STRAP_OPEN
21,22 alarm      fall                        FALL (one Signal for either)
====  =========  ==========================  ==============================

An AL frame whose status word maps to none of these (Traccar's "general"
alarm) is listed in `flags` as "general" and logged; when no bit of its status
word is known at all, it is also taken as an SOS (a false SOS costs an
operator a look; a lost one can cost a life).

Device time: the watch sends local time when its zone is set with ``LZ``;
`DeviceInfo.tz_offset_min` (minutes east of UTC) is subtracted.
Units: speed km/h -> m/s; accuracy from satellites (see tcp.gps_accuracy_m).
"""

from __future__ import annotations

import asyncio
import calendar
import functools
import math
import re

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import DeviceInfo, Ingest
from korgoo.gateways.tcp import (
    UNMAPPED_ALARM,
    Decoded,
    gps_accuracy_m,
    limits_from,
    plausible_time,
    serve_framed,
)
from korgoo.settings import Settings

PROTOCOL = "watch"
DEFAULT_PORT = 5093

_BRACKET = re.compile(rb"[\[\]]")
_SKIPPABLE = b"\r\n\t \x00"
_ESCAPES = (
    (b"}\x02", b"["),
    (b"}\x03", b"]"),
    (b"}\x04", b","),
    (b"}\x05", b"*"),
    (b"}\x01", b"}"),
)
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")

POSITION_TYPES = ("UD", "AL", "WT")
MEDIA_TYPES = frozenset({"TK", "TK2", "img"})
HEALTH_TYPES = frozenset({"pulse", "heart", "blood", "bphrt", "temp", "btemp2", "oxygen"})

# (bit, kind, name) for the status word; the name goes to `flags` for logs.
_STATUS_SIGNALS: tuple[tuple[int, SignalKind, str], ...] = (
    (0, SignalKind.LOW_BATTERY, "low_battery_state"),
    (14, SignalKind.POWER_CUT, "power_cut_state"),
    (16, SignalKind.SOS, "sos"),
    (17, SignalKind.LOW_BATTERY, "low_battery"),
    (20, SignalKind.STRAP_OPEN, "removing"),
    (21, SignalKind.FALL, "fall"),
    (22, SignalKind.FALL, "fall"),
)
_UNMAPPED_BITS: tuple[tuple[int, str], ...] = (
    (1, "fence_out_state"),
    (2, "fence_in_state"),
    (3, "worn_state"),
    (4, "moving"),
    (18, "fence_out"),
    (19, "fence_in"),
)


# --- framing -----------------------------------------------------------------


def unescape(frame: bytes) -> bytes:
    if b"}" not in frame:
        return frame
    for escaped, plain in _ESCAPES:
        frame = frame.replace(escaped, plain)
    return frame


def escape(data: bytes) -> bytes:
    """Escape binary payload bytes for a frame (the inverse of `unescape`)."""
    out = data.replace(b"}", b"}\x01")
    for escaped, plain in _ESCAPES[:-1]:
        out = out.replace(plain, escaped)
    return out


def cut_frames(buffer: bytearray, max_frame_bytes: int) -> tuple[list[bytes], str]:
    """Remove complete frames from the front of `buffer` (unescaped); leave a
    partial frame in it. Returns the frames and an error reason ("" if none)."""
    frames: list[bytes] = []
    while buffer:
        start = 0
        while start < len(buffer) and buffer[start] in _SKIPPABLE:
            start += 1
        if start:
            del buffer[:start]
            continue
        if buffer[0] != 0x5B:  # "["
            return frames, "garbage"
        end = _frame_end(buffer)
        if end < 0:
            if len(buffer) > max_frame_bytes:
                return frames, "oversized"
            break
        if end > max_frame_bytes:
            return frames, "oversized"
        frames.append(unescape(bytes(buffer[:end])))
        del buffer[:end]
    return frames, ""


def _frame_end(buffer: bytearray) -> int:
    """End of the frame starting at buffer[0] ("["), or -1 if not all received."""
    close = buffer.find(b"]")
    if close >= 0 and buffer.find(b"[", 1, close) < 0:
        return close + 1  # the usual frame: no bracket inside
    depth = 0
    for match in _BRACKET.finditer(buffer):
        depth += 1 if match.group() == b"[" else -1
        if depth == 0:
            return match.end()
    return -1


# --- header and replies --------------------------------------------------------


class Header:
    __slots__ = ("content", "ident", "index", "length_ok", "vendor")

    def __init__(self, vendor: str, ident: str, index: str | None, content: bytes, length_ok: bool):
        self.vendor = vendor
        self.ident = ident
        self.index = index
        self.content = content
        self.length_ok = length_ok


def parse_header(frame: bytes) -> Header | None:
    """Split ``[MM*ID*[IDX*]LLLL*CONTENT]``; None if the frame is not of that shape."""
    if len(frame) < 2 or frame[0] != 0x5B or frame[-1] != 0x5D:
        return None
    parts = frame[1:-1].split(b"*", 4)
    if len(parts) < 4 or len(parts[0]) != 2 or not parts[1]:
        return None
    vendor, ident = parts[0].decode("latin-1"), parts[1].decode("latin-1")
    index: str | None = None
    if len(parts) == 5 and _HEX4.fullmatch(parts[2]) and _HEX4.fullmatch(parts[3]):
        index = parts[2].decode("latin-1")
        length_field, content = parts[3], parts[4]
    else:
        length_field, content = parts[2], b"*".join(parts[3:])
    if not _HEX4.fullmatch(length_field):
        return None
    return Header(vendor, ident, index, content, int(length_field, 16) == len(content))


def encode_frame(vendor: str, ident: str, content: bytes, index: str | None = None) -> bytes:
    """A server->device frame or reply; the length counts content bytes as sent."""
    head = f"[{vendor}*{ident}*" + (f"{index}*" if index is not None else "")
    return head.encode() + f"{len(content):04x}*".encode() + content + b"]"


def command(vendor: str, ident: str, text: str, payload: bytes = b"") -> bytes:
    """A command frame, e.g. ``command("CS", id, "CR")`` (locate now),
    ``"UPLOAD,60"`` (report interval), ``"REMOVE,1"`` (strap alarm on); a binary
    `payload` (voice) is appended escaped."""
    return encode_frame(vendor, ident, text.encode() + escape(payload))


def _reply(header: Header, content: str) -> bytes:
    return _encoded_reply(header.vendor, header.ident, content, header.index)


@functools.lru_cache(maxsize=16384)
def _encoded_reply(vendor: str, ident: str, content: str, index: str | None) -> bytes:
    """Replies repeat per device (LK, AL ...): each is encoded once."""
    return encode_frame(vendor, ident, content.encode(), index)


# --- decoding ----------------------------------------------------------------------


def frame_ident(frame: bytes) -> str | None:
    header = parse_header(frame)
    return header.ident if header is not None else None


def decode(frame: bytes, device: DeviceInfo, at: float, header: Header | None = None) -> Decoded:
    """Decode one unescaped frame of an identified device received at `at`
    (`header`: the frame's, when already parsed)."""
    header = header or parse_header(frame)
    if header is None:
        return Decoded(kind="?", malformed="not a watch frame")
    comma = header.content.find(b",")
    kind = (header.content if comma < 0 else header.content[:comma]).decode("latin-1")
    body = b"" if comma < 0 else header.content[comma + 1 :]
    length_ok = header.length_ok

    if kind == "LK":
        values = body.decode("latin-1").split(",") if body else []
        battery = _battery(values[2]) if len(values) >= 3 else None
        event = Signal(device.device_id, at, at, SignalKind.HEARTBEAT, battery, PROTOCOL)
        return Decoded(kind, (event,), _reply(header, "LK"), length_ok=length_ok)
    if kind.startswith(POSITION_TYPES):
        events, flags = position_events(body.decode("latin-1").split(","), device, at)
        is_alarm = kind.startswith("AL")
        if is_alarm and not any(
            isinstance(e, Signal) and e.kind is not SignalKind.HEARTBEAT for e in events
        ):
            if not flags:
                # An alarm frame whose status word says nothing we know (Traccar's
                # "general"): the wearer pressed something. Better an operator
                # looks at a false SOS than a real one is lost.
                first = events[0]
                events = (
                    *events,
                    Signal(device.device_id, first.t, at, SignalKind.SOS, None, PROTOCOL),
                )
            flags = (*flags, UNMAPPED_ALARM)
        reply = _reply(header, "AL") if is_alarm else b""
        return Decoded(kind, events, reply, length_ok=length_ok, flags=flags)
    if kind == "INIT":
        return Decoded(kind, reply=_reply(header, "INIT,1"), length_ok=length_ok)
    if kind in ("TKQ", "TKQ2"):
        return Decoded(kind, reply=_reply(header, kind), length_ok=length_ok)
    if kind == "JXTK":
        return Decoded(kind, reply=_reply(header, "JXTKR,1"), length_ok=length_ok)
    if kind.lower() in HEALTH_TYPES:
        return Decoded(kind, length_ok=length_ok, dropped="health_reading")
    if kind in MEDIA_TYPES:
        return Decoded(kind, length_ok=length_ok, dropped="media")
    return Decoded(kind, length_ok=length_ok, dropped="unsupported_type")


def position_events(
    fields: list[str], device: DeviceInfo, at: float
) -> tuple[tuple[Fix | Signal, ...], tuple[str, ...]]:
    """Events of a UD/AL/WT body: a Fix if valid, else a HEARTBEAT; then one
    Signal per status-word alarm. Fields that do not parse are treated as absent."""
    t = _device_time(fields, device.tz_offset_min)
    if t is not None and not plausible_time(t, at):
        t = None
    battery = _battery(fields[12]) if len(fields) > 12 else None
    status = _hex(fields[15]) if len(fields) > 15 else None
    when = t if t is not None else at
    events: list[Fix | Signal] = []
    fix = _fix(fields, device, t, at, battery)
    if fix is not None:
        events.append(fix)
    else:
        events.append(Signal(device.device_id, when, at, SignalKind.HEARTBEAT, battery, PROTOCOL))
    kinds, flags = status_signals(status) if status else ((), ())
    for kind in kinds:
        value = battery if kind is SignalKind.LOW_BATTERY else None
        events.append(Signal(device.device_id, when, at, kind, value, PROTOCOL))
    return tuple(events), flags


def _is_alarm(event: Fix | Signal) -> bool:
    return isinstance(event, Signal) and event.kind is not SignalKind.HEARTBEAT


def status_signals(status: int) -> tuple[tuple[SignalKind, ...], tuple[str, ...]]:
    """Every Signal kind the status word raises (each once) and the names of all
    bits set, mapped or not."""
    kinds: list[SignalKind] = []
    flags: list[str] = []
    for bit, kind, name in _STATUS_SIGNALS:
        if status >> bit & 1:
            flags.append(name)
            if kind not in kinds:
                kinds.append(kind)
    flags.extend(name for bit, name in _UNMAPPED_BITS if status >> bit & 1)
    return tuple(kinds), tuple(flags)


def _fix(
    fields: list[str], device: DeviceInfo, t: float | None, at: float, battery: float | None
) -> Fix | None:
    if t is None or len(fields) < 7 or fields[2] != "A":
        return None
    lat = _coordinate(fields[3], fields[4], "S")
    lon = _coordinate(fields[5], fields[6], "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None
    speed_kmh = _float(fields[7]) if len(fields) > 7 else None
    course = _float(fields[8]) if len(fields) > 8 else None
    satellites = _float(fields[10]) if len(fields) > 10 else None
    return Fix(
        device_id=device.device_id,
        t=t,
        at=at,
        lat=lat,
        lon=lon,
        acc=gps_accuracy_m(int(satellites) if satellites is not None else None),
        speed=speed_kmh / 3.6 if speed_kmh is not None and speed_kmh >= 0 else None,
        heading=course if course is not None and 0 <= course <= 360 else None,
        battery=battery,
        source=PROTOCOL,
    )


def _device_time(fields: list[str], tz_offset_min: int) -> float | None:
    if len(fields) < 2:
        return None
    date, clock = fields[0], fields[1]
    digits = date + clock
    # isascii too: "²" passes isdigit() and int() refuses it.
    if len(date) != 6 or len(clock) != 6 or not (digits.isascii() and digits.isdigit()):
        return None
    midnight = _midnight(date)
    hour, minute, second = int(clock[0:2]), int(clock[2:4]), int(clock[4:6])
    if midnight is None or hour > 23 or minute > 59 or second > 59:
        return None
    return midnight + hour * 3600 + minute * 60 + second - tz_offset_min * 60


@functools.lru_cache(maxsize=64)
def _midnight(date: str) -> float | None:
    """UTC midnight of a ``DDMMYY`` date (a few distinct dates a day: cached)."""
    day, month, year = int(date[0:2]), int(date[2:4]), 2000 + int(date[4:6])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return float(calendar.timegm((year, month, day, 0, 0, 0)))


def _coordinate(value: str, hemisphere: str, negative: str) -> float | None:
    """Decimal degrees; the hemisphere letter may be empty, and a value already
    negative stays negative."""
    degrees = _float(value)
    if degrees is None:
        return None
    return -abs(degrees) if hemisphere.strip() == negative else degrees


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _hex(value: str) -> int | None:
    try:
        return int(value, 16)
    except ValueError:
        return None


def _battery(value: str) -> float | None:
    number = _float(value)
    return number if number is not None and 0 <= number <= 100 else None


# --- server ------------------------------------------------------------------------


class WatchCodec:
    """One Watch connection: its receive buffer."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.buffer = bytearray()
        self.max_frame_bytes = max_frame_bytes
        self.header: tuple[bytes, Header | None] = (b"", None)  # the last frame's, parsed once

    def cut(self, data: bytes) -> tuple[list[bytes], str]:
        self.buffer += data
        return cut_frames(self.buffer, self.max_frame_bytes)

    def ident(self, frame: bytes) -> str | None:
        header = parse_header(frame)
        self.header = (frame, header)
        return header.ident if header is not None else None

    def decode(self, frame: bytes, device: DeviceInfo | None, at: float) -> Decoded:
        if device is None:
            return Decoded(kind="?", malformed="no device id in frame")
        parsed, header = self.header
        return decode(frame, device, at, header if parsed is frame else None)


async def serve_watch(
    ingest: Ingest,
    host: str = "0.0.0.0",
    port: int = DEFAULT_PORT,
    *,
    settings: Settings | None = None,
) -> asyncio.Server:
    return await serve_framed(
        ingest,
        host,
        port,
        protocol=PROTOCOL,
        codec_factory=WatchCodec,
        limits=limits_from(settings),
    )
