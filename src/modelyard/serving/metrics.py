"""Prometheus metrics for the server: requests, latency, per-stage time, batch sizes, errors.

``prometheus_client``'s own ``Histogram.observe`` takes a lock and walks the buckets in Python
(about 1.5 µs); a predict request records nine values, which at 20,000 requests/s would be a
sixth of the time budget. Requests are recorded on the event loop thread only, so here a
histogram is a plain list of bucket counts, and a custom collector turns them into standard
Prometheus histograms when ``/metrics`` is scraped. A successful request only appends its
seven timings to a list (0.1 µs); they are folded into the histograms with numpy, a thousand
at a time or at the scrape, whichever comes first.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from modelyard.monitoring.writer import LogWriter

STAGES = ("decode", "validate", "queue", "infer", "postprocess", "encode")
"""The stages of a predict request, in order, as named in metrics and ``Server-Timing``."""

LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
)  # fmt: skip
STAGE_BUCKETS = (
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 1.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_FOLD_EVERY = 1024
_PER_REQUEST = len(STAGES) + 1


class FastHistogram:
    """Bucket counts and a sum, updated without locks (event loop thread only)."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose upper bound is at least ``value``."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def observe_many(self, values: np.ndarray) -> None:
        """Count many values at once (same buckets as :meth:`observe`)."""
        slots = np.searchsorted(self.bounds, values, side="left")
        added = np.bincount(slots, minlength=len(self.counts))
        self.counts = [a + int(b) for a, b in zip(self.counts, added, strict=True)]
        self.total += float(values.sum())

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative ``(le, count)`` pairs as Prometheus exposes them, ending with ``+Inf``."""
        edges = [*(repr(float(b)) for b in self.bounds), "+Inf"]
        return list(zip(edges, accumulate(self.counts), strict=True))


class EndpointMetrics:
    """Everything recorded for one variant of an endpoint serving one model version."""

    __slots__ = ("_answered", "batches", "labels", "latency", "stages", "statuses")

    def __init__(self, endpoint: str, variant: str, model: str, version: str) -> None:
        self.labels = (endpoint, variant, model, version)
        self.latency = FastHistogram(LATENCY_BUCKETS)
        self.stages = [FastHistogram(STAGE_BUCKETS) for _ in STAGES]
        self.batches = FastHistogram(BATCH_BUCKETS)
        self.statuses: dict[int, int] = {}
        # Flat doubles, seven per request: not containers, so the garbage collector never
        # walks them (a list of lists here cost more than the histograms it replaced).
        self._answered = array("d")

    def request(self, status: int, seconds: float) -> None:
        """Count one request that failed with ``status``, and its latency."""
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latency.observe(seconds)

    def answered(self, times: Sequence[float]) -> None:
        """Count one successful request: its stage times (:data:`STAGES` order), then its
        latency."""
        self._answered.extend(times)
        if len(self._answered) >= _FOLD_EVERY * _PER_REQUEST:
            self.fold()

    def fold(self) -> None:
        """Move the pending successful requests into the histograms."""
        if not self._answered:
            return
        values = np.frombuffer(self._answered, dtype=np.float64).reshape(-1, _PER_REQUEST).T
        self.statuses[200] = self.statuses.get(200, 0) + values.shape[1]
        for histogram, column in zip([*self.stages, self.latency], values, strict=True):
            histogram.observe_many(column)
        self._answered = array("d")


_LABELS = ["endpoint", "variant", "model", "version"]


class ServerMetrics(Collector):
    """The metrics of every endpoint variant and version this process has served, as a
    collector.

    A version that was swapped out keeps its series, so counters never go backwards.
    """

    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, str, str, str], EndpointMetrics] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def for_endpoint(
        self, endpoint: str, variant: str, model: str, version: str
    ) -> EndpointMetrics:
        """The (shared) metrics object of ``endpoint``'s ``variant`` serving ``model`` at
        ``version``."""
        key = (endpoint, variant, model, version)
        found = self._endpoints.get(key)
        if found is None:
            found = self._endpoints[key] = EndpointMetrics(*key)
        return found

    def series(self) -> list[EndpointMetrics]:
        """Every variant and version's metrics object (the dashboard reads their counts on
        the event loop thread, as a scrape does, after :meth:`EndpointMetrics.fold`)."""
        return list(self._endpoints.values())

    def render(self) -> bytes:
        """The Prometheus text exposition of all metrics."""
        return generate_latest(self.registry)

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "modelyard_requests",
            "Predict requests answered, by status.",
            labels=[*_LABELS, "status"],
        )
        errors = CounterMetricFamily(
            "modelyard_errors", "Predict requests answered with an error status.",
            labels=[*_LABELS, "status"],
        )  # fmt: skip
        latency = HistogramMetricFamily(
            "modelyard_request_duration_seconds",
            "Time from request start to the last byte of the answer.",
            labels=_LABELS,
        )
        stages = HistogramMetricFamily(
            "modelyard_stage_duration_seconds",
            "Time each request spent in each stage (queue = waiting for its batch).",
            labels=[*_LABELS, "stage"],
        )
        batches = HistogramMetricFamily(
            "modelyard_batch_size_rows", "Rows per runner call after micro-batching.",
            labels=_LABELS,
        )  # fmt: skip
        for metrics in list(self._endpoints.values()):
            metrics.fold()
            labels = list(metrics.labels)
            for status, count in sorted(metrics.statuses.items()):
                requests.add_metric([*labels, str(status)], count)
                if status >= 400:
                    errors.add_metric([*labels, str(status)], count)
            _add_histogram(latency, labels, metrics.latency)
            for stage, histogram in zip(STAGES, metrics.stages, strict=True):
                _add_histogram(stages, [*labels, stage], histogram)
            _add_histogram(batches, labels, metrics.batches)
        yield from (requests, errors, latency, stages, batches)


def _add_histogram(family: HistogramMetricFamily, labels: list[str], hist: FastHistogram) -> None:
    family.add_metric(labels, hist.buckets(), hist.total)


class PredictionLogCollector(Collector):
    """The prediction log's counters, read from the writer and the captures at each scrape."""

    def __init__(self, writer: LogWriter) -> None:
        self._writer = writer

    def collect(self) -> Iterator[Metric]:
        writer = self._writer
        endpoint = ["endpoint"]
        dropped = CounterMetricFamily(
            "modelyard_prediction_log_dropped",
            "Records dropped: buffer (or image byte budget) full, or their write failed.",
            labels=endpoint,
        )
        written = CounterMetricFamily(
            "modelyard_prediction_log_written", "Records written to the prediction log.",
            labels=endpoint,
        )  # fmt: skip
        errors = CounterMetricFamily(
            "modelyard_prediction_log_write_errors", "Batches whose write failed (dropped).",
            labels=endpoint,
        )  # fmt: skip
        violations = CounterMetricFamily(
            "modelyard_profile_violations",
            "Logged input values outside the training profile, by feature and kind.",
            labels=["endpoint", "variant", "feature", "kind"],
        )
        for name, capture in sorted(writer.captures.items()):
            dropped.add_metric([name], capture.dropped + writer.dropped[name])
            written.add_metric([name], writer.written[name])
            errors.add_metric([name], writer.write_errors[name])
        for labels, count in sorted(writer.violations.counts.copy().items()):
            violations.add_metric(list(labels), count)
        yield from (dropped, written, errors, violations)
