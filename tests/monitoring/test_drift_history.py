"""Drift over time: the drift of ``modelyard monitor`` over successive windows of the log.

Each window is judged alone, against each version's own reference, so a shift that started
twenty minutes ago shows in the windows after it and not in the ones before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from drifttools import shift, traffic
from labeltools import cancer_version, log_answers
from sklearn.datasets import load_breast_cancer

from modelyard.core.errors import ConfigError
from modelyard.monitoring.drift_history import Span, drift_windows, window_drift
from modelyard.monitoring.endpoint_drift import baseline_loader
from modelyard.monitoring.store import open_store
from modelyard.registry import Registry

POPULATION = load_breast_cancer(as_frame=True).data
NOW = datetime(2026, 12, 1, 10, 7, 30, tzinfo=UTC)


def test_windows_are_cut_on_the_epoch_and_the_newest_holds_now() -> None:
    spans = drift_windows(timedelta(hours=1), 12, now=NOW)

    assert len(spans) == 12
    assert spans[-1] == Span(
        start=datetime(2026, 12, 1, 10, 5, tzinfo=UTC),
        end=datetime(2026, 12, 1, 10, 10, tzinfo=UTC),
    )
    assert spans[0].start == datetime(2026, 12, 1, 9, 10, tzinfo=UTC)
    assert all(a.end == b.start for a, b in pairwise(spans))
    # a minute later the finished windows keep their bounds
    assert drift_windows(timedelta(hours=1), 12, now=NOW + timedelta(minutes=1)) == spans


@pytest.mark.parametrize(
    ("since", "count", "message"),
    [
        (timedelta(hours=1), 0, "windows must be between 1 and 24"),
        (timedelta(hours=1), 25, "windows must be between 1 and 24"),
        (timedelta(0), 12, "the span must be a positive duration (e.g. 1h, 1d)"),
    ],
)
def test_a_window_count_or_span_out_of_bounds_is_refused(
    since: timedelta, count: int, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        drift_windows(since, count)
    assert str(refused.value) == message


def test_each_window_is_judged_alone(registry: Registry, tmp_path: Path) -> None:
    version, _ = cancer_version(registry, tmp_path / "packages")
    now = datetime.now(UTC)
    log_answers(
        registry, "cancer", version, traffic(POPULATION, 150, seed=1),
        at=now - timedelta(minutes=40), ids=[f"before-{i}" for i in range(150)],
    )  # fmt: skip
    log_answers(
        registry, "cancer", version, shift(traffic(POPULATION, 150, seed=2), ["mean texture"]),
        at=now - timedelta(minutes=20), ids=[f"after-{i}" for i in range(150)],
    )  # fmt: skip
    store = open_store("registry", registry)
    baseline_of = baseline_loader(registry, None)

    before, after, empty = (
        window_drift(
            store, "cancer", Span(start=now - start, end=now - end), baseline_of, min_rows=100
        )
        for start, end in [
            (timedelta(minutes=45), timedelta(minutes=30)),
            (timedelta(minutes=25), timedelta(minutes=10)),
            (timedelta(minutes=9), timedelta(0)),
        ]
    )

    assert (before.rows, after.rows, empty.rows) == (150, 150, 0)
    assert [(v.variant, v.model, v.version) for v in after.versions] == [("main", "cancer", 1)]
    assert before.versions[0].report.drifted == []
    assert after.versions[0].report.drifted == ["mean texture"]
    assert empty.versions == []
