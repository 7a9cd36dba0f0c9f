"""Live figures of each served variant: requests/s, error rate, latency quantiles and the
time per stage over the last minutes, from the server's own metrics.

The server counts requests into cumulative histograms (what ``/metrics`` exposes, see
:mod:`modelyard.serving.metrics`); a rate needs two moments. :class:`LiveStats` keeps a
snapshot of those counts every :data:`SAMPLE_EVERY_S` seconds for :data:`KEEP_S` seconds
(a ring buffer, sampled by a task of the server's lifespan, off the request path), and a
window's figures are the differences between its first and last snapshots: quantiles come
from the bucket counts that grew in the window, as Prometheus's ``histogram_quantile`` over
``rate()`` reads them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from modelyard.routing.histogram import quantile

if TYPE_CHECKING:  # the server builds this and lends it to the dashboard it serves
    from modelyard.serving.metrics import EndpointMetrics

SAMPLE_EVERY_S = 2.0
KEEP_S = 600.0
WINDOW_S = 60.0
"""The span the headline figures cover (the sparkline covers everything kept)."""

VariantKey = tuple[str, str]
"""(endpoint id, variant name): a variant's figures add up over the versions it served."""


@dataclass(frozen=True)
class Counts:
    """A variant's cumulative counts at one moment (every version it served, summed)."""

    requests: int
    errors: int
    latency: tuple[int, ...]
    stage_counts: tuple[tuple[int, ...], ...]
    stage_seconds: tuple[float, ...]

    @classmethod
    def of(cls, metrics: EndpointMetrics) -> Counts:
        """One version's counts (its pending requests folded in first, as a scrape does)."""
        metrics.fold()
        statuses = metrics.statuses
        return cls(
            sum(statuses.values()),
            sum(count for status, count in statuses.items() if status >= 400),
            tuple(metrics.latency.counts),
            tuple(tuple(stage.counts) for stage in metrics.stages),
            tuple(stage.total for stage in metrics.stages),
        )

    def combine(self, other: Counts, sign: int = 1) -> Counts:
        """The sum of both counts (the difference with ``sign=-1``)."""
        return Counts(
            self.requests + sign * other.requests,
            self.errors + sign * other.errors,
            _combine(self.latency, other.latency, sign),
            tuple(
                _combine(a, b, sign)
                for a, b in zip(self.stage_counts, other.stage_counts, strict=True)
            ),
            tuple(
                a + sign * b for a, b in zip(self.stage_seconds, other.stage_seconds, strict=True)
            ),
        )

    def since(self, earlier: Counts | None) -> Counts:
        """What was counted after ``earlier`` (everything when the variant was not yet seen)."""
        return self if earlier is None else self.combine(earlier, -1)


def _combine(a: Sequence[int], b: Sequence[int], sign: int) -> tuple[int, ...]:
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Snapshot:
    """Every variant's counts at one moment (``time.monotonic()`` seconds)."""

    at: float
    counts: dict[VariantKey, Counts]

    def requests(self, key: VariantKey) -> int:
        found = self.counts.get(key)
        return 0 if found is None else found.requests


@dataclass(frozen=True)
class StageFigures:
    """One stage's time per request over the window, in seconds (``None``: no request)."""

    name: str
    mean_s: float | None
    p99_s: float | None


@dataclass(frozen=True)
class VariantFigures:
    """A variant's figures over the window, and its requests/s in each interval kept."""

    total_requests: int
    """Requests answered since the server started (the counter ``/metrics`` shows)."""
    window_s: float
    """The span the figures cover: :data:`WINDOW_S`, or less just after the start."""
    requests: int
    requests_per_s: float | None
    error_rate: float | None
    p50_s: float | None
    p99_s: float | None
    stages: list[StageFigures]
    trend: list[tuple[float, float]]
    """(seconds before the last snapshot, requests/s) for each interval, oldest first."""


class LiveStats:
    """A ring buffer of snapshots of the server's metrics, and the figures read from it."""

    def __init__(
        self,
        series: Callable[[], Iterable[EndpointMetrics]],
        stages: Sequence[str],
        *,
        every_s: float = SAMPLE_EVERY_S,
        keep_s: float = KEEP_S,
    ) -> None:
        """``series`` lists the server's metrics objects (``ServerMetrics.series``), whose
        stage histograms are in the order of ``stages``."""
        self._series = series
        self.stages = tuple(stages)
        self.every_s = every_s
        self._snapshots: deque[Snapshot] = deque(maxlen=int(keep_s / every_s) + 1)
        self._latency_bounds: tuple[float, ...] = ()
        self._stage_bounds: tuple[float, ...] = ()

    def sample(self, now: float | None = None) -> Snapshot:
        """Take a snapshot of every variant's counts now (on the event loop thread, where the
        server records them)."""
        counts: dict[VariantKey, Counts] = {}
        for metrics in self._series():
            endpoint, variant = metrics.labels[0], metrics.labels[1]
            if not endpoint:  # the unrouted requests' series (404s) belongs to no endpoint
                continue
            self._latency_bounds = metrics.latency.bounds
            self._stage_bounds = metrics.stages[0].bounds
            key = (endpoint, variant)
            found, mine = counts.get(key), Counts.of(metrics)
            counts[key] = mine if found is None else found.combine(mine)
        snapshot = Snapshot(time.monotonic() if now is None else now, counts)
        self._snapshots.append(snapshot)
        return snapshot

    async def run(self) -> None:
        """Sample every ``every_s`` seconds until cancelled (a task of the server's lifespan)."""
        while True:
            self.sample()
            await asyncio.sleep(self.every_s)

    def figures(self, endpoint: str, variant: str, window_s: float = WINDOW_S) -> VariantFigures:
        """``variant``'s figures over the last ``window_s`` seconds of snapshots."""
        key = (endpoint, variant)
        kept = list(self._snapshots) or [self.sample()]
        last = kept[-1]
        first = next(s for s in kept if last.at - s.at <= window_s + 1e-6)
        span = last.at - first.at
        now = last.counts.get(key)
        trend = [
            (last.at - b.at, (b.requests(key) - a.requests(key)) / (b.at - a.at))
            for a, b in pairwise(kept)
            if b.at > a.at
        ]
        if now is None:
            return VariantFigures(0, span, 0, None, None, None, None, [], trend)
        delta = now.since(first.counts.get(key))
        stages = [
            StageFigures(
                name,
                seconds / sum(counts) if sum(counts) else None,
                quantile(counts, 0.99, self._stage_bounds),
            )
            for name, counts, seconds in zip(
                self.stages, delta.stage_counts, delta.stage_seconds, strict=True
            )
        ]
        return VariantFigures(
            total_requests=now.requests,
            window_s=span,
            requests=delta.requests,
            requests_per_s=delta.requests / span if span > 0 else None,
            error_rate=delta.errors / delta.requests if delta.requests else None,
            p50_s=quantile(delta.latency, 0.5, self._latency_bounds),
            p99_s=quantile(delta.latency, 0.99, self._latency_bounds),
            stages=stages,
            trend=trend,
        )
