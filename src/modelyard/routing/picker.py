"""Choosing an arm for a request: at random by weight, or by a key's sticky bucket.

Both are a bisection in a cumulative table built once per weights change, so a pick costs
well under a microsecond on the request path.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

BUCKETS = 10_000
"""Sticky keys hash into this many buckets; an arm holds a run of them as wide as its share."""


class WeightedPicker:
    """Picks an index with probability ``weight / sum(weights)``; zero weights never win."""

    def __init__(self, weights: Sequence[float], rng: random.Random | None = None) -> None:
        if any(weight < 0 for weight in weights):
            raise ValueError("weights must be zero or more: a share of traffic cannot be negative")
        running = [float(value) for value in accumulate(weights)]
        total = running[-1] if running else 0.0
        if total <= 0:
            raise ValueError("all weights are zero: at least one arm needs a share of traffic")
        # The total is the running sum's own last value, so an arm's edge equals the next
        # one's exactly when the next arm weighs nothing.
        cumulative = [value / total for value in running]
        self._cumulative = cumulative
        # Bucket b belongs to the arm whose cumulative share of BUCKETS first exceeds b.
        self._bucket_edges = [share * BUCKETS for share in cumulative]
        self._random = (rng or random.Random()).random

    def pick(self) -> int:
        """An index drawn at random by weight."""
        # random() < 1.0 == the last edge, so the index is always in range; a zero-weight arm
        # repeats its predecessor's edge and bisect_right skips it.
        return bisect_right(self._cumulative, self._random())

    def pick_bucket(self, bucket: int) -> int:
        """The index whose share of the ``BUCKETS`` buckets holds ``bucket`` (0 <= b < BUCKETS):
        the same bucket gives the same index while the weights stay the same."""
        return bisect_right(self._bucket_edges, bucket)


def sticky_bucket(key: bytes, seed: bytes) -> int:
    """The bucket in ``[0, BUCKETS)`` of ``key`` under ``seed``: a keyed BLAKE2b, so the same
    key lands in the same bucket in every process and after every restart (unlike ``hash``)."""
    digest = hashlib.blake2b(key, key=seed[:64], digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS
