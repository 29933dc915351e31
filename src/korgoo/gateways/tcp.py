"""Asyncio TCP server machinery shared by the framed device protocols (Watch, GT06).

One coroutine per connection reads into a buffer, lets the protocol's codec cut
complete frames, decodes them, hands every event of one read to `Ingest.submit`
in one batch, and only after that returned writes the replies: a device is never
told "received" for a message that is not committed. If the store cannot commit,
nothing is acknowledged and the connection is closed, so the device resends.

A connection that sends garbage, an oversized frame, a malformed frame or an
unknown identity is closed with a logged reason; other connections and the server
go on. Idle connections (half-open sockets, dead devices) are closed after
`idle_timeout_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from korgoo.domain.events import Fix, Signal
from korgoo.gateways.ingest import DeviceInfo, Ingest, Message, StoreUnavailable, Verdict
from korgoo.gateways.metrics import (
    ACK_SECONDS,
    ACKED,
    CONNECTIONS,
    CRC_ERRORS,
    DECODED,
    MESSAGES,
    REJECTED,
)

log = structlog.get_logger(__name__)

READ_SIZE = 65536

# Accuracy radius for a GNSS fix from a device that reports no HDOP or accuracy
# (Watch, GT06): a valid fix with enough satellites is good to about 15 m in
# towns; with fewer satellites (or a count the device did not send) it is
# wider. Invalid fixes and cell-only positions are not turned into Fixes at all.
GPS_ACCURACY_M = 15.0
WEAK_GPS_ACCURACY_M = 30.0
MIN_GOOD_SATELLITES = 4


def gps_accuracy_m(satellites: int | None) -> float:
    if satellites is not None and satellites >= MIN_GOOD_SATELLITES:
        return GPS_ACCURACY_M
    return WEAK_GPS_ACCURACY_M


EARLIEST_DEVICE_TIME = 946_684_800.0  # 2000-01-01: earlier means the device clock is not set
LATEST_AHEAD_S = 25 * 3600.0  # a zone set wrong can put device time up to a day ahead


def plausible_time(t: float, at: float) -> bool:
    """Whether device time `t` can be trusted as the time of a position received at `at`."""
    return EARLIEST_DEVICE_TIME <= t <= at + LATEST_AHEAD_S


# Flag for an alarm frame whose alarm maps to none of our Signal kinds: nothing
# is stored for it, so the server logs it for operators to look at.
UNMAPPED_ALARM = "general"


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one frame gave.

    `events` are committed before `reply` is written. `dropped` names why a
    well-formed frame gave nothing to store (e.g. a GT06 position before login);
    `malformed` names why the frame could not be read: the connection is closed.
    `flags` lists the device's status bits seen (alarms and states), for logs.
    """

    kind: str
    events: tuple[Fix | Signal, ...] = ()
    reply: bytes = b""
    crc_ok: bool = True
    length_ok: bool = True
    dropped: str = ""
    malformed: str = ""
    flags: tuple[str, ...] = ()


class FrameCodec(Protocol):
    """One connection's protocol state: its receive buffer and any session."""

    def cut(self, data: bytes) -> tuple[list[bytes], str]:
        """Append `data`, return the complete frames and an error reason ("" if
        none). After an error the connection is closed once the good frames
        before it are handled."""
        ...

    def ident(self, frame: bytes) -> str | None:
        """The device identity this frame claims (Watch: every frame; GT06: login
        only), or None when it carries none."""
        ...

    def decode(self, frame: bytes, device: DeviceInfo | None, at: float) -> Decoded:
        """Decode one frame of `device` (None before identification) received at `at`."""
        ...


def message_key(device_id: str, t: float, raw: bytes, part: str) -> str:
    """Digest of device, device time, the frame as received and which event of
    the frame this is: a resent frame gives the same keys, so it is a duplicate."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{device_id}\x00{t!r}\x00{part}\x00".encode())
    digest.update(raw)
    return digest.hexdigest()


def event_part(event: Fix | Signal) -> str:
    return "fix" if isinstance(event, Fix) else event.kind.value


@dataclass(frozen=True, slots=True)
class Limits:
    idle_timeout_s: float
    max_frame_bytes: int


async def serve_framed(
    ingest: Ingest,
    host: str,
    port: int,
    *,
    protocol: str,
    codec_factory: Callable[[int], FrameCodec],
    limits: Limits,
    backlog: int = 2048,
) -> asyncio.Server:
    """Start a TCP server for one framed protocol; `codec_factory(max_frame_bytes)`
    makes each connection's codec. The caller owns the returned server."""

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        CONNECTIONS.labels(protocol).inc()
        connection = _Connection(ingest, protocol, codec_factory(limits.max_frame_bytes), writer)
        try:
            await connection.run(reader, limits.idle_timeout_s)
        except ConnectionError as error:  # the device went away mid-write
            connection.log.info("connection_lost", error=str(error))
        except Exception:
            # A bug in one connection must never take the server down.
            connection.log.exception("connection_failed")
        finally:
            CONNECTIONS.labels(protocol).dec()
            if connection.crc_errors:
                connection.log.info("connection_crc_errors", count=connection.crc_errors)
            await _close(writer)

    return await asyncio.start_server(on_connect, host, port, backlog=backlog)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


