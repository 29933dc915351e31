"""Fuzzing the device decoders in-process: every input must give a value or a
named rejection, never an exception.

Inputs are real-shaped messages of each protocol mutated at random: fields
replaced by hostile values (400-digit numbers, superscript digits that pass
`str.isdigit`, invalid UTF-8, NaN, JSON nested far deeper than any message),
bytes flipped, inserted, deleted and spliced. `feed` runs one input through a
protocol's decoding the way its gateway does; the unit tests drive the same
`feed` with hypothesis.
"""

from __future__ import annotations

import random
import time
import traceback
from collections import Counter
from collections.abc import Callable

import msgspec

from korgoo.domain.ingest import DeviceInfo
from korgoo.domain.terms import DeviceKind
from korgoo.gateways import gt06, mqtt, native, osmand, watch

RECEIVED = 1_780_000_000.0
DEVICE = DeviceInfo("fuzz-device", DeviceKind.BRACELET)
MAX_FRAME = 4096

HOSTILE: tuple[bytes, ...] = (
    b"",
    b"9" * 400,
    b"-" + b"9" * 400,
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"NaN",
    b"inf",
    b"\xc2\xb2\xc2\xb2\xc2\xb2\xc2\xb2\xc2\xb2\xc2\xb2",  # "²²²²²²": isdigit, not int
    b"\xd9\xa3" * 6,  # Arabic-Indic digits: int() reads them
    b"\xff\xfe\xfd",  # not UTF-8
    b"\xed\xa0\x80",  # a lone surrogate, UTF-8 encoded
    b"\x00",
    b"[" * 2000,
    b"{" * 2000,
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    b"[" * 100_000 + b"]" * 100_000,
    b"true",
    b"null",
    b"[]",
    b"{}",
    b'"x"',
    b"-1",
    b"0",
    b"99999999999999999999",
    b"9999-99-99T99:99:99",
    b"0001-01-01T00:00:00",
    b"9999-12-31T23:59:59+14:00",
    b"2025-13-45 25:61:61",
)

OSMAND_SEEDS: tuple[tuple[bytes, bytes, bytes], ...] = (
    (b"id=123456&lat=42.87&lon=74.59&timestamp=1780000000&speed=3&bearing=90&batt=55", b"", b""),
    (b"id=123456&location=42.87,74.59&timestamp=2026-05-01T10:00:00Z&accuracy=12", b"", b""),
    (b"", b"id=1&lat=42.8&lon=74.6&valid=true&alarm=sos", b"application/x-www-form-urlencoded"),
    (
        b"",
        b'{"location":{"timestamp":"2026-05-01T10:00:00.000Z","coords":{"latitude":42.87,'
        b'"longitude":74.59,"accuracy":5,"speed":1,"heading":-1},"battery":{"level":0.5,'
        b'"is_charging":false},"extras":{}},"device_id":"48241179"}',
        b"application/json",
    ),
    (
        b"",
        b'[{"id":"7","lat":42.8,"lon":74.6,"timestamp":1780000000000,"batt":50},'
        b'{"deviceid":"7","lat":"42.8","lon":"74.6","timestamp":"2026-05-01 10:00:00"}]',
        b"application/json",
    ),
)
WATCH_SEEDS: tuple[bytes, ...] = (
    b"[3G*6907919734*0009*LK,0,0,88]",
    b"[3G*6907919734*003e*AL_LTE,170525,214118,V,0,N,0,E,0,0,0,0,0,22,0,0,00010000,0,0,0]",
    b"[SG*8800000015*0087*UD,220414,134652,A,22.571707,N,113.8613968,E,0.1,0.0,100,7,60,90,"
    b"1000,50,0000,4,1,460,0,9360,4082,131,9360,4092,148,9360,4091,143,9360,4153,141]",
    b"[CS*1234567890*0001*0002*INIT]",
    b"[3G*1234567890*0004*TKQ2]",
)
GT06_SEEDS: tuple[bytes, ...] = tuple(
    bytes.fromhex(h)
    for h in (
        "78780d01086471700328358100093f040d0a",
        "78782616170a080c0e24c0027c58ad0c2b8b0100454e0901cc0025030328e7a0005d4b13021ec373170d0a",
        "78782f221709130f3a32cc02c55f2a089f9afc005c2101360481fe066d9b03000000000025d4000000000020002d036049d70d0a",
        "7878131340b2fa000201040000000000011c00400e550d0a",
        "7878171915061810051a01f90101700d08c8f50c0000065494ae0d0a",
        "78780b23c00122040001000818720d0a",
        "787819100b031a0b1b31cc027ac7fd0c4657bf0115210001001cc6070d0a",
        "79790008940b02e3048614200d0a",
        "7878058a000688290d0a",
    )
)
NATIVE_SEEDS: tuple[bytes, ...] = (
    b'{"messages":[{"id":1,"type":"fix","t":1780000000,"lat":42.87,"lon":74.59,"acc":8,'
    b'"speed":1.5,"heading":90,"battery":80,"charging":false}]}',
    b'{"messages":[{"id":"a","type":"signal","t":"2026-05-01T10:00:00+06:00","kind":"sos"},'
    b'{"id":"b","type":"fix","t":1780000000.5,"lat":0,"lon":0,"acc":1}]}',
)
MQTT_SEEDS: tuple[bytes, ...] = (
    b'{"secret":"s","id":1,"type":"fix","t":1780000000,"lat":42.87,"lon":74.59,"acc":8}',
    b'{"secret":"s","messages":[{"id":"x","type":"signal","t":1780000000,"kind":"heartbeat"}]}',
)


