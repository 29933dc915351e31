"""The unknown-sender gate: each identity once per window, a cap on distinct ones."""

from __future__ import annotations

from korgoo.gateways.admission import UnknownGate


def test_unknown_gate_records_each_ident_once_per_window_and_caps_distinct_ones() -> None:
    now = [0.0]
    gate = UnknownGate(window_s=60, max_idents=3, clock=lambda: now[0])
    assert [gate.admit(i) for i in ("a", "a", "b", "c", "d", "b")] == [
        True,
        False,
        True,
        True,
        False,  # the fourth distinct identity in the window
        False,
    ]
    now[0] = 59.9
    assert not gate.admit("e")
    now[0] = 60.0  # a new window: memory starts over, bounded by max_idents
    assert [gate.admit(i) for i in ("d", "a", "a")] == [True, True, False]
    assert len(gate.recorded) == 2