class _Connection:
    def __init__(
        self,
        ingest: Ingest,
        protocol: str,
        codec: FrameCodec,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.ingest = ingest
        self.protocol = protocol
        self.codec = codec
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.remote = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.log = log.bind(protocol=protocol, remote=self.remote)
        self.ident: str | None = None
        self.device: DeviceInfo | None = None
        self.crc_errors = 0

    async def run(self, reader: asyncio.StreamReader, idle_timeout_s: float) -> None:
        while True:
            try:
                async with asyncio.timeout(idle_timeout_s):
                    data = await reader.read(READ_SIZE)
            except TimeoutError:
                self.log.info("connection_idle_closed", device=self.ident)
                return
            if not data:
                return
            at = time.time()
            started = time.monotonic()
            frames, error = self.codec.cut(data)
            keep_open = await self._handle(frames, at, started)
            if error:
                self._reject(error)
                self.log.warning("connection_closed", reason=error, device=self.ident)
                return
            if not keep_open:
                return

    def _reject(self, reason: str, n: int = 1) -> None:
        REJECTED.labels(self.protocol, reason).inc(n)

    async def _handle(self, frames: list[bytes], at: float, started: float) -> bool:
        """Decode, submit and acknowledge the frames of one read. False closes."""
        messages: list[Message] = []
        replies: list[bytes] = []
        keep_open = True
        for raw in frames:
            MESSAGES.labels(self.protocol).inc()
            claimed = self.codec.ident(raw)
            if (
                claimed is not None
                and claimed != self.ident
                and not await self._identify(claimed, raw)
            ):
                keep_open = False
                break
            decoded = self.codec.decode(raw, self.device, at)
            if not decoded.crc_ok:
                self._count_crc_error(decoded.kind)
            if decoded.malformed:
                self._reject("malformed")
                self.log.warning("frame_malformed", reason=decoded.malformed, device=self.ident)
                keep_open = False
                break
            if decoded.dropped:
                self._reject(decoded.dropped)
            if UNMAPPED_ALARM in decoded.flags:
                self.log.warning("alarm_not_mapped", kind=decoded.kind, flags=decoded.flags)
            if decoded.events:
                DECODED.labels(self.protocol).inc(len(decoded.events))
                messages.extend(
                    Message(event, message_key(event.device_id, event.t, raw, event_part(event)))
                    for event in decoded.events
                )
            if decoded.reply:
                replies.append(decoded.reply)
        if messages and not await self._submit(messages):
            return False
        if replies:
            self.writer.write(b"".join(replies))
            await self.writer.drain()
            ACKED.labels(self.protocol).inc(len(replies))
            ACK_SECONDS.labels(self.protocol).observe(time.monotonic() - started)
        return keep_open

    async def _identify(self, claimed: str, raw: bytes) -> bool:
        device = self.ingest.lookup_device(claimed)
        if device is None:
            await self.ingest.unknown_device(self.protocol, claimed, self.remote, raw)
            self._reject("unknown_device")
            self.log.warning("unknown_device_closed", ident=claimed)
            return False
        self.ident, self.device = claimed, device
        self.log = self.log.bind(device=device.device_id)
        return True

    async def _submit(self, messages: list[Message]) -> bool:
        try:
            outcomes = await self.ingest.submit(messages)
        except StoreUnavailable:
            self._reject("store_unavailable", len(messages))
            self.log.warning("store_unavailable_not_acked", messages=len(messages))
            return False
        for outcome in outcomes:
            if outcome.verdict is Verdict.REJECTED:
                self._reject(outcome.reason or "ingest_rejected")
        return True

    def _count_crc_error(self, kind: str) -> None:
        CRC_ERRORS.labels(self.protocol).inc()
        self.crc_errors += 1
        if self.crc_errors == 1:
            self.log.info("crc_mismatch_frame_used", kind=kind)