def feed_osmand(data: bytes) -> None:
    """`data` is query NUL body NUL content type (missing parts empty)."""
    query, _, rest = data.partition(b"\x00")
    body, _, content_type = rest.partition(b"\x00")
    osmand.decode(
        query.decode("latin-1"), body, content_type.decode("latin-1"), received_at=RECEIVED
    )


def _feed_framed(codec: watch.WatchCodec | gt06.Gt06Codec, data: bytes) -> None:
    frames, _ = codec.cut(data)
    device: DeviceInfo | None = None
    for frame in frames:
        if codec.ident(frame) is not None:
            device = DEVICE
        codec.decode(frame, device, RECEIVED)


def feed_watch(data: bytes) -> None:
    _feed_framed(watch.WatchCodec(MAX_FRAME), data)


def feed_gt06(data: bytes) -> None:
    _feed_framed(gt06.Gt06Codec(MAX_FRAME), data)


def feed_native(data: bytes) -> None:
    try:
        raws = native.split_batch(data)
    except native.BatchError:
        return
    native.decode_batch(raws, DEVICE.device_id, RECEIVED, "native")


def feed_mqtt(data: bytes) -> None:
    parsed = mqtt.parse_payload(data, DEVICE.device_id)
    mqtt.validate(parsed, True, RECEIVED)


FEEDS: dict[str, Callable[[bytes], None]] = {
    "osmand": feed_osmand,
    "watch": feed_watch,
    "gt06": feed_gt06,
    "native": feed_native,
    "mqtt": feed_mqtt,
}


def seeds(protocol: str) -> tuple[bytes, ...]:
    if protocol == "osmand":
        return tuple(b"\x00".join(parts) for parts in OSMAND_SEEDS)
    return {
        "watch": WATCH_SEEDS,
        "gt06": GT06_SEEDS,
        "native": NATIVE_SEEDS,
        "mqtt": MQTT_SEEDS,
    }[protocol]


_SEPARATORS = b',*&=:;\x00[]{}"'


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to three random edits of `data`."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        if choice < 0.45 and out:
            # Replace the value between two separators by a hostile one.
            cuts = [i for i, b in enumerate(out) if b in _SEPARATORS] or [0]
            start = rng.choice(cuts) + 1
            end = start
            while end < len(out) and out[end] not in _SEPARATORS:
                end += 1
            hostile = rng.choice(HOSTILE)
            if len(hostile) > 10_000 and rng.random() < 0.9:
                hostile = hostile[:64]  # mostly keep inputs small, so a run is fast
            out[start:end] = hostile
        elif choice < 0.65 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif choice < 0.8:
            at = rng.randrange(len(out) + 1)
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice < 0.9 and out:
            start = rng.randrange(len(out))
            del out[start : start + rng.randint(1, 16)]
        else:
            out += rng.choice(HOSTILE)[:256]
    return bytes(out)


def fuzz_inputs(protocol: str, n: int, seed: int) -> list[bytes]:
    rng = random.Random(f"{protocol}:{seed}")
    pool = seeds(protocol)
    return [mutate(rng, rng.choice(pool)) for _ in range(n)]


class FuzzResult(msgspec.Struct):
    protocol: str
    inputs: int
    exceptions: int
    seconds: float
    kinds: dict[str, int]  # "ExceptionType at file:line" -> count
    example: str = ""  # hex of the first input that raised


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    place = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else "?"
    return f"{type(error).__name__} at {place}"


def run_fuzz(protocol: str, inputs: int, seed: int = 0, chunk: int = 10_000) -> FuzzResult:
    """Feed `inputs` mutated messages to one protocol's decoding; count exceptions."""
    feed = FEEDS[protocol]
    kinds: Counter[str] = Counter()
    example = ""
    started = time.perf_counter()
    done = 0
    while done < inputs:
        batch = fuzz_inputs(protocol, min(chunk, inputs - done), seed * 1_000_003 + done)
        for data in batch:
            try:
                feed(data)
            except Exception as error:
                kinds[_where(error)] += 1
                example = example or data[:512].hex()
        done += len(batch)
    return FuzzResult(
        protocol,
        inputs,
        sum(kinds.values()),
        time.perf_counter() - started,
        dict(kinds),
        example,
    )
