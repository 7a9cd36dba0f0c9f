"""The monitoring page's work, in process: a window of the log read at most once a minute,
and the extra a serving install lacks named instead of a traceback."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from modelyard.core.extras import MissingExtraError
from modelyard.monitoring.drift_history import Span
from modelyard.monitoring.endpoint_drift import Baseline, BaselineLoader
from modelyard.registry import Registry
from modelyard.ui.context import UiContext
from modelyard.ui.pages.monitoring import page_values
from modelyard.ui.pages.monitoring_view import KEEP_S, LOADERS_KEPT, WindowCache
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


def test_an_install_without_pandas_is_told_which_extra_the_page_needs(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    heavy = ("modelyard.monitoring.drift_history", "modelyard.monitoring.endpoint_drift",
             "modelyard.ui.pages.monitoring_view")  # fmt: skip
    for name in [name for name in sys.modules if name.startswith(heavy)]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as an install without it

    with pytest.raises(MissingExtraError) as refused:
        page_values(UiContext(registry), lambda: WindowCache(registry), "cancer", None, {})
    assert str(refused.value) == 'the monitoring page needs pandas: pip install "modelyard[train]"'


def test_a_loader_keeps_the_baselines_of_the_few_versions_used_last(
    registry: Registry, tmp_path: Path
) -> None:
    version, _ = cancer_version(registry, tmp_path / "packages")
    for _ in range(2):
        registry.register(tmp_path / "packages" / "cancer")
    loader = BaselineLoader(registry, None, keep=2)
    first = loader("cancer", version.version)
    loader("cancer", 2)
    assert loader("cancer", version.version) is first  # kept, not loaded again
    loader("cancer", 3)
    assert loader.kept == [("cancer", 1), ("cancer", 3)]  # 2, used least lately, went


def test_two_pages_asking_at_once_share_one_load(registry: Registry, tmp_path: Path) -> None:
    version, _ = cancer_version(registry, tmp_path / "packages")
    loader = BaselineLoader(registry, None)
    start = threading.Barrier(4)

    def load() -> Baseline:
        start.wait()
        return loader("cancer", version.version)

    with ThreadPoolExecutor(4) as pool:
        loaded = list(pool.map(lambda _: load(), range(4)))
    assert all(baseline is loaded[0] for baseline in loaded)
    assert loader.kept == [("cancer", version.version)]


def test_the_page_keeps_the_loaders_of_the_endpoints_viewed_last(registry: Registry) -> None:
    now = datetime.now(UTC)
    span = Span(start=now - timedelta(minutes=5), end=now)
    cache = WindowCache(registry)
    for number in range(LOADERS_KEPT + 2):
        cache.drift(f"endpoint-{number}", None, [span], 10)
    assert cache.loaders == [(f"endpoint-{n}", "") for n in range(2, LOADERS_KEPT + 2)]
