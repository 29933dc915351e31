"""OsmAnd protocol decoder (Traccar Client and OsmAnd-compatible phone apps): pure.

One HTTP request in, normalised events out; the receive time and the server's zone
are passed in, so the same request always decodes the same way.

Accepted forms (see tests/conformance/data/README.md, section A):
* parameters in the URL query (any method, any path), or in an
  x-www-form-urlencoded body when the query is empty;
* the transistorsoft background-geolocation object `{"location": {...}, "device_id"}`
  (`location` may also be a list of such objects);
* a JSON array of flat parameter objects (the newest client's uploadJson mode),
  or one flat object.
The format is chosen by the body, not only by Content-Type: some clients send
`Content-Type: application/json` with an empty body and the data in the query.

Where Korgoo differs from Traccar, on purpose:
* Accuracy: we keep the accuracy the phone reports (Traccar stores 0 for JSON fixes
  better than `osmand.minAccuracy`). A missing, zero or negative accuracy means
  "unknown" (Android reports 0 when it has none), never "perfect": it becomes
  DEFAULT_ACCURACY_M. Reported values below MIN_ACCURACY_M are raised to it.
* No position is invented: a report without coordinates, with `valid=false`, or at
  exactly 0,0 (the no-fix placeholder of many clients) is a HEARTBEAT signal, where
  Traccar would copy the last known position.
* Unknown attributes (`extras`, `ignition`, `rpm`, ...) are dropped: the monitoring
  model has no attribute bag. An `alarm` we cannot name still raises SOS, so that an
  operator looks at it, as Traccar raises a generic alarm event for any value.
* A device time before 2000 or more than 25 h ahead of the receive time is refused
  as malformed (the bounds Traccar's tests hold a position to).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import msgspec

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.gateways import json_input

SOURCE = "osmand"
DEFAULT_TZ = "Asia/Bishkek"
DEFAULT_ACCURACY_M = 50.0  # a phone fix of unknown quality: network-location class
MIN_ACCURACY_M = 1.0
KNOT_MPS = 1852.0 / 3600.0
EARLIEST_DEVICE_TIME = 946684800.0  # 2000-01-01T00:00:00Z
MAX_AHEAD_S = 25 * 3600.0
_UNIX_SECONDS_BELOW = 2**31  # Traccar: a smaller number is seconds, otherwise ms

Event = Fix | Signal

# Traccar alarm names -> our signals; anything else is raised as SOS (see above).
_ALARMS = {
    "sos": SignalKind.SOS,
    "panic": SignalKind.SOS,
    "falldown": SignalKind.FALL,
    "lowbattery": SignalKind.LOW_BATTERY,
    "poweroff": SignalKind.POWER_OFF,
    "powercut": SignalKind.POWER_CUT,
    "tampering": SignalKind.TAMPER,
    "removing": SignalKind.STRAP_OPEN,
}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class DecodeError(Exception):
    """The request (or one report in it) is malformed; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Report = list[Event] | DecodeError


def decode(
    query: str,
    body: bytes,
    content_type: str = "",
    *,
    received_at: float,
    tz: str = DEFAULT_TZ,
) -> list[Report]:
    """Decode one HTTP request into reports, one per location report it carries.

    A report is the events of one location report (a Fix or a HEARTBEAT, then any
    SOS / MOCK_LOCATION signal), or a DecodeError saying why that report is bad; a
    bad report in a JSON array does not spoil its neighbours. A request that cannot
    be read at all gives a single DecodeError.
    """
    zone = ZoneInfo(tz)
    stripped = body.strip()
    if stripped[:1] in (b"{", b"[") or (stripped and content_type.startswith("application/json")):
        return _decode_json(stripped, received_at, zone)
    if query:
        return [_guard(lambda: _decode_params(_parse_qs(query), received_at, zone))]
    if stripped:
        try:
            text = stripped.decode()
        except UnicodeDecodeError:
            return [DecodeError("body is not UTF-8 form data")]
        return [_guard(lambda: _decode_params(_parse_qs(text), received_at, zone))]
    return [DecodeError("empty request: no query and no body")]


