"""Every decoder is total: any input gives a value or a named rejection, never
an exception. Hypothesis drives the same mutations as `bench.fuzz` (bounded
here; the benchmark runs a million inputs per decoder)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from korgoo.gateways import native, osmand
from korgoo_lab.benchmarks.fuzz import FEEDS, HOSTILE, RECEIVED, mutate, seeds

PROTOCOLS = sorted(FEEDS)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32))
def test_mutated_messages_never_raise(protocol: str, seed: int) -> None:
    rng = random.Random(seed)
    FEEDS[protocol](mutate(rng, rng.choice(seeds(protocol))))


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(protocol: str, data: bytes) -> None:
    FEEDS[protocol](data)


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h[:12].hex())
def test_hostile_values_are_named_rejections(hostile: bytes) -> None:
    """The hostile values the fuzzer found raising, each in a report field."""
    for field in (b"lat", b"timestamp", b"id"):
        body = b'{"' + field + b'":' + hostile + b',"id":"1","lon":74.6}'
        for report in osmand.decode("", body, received_at=RECEIVED):
            assert isinstance(report, osmand.DecodeError | list)
    batch = b'{"messages":[{"id":1,"type":"fix","t":' + hostile + b',"lat":1,"lon":1,"acc":1}]}'
    try:
        items = native.decode_batch(native.split_batch(batch), "d", RECEIVED, "native")
    except native.BatchError as error:
        assert error.reason
    else:
        assert all(item.message is not None or item.reason for item in items)


def test_unreadable_json_is_named() -> None:
    (invalid_utf8,) = osmand.decode("", b'{"id":"\xff"}', received_at=RECEIVED)
    assert isinstance(invalid_utf8, osmand.DecodeError)
    assert "UTF-8" in invalid_utf8.reason
    (deep,) = osmand.decode("", b"[" * 100_000 + b"]" * 100_000, received_at=RECEIVED)
    assert isinstance(deep, osmand.DecodeError)
    assert "deep" in deep.reason
    with pytest.raises(native.BatchError, match="deep"):
        native.split_batch(b'{"messages":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    (item,) = native.decode_batch(
        native.split_batch(b'{"messages":[{"id":"\xff","type":"signal"}]}'), "d", RECEIVED, "n"
    )
    assert item.message is None
    assert item.reason == "not UTF-8"
