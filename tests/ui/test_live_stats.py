"""Live figures read from snapshots of the server's own metrics objects: rates, error rate and
quantiles over a window are the differences between its first and last snapshots."""

from __future__ import annotations

from modelyard.serving.metrics import STAGES, ServerMetrics
from modelyard.ui.live_stats import LiveStats

STAGE_TIMES = (0.00002, 0.00003, 0.0001, 0.0004, 0.00005, 0.00001)
"""Seconds per stage of one successful request (decode .. encode)."""


def answered(metrics: ServerMetrics, count: int, latency_s: float, variant: str = "a") -> None:
    series = metrics.for_endpoint("ep", variant, "model", "1")
    for _ in range(count):
        series.answered([*STAGE_TIMES, latency_s])


def test_no_traffic_gives_no_figures() -> None:
    metrics = ServerMetrics()
    stats = LiveStats(metrics.series, STAGES)
    metrics.for_endpoint("ep", "a", "model", "1")
    stats.sample(now=0.0)
    stats.sample(now=2.0)
    found = stats.figures("ep", "a")
    assert found.total_requests == 0
    assert found.requests_per_s == 0.0
    assert (found.error_rate, found.p50_s, found.p99_s) == (None, None, None)
    assert [stage.mean_s for stage in found.stages] == [None] * len(STAGES)


def test_a_variant_never_seen_has_no_figures() -> None:
    stats = LiveStats(ServerMetrics().series, STAGES)
    found = stats.figures("ep", "nobody")
    assert (found.total_requests, found.requests_per_s, found.stages) == (0, None, [])


def test_rates_and_quantiles_cover_only_the_window() -> None:
    metrics = ServerMetrics()
    stats = LiveStats(metrics.series, STAGES)
    answered(metrics, 1000, 0.2)  # slow, and before the window
    stats.sample(now=0.0)
    stats.sample(now=100.0)
    answered(metrics, 90, 0.0004)
    series = metrics.for_endpoint("ep", "a", "model", "1")
    for status, latency_s, count in ((500, 0.003, 2), (422, 0.0002, 8)):
        for _ in range(count):
            series.request(status, latency_s)
    stats.sample(now=120.0)
    found = stats.figures("ep", "a", window_s=60.0)
    assert found.window_s == 20.0
    assert found.total_requests == 1100
    assert found.requests == 100
    assert found.requests_per_s == 5.0
    assert found.error_rate == 0.1
    assert found.p50_s == 0.0005  # the upper bound of the bucket holding the median
    assert found.p99_s == 0.005
    infer = found.stages[STAGES.index("infer")]
    assert abs(infer.mean_s - 0.0004) < 1e-12  # type: ignore[operator]
    assert infer.p99_s == 0.0005
    # (seconds before the last snapshot, requests/s): none in the first 100 s, then 100 in 20
    assert found.trend == [(20.0, 0.0), (0.0, 5.0)]


def test_a_variant_adds_up_over_the_versions_it_served() -> None:
    metrics = ServerMetrics()
    stats = LiveStats(metrics.series, STAGES)
    stats.sample(now=0.0)
    answered(metrics, 10, 0.001)
    metrics.for_endpoint("ep", "a", "model", "2").answered([*STAGE_TIMES, 0.001])
    metrics.for_endpoint("", "", "", "").request(404, 0.0)  # unrouted: no endpoint's
    stats.sample(now=1.0)
    assert stats.figures("ep", "a").total_requests == 11
    assert stats.figures("", "").total_requests == 0


def test_the_buffer_keeps_only_the_last_minutes() -> None:
    metrics = ServerMetrics()
    stats = LiveStats(metrics.series, STAGES, every_s=2.0, keep_s=10.0)
    for second in range(0, 40, 2):
        answered(metrics, 2, 0.001)
        stats.sample(now=float(second))
    found = stats.figures("ep", "a", window_s=600.0)
    assert found.window_s == 10.0
    assert len(found.trend) == 5
