"""The monitoring page reads a window of the log at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sklearn.datasets import load_breast_cancer

from modelyard.monitoring.drift_history import Span
from modelyard.registry import Registry
from modelyard.ui.pages.monitoring_view import KEEP_S, WindowCache
from monitoring.drifttools import traffic
from monitoring.labeltools import cancer_version, log_answers

POPULATION = load_breast_cancer(as_frame=True).data


def test_a_window_is_read_again_only_after_a_minute(registry: Registry, tmp_path: Path) -> None:
    version, _ = cancer_version(registry, tmp_path / "packages")
    now = datetime.now(UTC)
    span = Span(start=now - timedelta(minutes=30), end=now + timedelta(minutes=1))
    clock = [0.0]
    cache = WindowCache(registry, clock=lambda: clock[0])

    def logged(ids: str) -> None:
        log_answers(
            registry, "cancer", version, traffic(POPULATION, 20, seed=len(ids)),
            at=now - timedelta(minutes=5), ids=[f"{ids}-{i}" for i in range(20)],
        )  # fmt: skip

    logged("first")
    assert [w.rows for w in cache.drift("cancer", None, [span], 10)] == [20]
    logged("second")
    clock[0] = KEEP_S - 1
    assert [w.rows for w in cache.drift("cancer", None, [span], 10)] == [20]
    clock[0] = KEEP_S + 1
    assert [w.rows for w in cache.drift("cancer", None, [span], 10)] == [40]
