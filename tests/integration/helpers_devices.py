"""Device-side clients for the end-to-end tests: real Watch and GT06 frames built
for enrolled ids (the layouts of the conformance vectors), readers for the
server's replies, free ports and order terms naming the test devices."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from korgoo.domain.terms import DeviceKind, OrderKind, OrderStatus, OrderTerms, Party, ZoneSpec
from korgoo.gateways.crc import crc16_x25

REPLY_TIMEOUT_S = 5.0
HOME = (42.8600, 74.6200)  # the protected person's home
M_PER_DEG_LAT = 111_045.0

# Watch status-word bits (see gateways/watch.py): SOS and strap removed are alarms.
WATCH_SOS = 1 << 16
WATCH_STRAP_REMOVED = 1 << 20

# GT06 alarm byte values.
GT06_SOS = 0x01


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / M_PER_DEG_LAT, point[1]


def order_terms(
    order_id: str,
    respondent: Iterable[tuple[str, DeviceKind]],
    protected: Iterable[tuple[str, DeviceKind]] = (),
    *,
    zones: tuple[ZoneSpec, ...] = (),
    starts_at: float | None = None,
    version: int = 1,
) -> OrderTerms:
    """An active court order from an hour ago for 30 days (real time: the gateways
    stamp messages with the wall clock)."""
    start = time.time() - 3600 if starts_at is None else starts_at
    return OrderTerms(
        order_id=order_id,
        version=version,
        kind=OrderKind.COURT,
        status=OrderStatus.ACTIVE,
        starts_at=start,
        ends_at=start + 30 * 86400,
        district="KG-GB-OKT",
        respondent=Party(f"{order_id}-respondent", "respondent", tuple(respondent)),
        protected=(Party(f"{order_id}-protected", "protected", tuple(protected)),),
        zones=zones,
    )


def home_zone(radius_m: float = 200.0) -> ZoneSpec:
    return ZoneSpec(
        zone_id="home",
        name="Home of the protected person",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [HOME[1], HOME[0]]},
        radius_m=radius_m,
    )


# --- Watch (text frames) ----------------------------------------------------------


def watch_frame(ident: str, content: str) -> bytes:
    body = content.encode()
    return f"[3G*{ident}*{len(body):04X}*".encode() + body + b"]"


def watch_position(
    ident: str,
    t: float,
    lat: float,
    lon: float,
    *,
    kind: str = "UD",
    status: int = 0,
    battery: int = 80,
    speed_kmh: float = 0.0,
) -> bytes:
    """A UD/AL report in the layout of the conformance frames (valid fix, 9 satellites)."""
    tm = time.gmtime(t)
    fields = (
        time.strftime("%d%m%y", tm),
        time.strftime("%H%M%S", tm),
        "A",
        f"{abs(lat):.6f}",
        "N" if lat >= 0 else "S",
        f"{abs(lon):.6f}",
        "E" if lon >= 0 else "W",
        f"{speed_kmh:.2f}",
        "0.0",
        "0.0",
        "9",
        "100",
        str(battery),
        "0",
        "0",
        f"{status:08X}",
        "1,255,437,1,21041,9067,121",
    )
    return watch_frame(ident, f"{kind}," + ",".join(fields))


def watch_lk(ident: str, battery: int = 80) -> bytes:
    return watch_frame(ident, f"LK,0,0,{battery}")


async def read_watch_reply(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        return await reader.readuntil(b"]")


# --- GT06 (binary frames) ---------------------------------------------------------


def gt06_frame(proto: int, info: bytes, serial: int) -> bytes:
    body = bytes((5 + len(info), proto)) + info + serial.to_bytes(2, "big")
    return b"\x78\x78" + body + crc16_x25(body).to_bytes(2, "big") + b"\r\n"


def gt06_login(imei: str, serial: int = 1) -> bytes:
    return gt06_frame(0x01, bytes.fromhex("0" + imei), serial)


def _gps_block(t: float, lat: float, lon: float) -> bytes:
    tm = time.gmtime(t)
    when = bytes((tm.tm_year - 2000, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec))
    course_status = 0x1000 | 0x0400  # fix valid, north latitude, east longitude
    return (
        when
        + bytes((0xC9,))  # 12 bytes of GPS info, 9 satellites
        + round(lat * 1_800_000).to_bytes(4, "big")
        + round(lon * 1_800_000).to_bytes(4, "big")
        + bytes((0,))  # speed km/h
        + course_status.to_bytes(2, "big")
    )


def gt06_gps(t: float, lat: float, lon: float, serial: int) -> bytes:
    """0x12 GPS + LBS."""
    lbs = bytes.fromhex("01b3000001" + "0000ab")
    return gt06_frame(0x12, _gps_block(t, lat, lon) + lbs, serial)


def gt06_alarm(t: float, lat: float, lon: float, alarm: int, serial: int) -> bytes:
    """0x16 GPS + LBS + status with the alarm byte."""
    lbs = bytes.fromhex("0901b30000010000ab")
    status = bytes((0x44, 5, 4, alarm, 0x02))  # terminal info, voltage, GSM, alarm, language
    return gt06_frame(0x16, _gps_block(t, lat, lon) + lbs + status, serial)


async def read_gt06_reply(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        return await reader.readuntil(b"\r\n")


def gt06_ack_of(reply: bytes) -> tuple[int, int]:
    """(protocol number, serial) of a server acknowledgement ``78 78 05 PROTO SERIAL CRC 0D 0A``."""
    return reply[3], int.from_bytes(reply[4:6], "big")
