"""The verdict on timed runs (pure): when a difference is claimed, and how it is worded."""

from __future__ import annotations

import random

import pytest

from sparkcoach.measure import stats


def test_verdict_wording():
    assert stats.verdict([3.0, 3.1, 2.9], [1.1, 1.0, 1.2]) == "2.7\u00d7 faster"
    assert stats.verdict([1.0, 1.1, 0.9], [2.0, 2.1, 1.9]) == "2.0\u00d7 slower"
    assert stats.verdict([1.0, 1.3, 0.9], [1.2, 1.1, 1.0]) == stats.SAME  # the spreads overlap
    assert stats.verdict([1.00, 1.01], [1.02, 1.03]) == stats.SAME  # separate, but under the 5 % floor
    assert stats.verdict([], [1.0]) == stats.SAME
    assert stats.verdict([30.0, 31.0], [1.0, 1.1]).endswith("\u00d7 faster")


def test_speedup_is_original_over_rewrite():
    assert stats.speedup([2.0, 4.0, 3.0], [1.0, 1.5, 0.5]) == pytest.approx(3.0)
    assert stats.speedup([], [1.0]) is None


def test_confirm_asks_for_more_runs_only_on_a_thin_margin():
    assert stats.confirm([1.0, 1.2, 1.1], [1.25, 1.4, 1.3])  # separate by 0.05, spreads 0.2
    assert not stats.confirm([1.0, 1.02, 1.01], [2.0, 2.02, 2.01])  # far apart
    assert not stats.confirm([1.0, 1.3], [1.1, 1.2])  # overlapping: nothing to confirm


def _decide(gen, runs=3):
    """The measuring loop's decision rule: runs, then as many again when the margin is thin."""
    a = [gen(0) for _ in range(runs)]
    b = [gen(1) for _ in range(runs)]
    if stats.confirm(a, b):
        a += [gen(0) for _ in range(runs)]
        b += [gen(1) for _ in range(runs)]
    return stats.verdict(a, b) != stats.SAME


NOISE = {
    "normal 10%": lambda r: max(0.2, r.gauss(1, 0.10)),
    "log-normal": lambda r: r.lognormvariate(0, 0.2),
    "outliers": lambda r: 1 + abs(r.gauss(0, 0.03)) + (r.random() < 0.1) * r.uniform(0.3, 1.5),
}


@pytest.mark.parametrize("kind", sorted(NOISE))
def test_identical_variants_rarely_differ(kind):
    r = random.Random(7)
    noise = NOISE[kind]
    trials = 4000
    claimed = sum(_decide(lambda v: noise(r)) for _ in range(trials))
    assert claimed / trials < 0.02, claimed / trials


@pytest.mark.parametrize("kind", sorted(NOISE))
def test_a_twice_slower_variant_is_usually_caught(kind):
    r = random.Random(11)
    noise = NOISE[kind]
    trials = 2000
    caught = sum(_decide(lambda v: noise(r) * (2.0 if v else 1.0)) for _ in range(trials))
    assert caught / trials > 0.8, caught / trials
