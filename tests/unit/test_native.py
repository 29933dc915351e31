"""Native message schema: per-message validation, keys, results, the published schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from korgoo.domain.events import Fix, Signal, SignalKind
from korgoo.domain.ingest import Outcome, Verdict
from korgoo.gateways import native

RECEIVED = datetime(2026, 8, 22, 12, 0, tzinfo=UTC).timestamp()


def _batch(*messages: Any) -> bytes:
    return msgspec.json.encode({"messages": list(messages)})


def _decode(*messages: Any) -> list[native.Item]:
    raws = native.split_batch(_batch(*messages))
    return native.decode_batch(raws, "app-7", RECEIVED, "native")


def test_fix_and_signal_become_events() -> None:
    fix_msg = {
        "id": "m1", "type": "fix", "t": "2026-08-22T11:59:00+06:00", "lat": 42.87, "lon": 74.59,
        "acc": 6.5, "speed": 1.2, "battery": 80, "charging": False,
    }  # fmt: skip
    sos_msg = {"id": 2, "type": "signal", "t": RECEIVED - 5, "kind": "sos"}
    first, second = _decode(fix_msg, sos_msg)
    assert first.message is not None and second.message is not None
    fix, sos = first.message.event, second.message.event
    assert isinstance(fix, Fix) and isinstance(sos, Signal)
    assert fix.t == datetime(2026, 8, 22, 5, 59, tzinfo=UTC).timestamp()
    assert (fix.device_id, fix.acc, fix.speed, fix.battery, fix.at) == (
        "app-7", 6.5, 1.2, 80.0, RECEIVED)  # fmt: skip
    assert (sos.kind, sos.t, sos.source) == (SignalKind.SOS, RECEIVED - 5, "native")
    assert first.message.msg_key == "app-7/m1" and second.message.msg_key == "app-7/2"


@pytest.mark.parametrize(
    ("message", "client_id", "reason"),
    [
        ({"id": "a", "type": "fix", "t": RECEIVED, "lat": "x", "lon": 1, "acc": 5}, "a", "$.lat"),
        ({"id": "b", "type": "fix", "t": RECEIVED, "lat": 95, "lon": 1, "acc": 5}, "b", "$.lat"),
        ({"id": "c", "type": "fix", "t": RECEIVED, "lat": 1, "lon": 1}, "c", "`acc`"),
        ({"id": "d", "type": "fix", "t": RECEIVED, "lat": 1, "lon": 1, "acc": 0}, "d", "$.acc"),
        ({"id": "e", "type": "signal", "t": RECEIVED, "kind": "teleport"}, "e", "$.kind"),
        ({"id": "f", "type": "photo", "t": RECEIVED}, "f", "photo"),
        ({"type": "signal", "t": RECEIVED, "kind": "sos"}, None, "`id`"),
        ({"id": "g", "type": "signal", "t": "2026-08-22T10:00:00", "kind": "sos"}, "g", "timezone"),
        ({"id": "h", "type": "signal", "t": 12, "kind": "sos"}, "h", "implausible device time"),
        ({"id": "", "type": "signal", "t": RECEIVED, "kind": "sos"}, None, "$.id"),
        ("not an object", None, "Expected `object`"),
    ],
)
def test_bad_message_is_rejected_alone(message: Any, client_id: Any, reason: str) -> None:
    good = {"id": "ok", "type": "signal", "t": RECEIVED, "kind": "heartbeat", "value": 40}
    before, bad, after = _decode(good, message, good)
    assert before.message is not None and after.message is not None
    assert bad.message is None and bad.client_id == client_id
    assert reason in bad.reason


def test_batch_level_errors() -> None:
    with pytest.raises(native.BatchError) as malformed:
        native.split_batch(b'{"msgs": []}')
    assert not malformed.value.too_large
    with pytest.raises(native.BatchError) as too_many:
        native.split_batch(_batch(*[{}] * (native.MAX_BATCH + 1)))
    assert too_many.value.too_large
    assert native.split_batch(_batch()) == []


def test_results_follow_input_order() -> None:
    items = _decode(
        {"id": 1, "type": "signal", "t": RECEIVED, "kind": "sos"},
        {"id": 2, "type": "signal", "t": RECEIVED, "kind": "bogus"},
        {"id": 3, "type": "signal", "t": RECEIVED, "kind": "heartbeat"},
    )
    answers = native.results(items, [Outcome(Verdict.ACCEPTED, seq=9), Outcome(Verdict.DUPLICATE)])
    decoded = msgspec.json.decode(native.encode_results(answers))
    assert [r["id"] for r in decoded["results"]] == [1, 2, 3]
    assert [r["status"] for r in decoded["results"]] == ["accepted", "rejected", "duplicate"]
    assert "reason" not in decoded["results"][0] and decoded["results"][1]["reason"]


def test_check_in_signal_is_refused() -> None:
    # Only the check-in route, with the photo, produces a check-in.
    (item,) = _decode({"id": 4, "type": "signal", "t": RECEIVED, "kind": "check_in"})
    assert item.message is None and item.client_id == 4
    assert item.reason == native.CHECK_IN_REFUSED


def test_schema_describes_the_batch() -> None:
    schema = native.schema()
    defs = schema["$defs"]
    assert defs["NativeBatch"]["properties"]["messages"]["maxItems"] == native.MAX_BATCH
    assert set(defs["NativeFix"]["required"]) == {"type", "id", "t", "lat", "lon", "acc"}
    kinds = defs["SignalKind"]["enum"]
    assert "sos" in kinds and "check_in" in kinds
