"""Latency buckets: which bucket a request falls in, and a quantile read from the counts.

Counts per bucket add up across replicas and steps (a sum of two histograms is a histogram),
which a list of raw latencies or a running p99 would not.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from modelyard.registry.rollout_types import LATENCY_BOUNDS_S

_BOUNDS = LATENCY_BOUNDS_S


def bucket_index(seconds: float) -> int:
    """The index of the first bound >= ``seconds`` (``len(LATENCY_BOUNDS_S)`` when slower).

    Called once per request: one bisection, nothing else.
    """
    return bisect_left(_BOUNDS, seconds)


def quantile(
    counts: Sequence[int], q: float, bounds: Sequence[float] = LATENCY_BOUNDS_S
) -> float | None:
    """The ``q``-quantile (0 < q <= 1) in seconds: the upper bound of the bucket holding it
    (the last bound for the overflow slot); ``None`` when nothing was counted.

    ``counts`` has one slot per bound and one more for slower values; ``bounds`` defaults to
    the rollouts' buckets (the server's metrics pass their own)."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= rank and count:
            return bounds[index] if index < len(bounds) else bounds[-1]
    return bounds[-1]
