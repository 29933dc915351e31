"""The GPS noise model and the battery: measured, not assumed."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from korgoo_lab.sim.city import Environment
from korgoo_lab.sim.noise import ACCURACY_RANGE_M, Battery, GpsNoise, random_gaps


@pytest.mark.parametrize("env", list(Environment))
def test_reported_accuracy_covers_the_true_position_about_68_percent(env: Environment) -> None:
    noise = GpsNoise(random.Random(11), jump_probability=0.0)
    samples = [noise.sample(env) for _ in range(20_000)]
    lo, hi = ACCURACY_RANGE_M[env]
    assert all(lo <= s.acc <= hi for s in samples)
    inside = sum(math.hypot(s.dx, s.dy) <= s.acc for s in samples) / len(samples)
    assert inside >= 0.68
    if env is not Environment.INDOOR:
        # Not absurdly conservative either: a radius should mean what it says.
        assert inside <= 0.80


def test_indoor_error_drifts_slowly_instead_of_jumping_about() -> None:
    noise = GpsNoise(random.Random(5), jump_probability=0.0)
    samples = [noise.sample(Environment.INDOOR) for _ in range(5_000)]
    steps = [math.hypot(b.dx - a.dx, b.dy - a.dy) / b.acc for a, b in itertools.pairwise(samples)]
    assert sum(steps) / len(steps) < 0.2
    # The drift wanders: it is not stuck at the true position.
    assert max(math.hypot(s.dx, s.dy) / s.acc for s in samples) > 0.5


def test_outdoor_errors_are_correlated_from_fix_to_fix() -> None:
    noise = GpsNoise(random.Random(8), jump_probability=0.0)
    xs = [noise.sample(Environment.OUTDOOR).dx for _ in range(10_000)]
    mean = sum(xs) / len(xs)
    var = sum((x - mean) ** 2 for x in xs) / len(xs)
    lag1 = sum((a - mean) * (b - mean) for a, b in itertools.pairwise(xs)) / len(xs)
    assert lag1 / var > 0.6


def test_jumps_are_far_and_some_claim_a_falsely_small_accuracy() -> None:
    noise = GpsNoise(random.Random(2), jump_probability=0.01)
    samples = [noise.sample(Environment.OUTDOOR) for _ in range(50_000)]
    jumps = [s for s in samples if s.jumped]
    assert 0.006 < len(jumps) / len(samples) < 0.014
    assert all(200.0 <= math.hypot(s.dx, s.dy) <= 900.0 for s in jumps)
    assert any(s.acc <= 15.0 for s in jumps)
    assert any(s.acc >= 150.0 for s in jumps)


def test_random_gaps_do_not_overlap_and_stay_in_the_window() -> None:
    gaps = random_gaps(random.Random(4), 0.0, 30 * 86_400.0, per_hour=0.5)
    assert len(gaps) > 100
    for (a, b), (c, _) in itertools.pairwise(gaps):
        assert 60.0 <= b - a <= 600.0
        assert b <= c
    assert gaps[0][0] > 0.0 and gaps[-1][0] < 30 * 86_400.0


def test_battery_warns_once_at_20_and_10_percent_then_empties() -> None:
    battery = Battery(level=25.0, life_h=10.0, charge_per_h=50.0, t=0.0)
    warned: list[float] = []
    t = 0.0
    while battery.level > 0.0:
        t += 60.0
        warned += battery.advance(t, charging=False)
    assert warned == [20.0, 10.0]
    assert t == pytest.approx(2.5 * 3600.0, abs=60.0)  # 25 % of a 10-hour battery


def test_battery_warns_again_only_after_a_real_charge() -> None:
    battery = Battery(level=21.0, life_h=1.0, charge_per_h=100.0, t=0.0)
    assert battery.advance(60.0, charging=False) == [20.0]
    assert battery.advance(120.0, charging=True) == []
    # Back under 20 % after a brief top-up that never passed 30 %: no repeated warning.
    assert battery.advance(180.0, charging=False) == []
    battery.advance(1_800.0, charging=True)
    assert battery.level > 30.0
    assert battery.advance(2_000.0, charging=False) == []
    warned: list[float] = []
    t = 2_000.0
    while battery.level > 5.0:
        t += 30.0
        warned += battery.advance(t, charging=False)
    assert warned == [20.0, 10.0]


def test_run_down_empties_the_battery_in_the_hours_given() -> None:
    battery = Battery(level=80.0, life_h=60.0, charge_per_h=40.0, t=0.0)
    battery.run_down(24.0, 1.5)
    battery.advance(1.5 * 3600.0 - 1.0, charging=False)
    assert 0.0 < battery.level < 0.1