def message_key(event: Event) -> str:
    """Digest of device, device time and content: a resend is stored once.

    The receive time is left out, since it differs on every resend.
    """
    canonical = msgspec.json.encode(msgspec.structs.replace(event, at=0.0))
    return "osmand:" + hashlib.blake2b(canonical, digest_size=16).hexdigest()


def parse_time(value: str, zone: ZoneInfo) -> float:
    """Every timestamp form OsmAnd clients send, as epoch seconds.

    Unix seconds or milliseconds, ISO-8601 (a value with a `T`; no zone means the
    server zone), or `yyyy-MM-dd HH:mm:ss` in the server zone.
    """
    value = value.strip()
    try:
        if "T" in value:
            return _aware(datetime.fromisoformat(value), zone).timestamp()
        try:
            number = float(value)
        except ValueError:
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).timestamp()
    except ValueError:
        raise DecodeError(f"unreadable timestamp {value!r}") from None
    if not math.isfinite(number):
        raise DecodeError(f"unreadable timestamp {value!r}")
    return number if number < _UNIX_SECONDS_BELOW else number / 1000.0


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _guard(decode_one: Callable[[], list[Event]]) -> Report:
    try:
        return decode_one()
    except DecodeError as error:
        return error


def _parse_qs(text: str) -> dict[str, str]:
    # Repeated keys: the last value wins (only cell/wifi repeat, and we drop them).
    return dict(parse_qsl(text, keep_blank_values=True))


def _number(raw: object, name: str) -> float | None:
    """A finite number from a parameter or JSON value; empty means absent."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise DecodeError(f"{name} is not a number")
    try:
        value = float(raw)
    except (ValueError, OverflowError):  # OverflowError: a JSON integer of 400 digits
        raise DecodeError(f"{name} is not a number: {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise DecodeError(f"{name} is not a finite number")
    return value


def _flag(raw: object, name: str) -> bool | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DecodeError(f"{name} is not a boolean: {raw!r}")


def _accuracy(raw: float | None) -> float:
    if raw is None or raw <= 0:
        return DEFAULT_ACCURACY_M
    return max(raw, MIN_ACCURACY_M)


def _battery(percent: float | None) -> float | None:
    # -1 is the clients' "unknown"; anything outside 0..100 is not a level.
    return percent if percent is not None and 0.0 <= percent <= 100.0 else None


def _not_negative(value: float | None) -> float | None:
    # Clients send -1 for "no speed" / "no heading".
    return value if value is not None and value >= 0 else None


def _device_time(raw: object, received_at: float, zone: ZoneInfo) -> float:
    if raw is None or raw == "":
        return received_at
    if isinstance(raw, bool):
        raise DecodeError("timestamp is not a time")
    if isinstance(raw, int | float):
        number = _number(raw, "timestamp")
        assert number is not None
        t = number if number < _UNIX_SECONDS_BELOW else number / 1000.0
    else:
        t = parse_time(str(raw), zone)
    if t < EARLIEST_DEVICE_TIME or t > received_at + MAX_AHEAD_S:
        raise DecodeError(f"implausible device time {raw!r}")
    return t


def _position(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise DecodeError("lat and lon must come together")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise DecodeError(f"position out of range: {lat},{lon}")
    if lat == 0.0 and lon == 0.0:
        return None
    return lat, lon


def _alarm_kind(alarm: object) -> SignalKind | None:
    if alarm is None or alarm == "" or alarm is False:
        return None
    return _ALARMS.get(str(alarm).strip().lower(), SignalKind.SOS)


def _events(
    device_id: str,
    t: float,
    at: float,
    where: tuple[float, float] | None,
    *,
    acc: float | None,
    speed: float | None,
    heading: float | None,
    battery: float | None,
    charging: bool | None,
    mock: bool,
    alarm: SignalKind | None,
) -> list[Event]:
    """Fix first (so the engine knows where a following SOS was raised), then signals."""
    out: list[Event] = []
    if where is None:
        out.append(Signal(device_id, t, at, SignalKind.HEARTBEAT, value=battery, source=SOURCE))
    else:
        out.append(
            Fix(
                device_id,
                t,
                at,
                where[0],
                where[1],
                _accuracy(acc),
                speed=speed,
                heading=heading,
                battery=battery,
                charging=charging,
                mock=mock,
                source=SOURCE,
            )
        )
    if mock:
        out.append(Signal(device_id, t, at, SignalKind.MOCK_LOCATION, source=SOURCE))
    if alarm is not None:
        out.append(Signal(device_id, t, at, alarm, source=SOURCE))
    return out


def _decode_params(params: Mapping[str, object], received_at: float, zone: ZoneInfo) -> list[Event]:
    """Query, form, or one flat JSON object: Traccar's parameter names."""
    device_id = str(params.get("id") or params.get("deviceid") or "").strip()
    if not device_id:
        raise DecodeError("missing id")
    t = _device_time(params.get("timestamp"), received_at, zone)
    lat, lon = _number(params.get("lat"), "lat"), _number(params.get("lon"), "lon")
    location = params.get("location")
    if lat is None and lon is None and location not in (None, ""):
        parts = str(location).split(",")
        if len(parts) != 2:
            raise DecodeError(f"location is not lat,lon: {location!r}")
        lat, lon = _number(parts[0], "location"), _number(parts[1], "location")
    where = _position(lat, lon)
    if _flag(params.get("valid"), "valid") is False:
        where = None
    knots = _not_negative(_number(params.get("speed"), "speed"))
    heading = params.get("bearing", params.get("heading"))
    return _events(
        device_id,
        t,
        received_at,
        where,
        acc=_number(params.get("accuracy"), "accuracy"),
        speed=None if knots is None else knots * KNOT_MPS,
        heading=_not_negative(_number(heading, "bearing")),
        battery=_battery(_number(params.get("batt"), "batt")),
        charging=_flag(params.get("charge"), "charge"),
        mock=bool(_flag(params.get("mock"), "mock")),
        alarm=_alarm_kind(params.get("alarm")),
    )


