"""Asyncio TCP server machinery shared by the framed device protocols (Watch, GT06).

Each connection is an `asyncio.Protocol` (no coroutine, stream or timeout per
connection: at thousands of devices those cost more CPU than decoding). Every
read is cut into complete frames and decoded at once; the events of one read go
to `Ingest.submit` in one batch, and only after that returned are the replies
written: a device is never told "received" for a message that is not committed.
While a submit is outstanding the connection stops reading, so replies keep the
order of the frames and a device cannot pile up unacknowledged data. If the
store cannot commit, nothing is acknowledged and the connection is closed, so
the device resends.

A connection that sends garbage, an oversized frame, a malformed frame, a frame
the decoder fails on, an unknown identity or one not allowed on this protocol
(see admission.refusal) is closed with a logged reason once the good frames
before it are stored and acknowledged; other connections and the server go on.
One sweep per server closes connections idle for `idle_timeout_s` (half-open
sockets, dead devices).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

import msgspec
import structlog
from prometheus_client import Counter

from korgoo.domain.events import Fix, Signal
from korgoo.domain.ingest import (
    DeviceInfo,
    Ingest,
    Message,
    Outcome,
    StoreUnavailable,
    Verdict,
)
from korgoo.gateways.admission import UnknownGate, refusal
from korgoo.gateways.metrics import (
    ACK_SECONDS,
    ACKED,
    CONNECTIONS,
    CRC_ERRORS,
    DECODED,
    MESSAGES,
    REJECTED,
)
from korgoo.settings import Settings, get_settings

log = structlog.get_logger(__name__)

SWEEP_EVERY_S = 1.0  # idle sweep period (shorter when the idle timeout is short)
GROUP_MAX_MESSAGES = 1000  # reads submitted together: bounds one submit's share of a commit

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


class Decoded(msgspec.Struct, frozen=True):
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


def limits_from(settings: Settings | None) -> Limits:
    settings = settings or get_settings()
    return Limits(settings.idle_timeout_s, settings.max_frame_bytes)


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
    makes each connection's codec. The caller owns the returned server; within
    a sweep period of closing it, idle connections are closed and busy ones once
    their batch is acknowledged."""
    shared = _Shared(ingest, protocol, codec_factory, limits)
    server = await asyncio.get_running_loop().create_server(
        lambda: _Connection(shared), host, port, backlog=backlog
    )
    shared.keep(asyncio.create_task(shared.sweep(server), name=f"{protocol}-idle-sweep"))
    return server


