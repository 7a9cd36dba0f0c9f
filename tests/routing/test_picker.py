"""Weighted picks, sticky buckets, and what a picker refuses."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter

import pytest
from scipy.stats import chisquare

from modelyard.routing.picker import BUCKETS, WeightedPicker, sticky_bucket


def test_picks_follow_the_weights_within_a_chi_square_tolerance() -> None:
    weights = [10.0, 30.0, 60.0]
    picker = WeightedPicker(weights, random.Random(7))
    draws = 30_000
    counts = Counter(picker.pick() for _ in range(draws))
    observed = [counts[i] for i in range(3)]
    expected = [draws * w / 100 for w in weights]
    assert chisquare(observed, expected).pvalue > 0.001


def test_a_zero_weight_arm_is_never_picked() -> None:
    picker = WeightedPicker([0.0, 50.0, 0.0, 50.0, 0.0], random.Random(1))
    picked = {picker.pick() for _ in range(20_000)}
    assert picked == {1, 3}
    assert {picker.pick_bucket(b) for b in range(BUCKETS)} == {1, 3}


def test_a_draw_of_exactly_zero_skips_a_leading_zero_weight_arm() -> None:
    class Zero(random.Random):
        def random(self) -> float:
            return 0.0

    assert WeightedPicker([0.0, 1.0], Zero()).pick() == 1


def test_all_weights_zero_is_refused_by_name() -> None:
    with pytest.raises(ValueError) as error:
        WeightedPicker([0.0, 0.0])
    assert str(error.value) == "all weights are zero: at least one arm needs a share of traffic"


def test_a_negative_weight_is_refused() -> None:
    with pytest.raises(ValueError) as error:
        WeightedPicker([50.0, -1.0])
    assert str(error.value) == (
        "weights must be zero or more: a share of traffic cannot be negative"
    )


def test_buckets_are_shared_out_in_proportion_to_the_weights() -> None:
    picker = WeightedPicker([25.0, 75.0])
    owners = Counter(picker.pick_bucket(b) for b in range(BUCKETS))
    assert owners == {0: 2500, 1: 7500}
    assert picker.pick_bucket(2499) == 0
    assert picker.pick_bucket(2500) == 1


def test_the_same_bucket_reaches_the_same_arm_while_weights_stay() -> None:
    first = WeightedPicker([20.0, 30.0, 50.0])
    second = WeightedPicker([20.0, 30.0, 50.0])
    assert [first.pick_bucket(b) for b in range(BUCKETS)] == [
        second.pick_bucket(b) for b in range(BUCKETS)
    ]


def test_a_sticky_bucket_is_in_range_and_depends_on_key_and_seed() -> None:
    buckets = [sticky_bucket(f"user-{i}".encode(), b"endpoint") for i in range(5000)]
    assert all(0 <= b < BUCKETS for b in buckets)
    assert sticky_bucket(b"user-1", b"endpoint") == sticky_bucket(b"user-1", b"endpoint")
    assert sticky_bucket(b"user-1", b"endpoint") != sticky_bucket(b"user-1", b"other")
    # 5,000 keys over 10 deciles: spread evenly (a bad hash would cluster).
    deciles = Counter(b * 10 // BUCKETS for b in buckets)
    assert chisquare([deciles[d] for d in range(10)]).pvalue > 0.001


def test_a_sticky_bucket_is_the_same_in_another_process() -> None:
    code = (
        "from modelyard.routing.picker import sticky_bucket;"
        "print(sticky_bucket(b'customer-42', b'seed'))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) == sticky_bucket(b"customer-42", b"seed")


def test_a_seed_longer_than_blake2b_takes_is_cut_not_refused() -> None:
    seed = b"s" * 100
    assert sticky_bucket(b"k", seed) == sticky_bucket(b"k", seed[:64])