def _decode_location(
    location: object, device_id: str, received_at: float, zone: ZoneInfo
) -> list[Event]:
    """The transistorsoft background-geolocation location object (speed in m/s)."""
    if not isinstance(location, dict):
        raise DecodeError("location is not an object")
    coords = location.get("coords") or {}
    battery = location.get("battery") or {}
    extras = location.get("extras") or {}
    if (
        not isinstance(coords, dict)
        or not isinstance(battery, dict)
        or not isinstance(extras, dict)
    ):
        raise DecodeError("coords, battery and extras must be objects")
    level = _number(battery.get("level"), "battery.level")
    return _events(
        device_id,
        _device_time(location.get("timestamp"), received_at, zone),
        received_at,
        _position(
            _number(coords.get("latitude"), "latitude"),
            _number(coords.get("longitude"), "longitude"),
        ),
        acc=_number(coords.get("accuracy"), "accuracy"),
        speed=_not_negative(_number(coords.get("speed"), "speed")),
        heading=_not_negative(_number(coords.get("heading"), "heading")),
        battery=_battery(None if level is None else level * 100.0),
        charging=_flag(battery.get("is_charging"), "is_charging"),
        mock=bool(_flag(location.get("mock"), "mock")),
        alarm=_alarm_kind(location.get("alarm") or extras.get("alarm")),
    )


def _decode_json(body: bytes, received_at: float, zone: ZoneInfo) -> list[Report]:
    try:
        document = msgspec.json.decode(body)
    except json_input.UNREADABLE as error:
        return [DecodeError(f"invalid JSON: {json_input.problem(error)}")]
    if isinstance(document, list):
        if not document:
            return [DecodeError("empty JSON array")]
        return [_flat_object(item, received_at, zone) for item in document]
    if not isinstance(document, dict):
        return [DecodeError("JSON body is neither an object nor an array")]
    if "location" not in document:
        return [_flat_object(document, received_at, zone)]
    device_id = str(document.get("device_id") or "").strip()
    if not device_id:
        return [DecodeError("missing device_id")]
    locations = document["location"]
    if not isinstance(locations, list):
        locations = [locations]
    return [
        _guard(partial(_decode_location, item, device_id, received_at, zone)) for item in locations
    ]


def _flat_object(item: object, received_at: float, zone: ZoneInfo) -> Report:
    if not isinstance(item, dict):
        return DecodeError("array item is not an object")
    return _guard(lambda: _decode_params(item, received_at, zone))