class _Shared:
    """What every connection of one server uses: the ingest, the codec factory,
    the metric children bound to this protocol, the open connections, and the
    reads waiting to be submitted together."""

    def __init__(
        self,
        ingest: Ingest,
        protocol: str,
        codec_factory: Callable[[int], FrameCodec],
        limits: Limits,
    ) -> None:
        self.ingest = ingest
        self.protocol = protocol
        self.codec_factory = codec_factory
        self.limits = limits
        self.connections: set[_Connection] = set()
        self.waiting: list[tuple[_Connection, _Batch]] = []
        self.waiting_messages = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = False
        self.messages = MESSAGES.labels(protocol)
        self.decoded = DECODED.labels(protocol)
        self.acked = ACKED.labels(protocol)
        self.ack_seconds = ACK_SECONDS.labels(protocol)
        self.crc_errors = CRC_ERRORS.labels(protocol)
        self.open = CONNECTIONS.labels(protocol)
        self._rejected: dict[str, Counter] = {}
        self.unknown_gate = UnknownGate()

    def reject(self, reason: str, n: int = 1) -> None:
        counter = self._rejected.get(reason)
        if counter is None:
            counter = self._rejected[reason] = REJECTED.labels(self.protocol, reason)
        counter.inc(n)

    def keep(self, task: asyncio.Task[None]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def enqueue(self, connection: _Connection, batch: _Batch) -> None:
        """Submit `batch` together with the other reads of this loop iteration:
        one submit (one task, one future) for many connections instead of one each."""
        self.waiting.append((connection, batch))
        self.waiting_messages += len(batch.messages)
        if self.waiting_messages >= GROUP_MAX_MESSAGES:
            self._flush()
        elif len(self.waiting) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        if not self.waiting:
            return  # flushed already when the group filled up
        group, self.waiting, self.waiting_messages = self.waiting, [], 0
        # Counters once per group, not per frame: each inc takes a lock.
        self.messages.inc(sum(batch.frames for _, batch in group))
        self.decoded.inc(sum(len(batch.messages) for _, batch in group))
        self.keep(asyncio.create_task(self._submit(group)))

    async def _submit(self, group: list[tuple[_Connection, _Batch]]) -> None:
        messages = [m for _, batch in group for m in batch.messages]
        try:
            outcomes = await self.ingest.submit(messages)
        except StoreUnavailable:
            self.reject("store_unavailable", len(messages))
            for connection, batch in group:
                connection.not_stored(batch)
            return
        except Exception:
            # A bug must not leave these connections paused forever: close them
            # unacknowledged (their devices resend) and keep serving the others.
            log.exception("submit_failed", protocol=self.protocol, messages=len(messages))
            for connection, _ in group:
                connection.close()
            return
        start = 0
        for connection, batch in group:
            end = start + len(batch.messages)
            connection.stored(batch, outcomes[start:end])
            start = end

    async def sweep(self, server: asyncio.Server) -> None:
        """Close idle connections while the server serves; then all of them."""
        idle_s = self.limits.idle_timeout_s
        every = min(SWEEP_EVERY_S, idle_s / 4)
        loop = asyncio.get_running_loop()
        while server.is_serving():
            await asyncio.sleep(every)
            oldest = loop.time() - idle_s
            for connection in [c for c in self.connections if c.idle_since < oldest]:
                connection.close_idle()
        self.stopping = True
        for connection in list(self.connections):
            if not connection.busy:
                connection.close()


class _Connection(asyncio.Protocol):
    """One device connection: the frames of a read are decoded at once, their
    events committed, then the replies written."""

    def __init__(self, shared: _Shared) -> None:
        self.shared = shared
        self.codec = shared.codec_factory(shared.limits.max_frame_bytes)
        self.transport: asyncio.Transport | None = None
        self.remote = ""
        self.log = log
        self.ident: str | None = None
        self.device: DeviceInfo | None = None
        self.crc_errors = 0
        self.idle_since = 0.0
        self.busy = False  # a batch is being committed: reading is paused
        self.write_paused = False
        self.held = bytearray()  # data that arrived while busy (before the pause took)

    # -- asyncio.Protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        self.remote = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.log = log.bind(protocol=self.shared.protocol, remote=self.remote)
        self.idle_since = asyncio.get_running_loop().time()
        self.shared.connections.add(self)
        self.shared.open.inc()

    def connection_lost(self, exc: Exception | None) -> None:
        self.shared.connections.discard(self)
        self.shared.open.dec()
        if exc is not None:
            self.log.info("connection_lost", error=str(exc), device=self.ident)
        if self.crc_errors:
            self.log.info("connection_crc_errors", count=self.crc_errors)

    def data_received(self, data: bytes) -> None:
        if self.busy:
            self.held += data
            return
        try:
            self._receive(data)
        except Exception:
            self._failed()

    def pause_writing(self) -> None:
        self.write_paused = True
        self._pause()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._resume()

    # -- reading, deciding, acknowledging ----------------------------------------------

    def _failed(self) -> None:
        # A bug in one connection must never take the server down.
        self.log.exception("connection_failed")
        self.close()

    def _receive(self, data: bytes) -> None:
        at = time.time()
        frames, error = self.codec.cut(data)
        batch = _Batch(time.monotonic(), error)
        if frames:
            batch.frames = len(frames)
            self._decode(frames, at, batch)
        if batch.messages:
            self._wait()
            self.shared.enqueue(self, batch)
        elif batch.unknown is not None:
            self.shared.messages.inc(batch.frames)
            self._wait()
            self.shared.keep(asyncio.create_task(self._unknown(batch)))
        else:
            self.shared.messages.inc(batch.frames)
            self._finish(batch)

    def _decode(self, frames: list[bytes], at: float, batch: _Batch) -> None:
        """Decode the frames of one read into `batch`; stop at the first frame
        that closes the connection (malformed, or an identity not enrolled)."""
        shared = self.shared
        for raw in frames:
            try:
                claimed = self.codec.ident(raw)
            except Exception:
                self._undecodable(raw, batch)
                return
            if claimed is not None and claimed != self.ident:
                device = shared.ingest.lookup_device(claimed)
                if device is None:
                    batch.unknown = (claimed, raw)
                    return
                refused = refusal(device, shared.protocol)
                if refused:
                    shared.reject(refused)
                    self.log.warning("device_refused", reason=refused, ident=claimed)
                    batch.close = True
                    return
                self.ident, self.device = claimed, device
                self.log = self.log.bind(device=device.device_id)
            try:
                decoded = self.codec.decode(raw, self.device, at)
            except Exception:
                self._undecodable(raw, batch)
                return
            if not decoded.crc_ok:
                self._count_crc_error(decoded.kind)
            if decoded.malformed:
                shared.reject("malformed")
                self.log.warning("frame_malformed", reason=decoded.malformed, device=self.ident)
                batch.close = True
                return
            if decoded.dropped:
                shared.reject(decoded.dropped)
            if UNMAPPED_ALARM in decoded.flags:
                self.log.warning("alarm_not_mapped", kind=decoded.kind, flags=decoded.flags)
            if decoded.events:
                batch.messages.extend(
                    Message(event, message_key(event.device_id, event.t, raw, event_part(event)))
                    for event in decoded.events
                )
            if decoded.reply:
                batch.replies.append(decoded.reply)

    def _undecodable(self, raw: bytes, batch: _Batch) -> None:
        """A frame the decoder failed on (a bug, not the device's fault alone): the
        frames before it are still stored and acknowledged, then the connection closes."""
        self.shared.reject("decoder_error")
        self.log.exception("frame_undecodable", device=self.ident, frame=raw[:64].hex())
        batch.close = True

    def stored(self, batch: _Batch, outcomes: list[Outcome]) -> None:
        """The batch's messages are committed (`outcomes` in their order)."""
        for outcome in outcomes:
            if outcome.verdict is Verdict.REJECTED:
                self.shared.reject(outcome.reason or "ingest_rejected")
        if batch.unknown is not None:
            self.shared.keep(asyncio.create_task(self._unknown(batch)))
            return
        self._done_waiting()
        try:
            self._finish(batch)
        except Exception:
            self._failed()

    def not_stored(self, batch: _Batch) -> None:
        """The store could not commit: acknowledge nothing, close; the device resends."""
        self.log.warning("store_unavailable_not_acked", messages=len(batch.messages))
        self._done_waiting()
        self.close()

    async def _unknown(self, batch: _Batch) -> None:
        """Record the frame of an identity not enrolled (unless the gate says this
        sender was recorded enough), acknowledge what came before it on this
        connection, and close."""
        assert batch.unknown is not None
        ident, raw = batch.unknown
        try:
            if self.shared.unknown_gate.admit(ident):
                await self.shared.ingest.unknown_device(
                    self.shared.protocol, ident, self.remote, raw
                )
        finally:
            self._done_waiting()
        self.shared.reject("unknown_device")
        self.log.warning("unknown_device_closed", ident=ident)
        batch.close = True
        self._finish(batch)

    def _finish(self, batch: _Batch) -> None:
        """Write the replies of a committed batch; close if the batch said so."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if batch.replies:
            transport.write(b"".join(batch.replies))
            self.shared.acked.inc(len(batch.replies))
            self.shared.ack_seconds.observe(time.monotonic() - batch.started)
        self.idle_since = asyncio.get_running_loop().time()
        if batch.error:
            self.shared.reject(batch.error)
            self.log.warning("connection_closed", reason=batch.error, device=self.ident)
            batch.close = True
        if batch.close or self.shared.stopping:
            transport.close()  # after the replies already written are sent
            return
        if self.held:
            held, self.held = bytes(self.held), bytearray()
            self.data_received(held)

    # -- flow and closing ------------------------------------------------------------

    def _wait(self) -> None:
        self.busy = True
        self._pause()

    def _done_waiting(self) -> None:
        self.busy = False
        self._resume()

    def _pause(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.busy or self.write_paused:
            return
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def close_idle(self) -> None:
        if self.busy:
            return  # waiting on the store is not idleness
        self.log.info("connection_idle_closed", device=self.ident)
        self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()  # nothing unacknowledged is left to send

    def _count_crc_error(self, kind: str) -> None:
        self.shared.crc_errors.inc()
        self.crc_errors += 1
        if self.crc_errors == 1:
            self.log.info("crc_mismatch_frame_used", kind=kind)


@dataclass(slots=True)
class _Batch:
    """What one read gave: messages to commit, replies to write after, and
    whether (and why) the connection closes once they are handled."""

    started: float
    error: str  # from cutting frames: garbage, oversized
    messages: list[Message] = field(default_factory=list)
    replies: list[bytes] = field(default_factory=list)
    unknown: tuple[str, bytes] | None = None  # (claimed identity, frame)
    frames: int = 0
    close: bool = False
