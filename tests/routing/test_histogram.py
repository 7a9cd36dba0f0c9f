"""Latency buckets and quantiles read from their counts."""

from __future__ import annotations

import numpy as np

from modelyard.registry.rollout_types import LATENCY_BOUNDS_S
from modelyard.routing.histogram import bucket_index, quantile

SLOTS = len(LATENCY_BOUNDS_S) + 1


def test_a_latency_on_a_bound_belongs_to_that_bound() -> None:
    assert bucket_index(LATENCY_BOUNDS_S[0]) == 0
    assert bucket_index(LATENCY_BOUNDS_S[7]) == 7


def test_a_latency_between_bounds_goes_to_the_upper_one() -> None:
    assert bucket_index(0.0) == 0
    assert bucket_index((LATENCY_BOUNDS_S[3] + LATENCY_BOUNDS_S[4]) / 2) == 4


def test_a_latency_beyond_the_last_bound_goes_to_the_overflow_slot() -> None:
    assert bucket_index(LATENCY_BOUNDS_S[-1] * 2) == len(LATENCY_BOUNDS_S)


def test_no_counts_have_no_quantile() -> None:
    assert quantile([], 0.99) is None
    assert quantile([0] * SLOTS, 0.5) is None


def test_the_quantile_is_the_upper_bound_of_the_bucket_holding_it() -> None:
    counts = [0] * SLOTS
    counts[10] = 98
    counts[20] = 2
    assert quantile(counts, 0.5) == LATENCY_BOUNDS_S[10]
    assert quantile(counts, 0.98) == LATENCY_BOUNDS_S[10]
    assert quantile(counts, 0.99) == LATENCY_BOUNDS_S[20]


def test_the_overflow_slot_reads_as_the_last_bound() -> None:
    counts = [0] * SLOTS
    counts[-1] = 5
    assert quantile(counts, 0.99) == LATENCY_BOUNDS_S[-1]


def test_a_quantile_from_buckets_is_within_a_quarter_of_the_true_one() -> None:
    latencies = np.random.default_rng(3).lognormal(mean=-6.0, sigma=1.0, size=20_000)
    counts = [0] * SLOTS
    for seconds in latencies:
        counts[bucket_index(float(seconds))] += 1
    for q in (0.5, 0.9, 0.99):
        true = float(np.quantile(latencies, q))
        read = quantile(counts, q)
        assert read is not None
        assert true <= read <= true * 1.25
