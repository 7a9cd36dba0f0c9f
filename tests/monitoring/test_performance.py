"""Live performance: logged answers joined with their labels give the evaluation's figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from labeltools import Split, cancer_version, diabetes_version, log_answers

import modelyard
from modelyard.core.errors import ConfigError
from modelyard.evaluation import evaluate
from modelyard.monitoring.labelled import live_performance
from modelyard.monitoring.performance_report import gate_gauges, live_gauges
from modelyard.pipeline.spec import EndpointSpec
from modelyard.registry import ModelVersion, Registry

pytestmark = pytest.mark.slow


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    store = Registry(f"sqlite:///{tmp_path / 'registry.db'}", str(tmp_path / "artifacts"))
    yield store
    store.close()


@pytest.fixture
def cancer(registry: Registry, tmp_path: Path) -> tuple[ModelVersion, Split]:
    return cancer_version(registry, tmp_path / "packages")


def _truths(ids: list[str], target: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"request_id": ids, "label": target.astype(str).tolist()})


def _assert_same(window_metrics: dict, window_intervals: dict, result) -> None:
    assert set(window_metrics) == set(result.metrics)
    for name, value in result.metrics.items():
        assert window_metrics[name] == pytest.approx(value, abs=1e-9), name
    assert set(window_intervals) == set(result.intervals)
    for name, interval in result.intervals.items():
        ours = window_intervals[name]
        assert (ours.low, ours.high) == pytest.approx((interval.low, interval.high), abs=1e-9)
        assert ours.resamples == interval.resamples


def test_labelled_answers_give_the_metrics_and_intervals_evaluate_gives(
    registry: Registry, cancer: tuple[ModelVersion, Split]
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test"))
    added = modelyard.add_labels("cancer", _truths(ids, data.test["target"]), registry=registry)
    assert (added.stored, added.replaced, added.unknown) == (len(ids), 0, 0)

    report = live_performance(
        "cancer", registry=registry, since=timedelta(days=7), window=timedelta(days=7)
    )
    expected = evaluate(version, data.test, "target", registry=registry)
    (only,) = report.versions
    (window,) = only.windows
    assert window.labelled_rows == window.logged_rows == len(data.test)
    assert report.labelled_rows == len(data.test)
    _assert_same(window.metrics, window.intervals, expected)


def test_only_labelled_answers_are_measured(
    registry: Registry, cancer: tuple[ModelVersion, Split]
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test"))
    half = len(ids) // 2
    modelyard.add_labels(
        "cancer", _truths(ids[:half], data.test["target"][:half]), registry=registry
    )
    report = live_performance(
        "cancer", registry=registry, since=timedelta(days=7), window=timedelta(days=7), bootstrap=0
    )
    window = report.versions[0].windows[0]
    assert (window.labelled_rows, window.logged_rows) == (half, len(ids))
    expected = evaluate(version, data.test.head(half), "target", registry=registry, bootstrap=0)
    _assert_same(window.metrics, window.intervals, expected)


def test_labels_the_version_cannot_score_are_left_out_and_counted(
    registry: Registry, cancer: tuple[ModelVersion, Split]
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test"))
    truths = _truths(ids, data.test["target"])
    truths.loc[:2, "label"] = ["benign ", "", "cat"]  # a typo, a blank, a class it never had
    modelyard.add_labels("cancer", truths, registry=registry)

    report = live_performance(
        "cancer", registry=registry, since=timedelta(days=7), window=timedelta(days=7), bootstrap=0
    )

    window = report.versions[0].windows[0]
    assert (window.labelled_rows, window.unusable_labels) == (len(ids) - 3, 3)
    expected = evaluate(version, data.test.iloc[3:], "target", registry=registry, bootstrap=0)
    _assert_same(window.metrics, window.intervals, expected)


def test_a_window_as_long_as_since_is_exactly_the_last_since(
    registry: Registry, cancer: tuple[ModelVersion, Split]
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test"))
    modelyard.add_labels("cancer", _truths(ids, data.test["target"]), registry=registry)

    span = timedelta(hours=2)
    report = live_performance("cancer", registry=registry, since=span, window=span, bootstrap=0)

    (window,) = report.versions[0].windows
    assert (window.start, window.end) == (report.since, report.since + span)
    assert window.labelled_rows == len(ids)


def test_a_window_below_a_gate_is_flagged_and_shown_as_a_failing_gauge(
    registry: Registry, cancer: tuple[ModelVersion, Split], tmp_path: Path
) -> None:
    version, data = cancer
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = data.X("test").head(120)
    truth = data.test["target"].head(120)
    good = log_answers(
        registry,
        "cancer",
        version,
        rows,
        at=today - timedelta(days=3) + timedelta(hours=1),
        ids=[f"a{i}" for i in range(120)],
    )
    bad = log_answers(
        registry,
        "cancer",
        version,
        rows,
        at=today - timedelta(days=1) + timedelta(hours=1),
        ids=[f"b{i}" for i in range(120)],
    )
    modelyard.add_labels("cancer", _truths(good, truth), registry=registry)
    modelyard.add_labels("cancer", _truths(bad, 1 - truth), registry=registry)  # all wrong now
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        yaml.safe_dump({"gates": [{"metric": "f1_macro", "min": 0.8}, {"min_rows": 100}]})
    )

    report = live_performance(
        "cancer", registry=registry, since=timedelta(days=7), window=timedelta(days=1),
        gates=gates, bootstrap=0,
    )  # fmt: skip
    windows = report.versions[0].windows
    assert [w.labelled_rows for w in windows] == [120, 120]
    assert [w.start for w in windows] == [today - timedelta(days=3), today - timedelta(days=1)]
    assert report.min_rows == 100 and report.gates == ["f1_macro"]
    assert windows[0].judged and not windows[0].failed
    assert windows[1].judged and [v.gate for v in windows[1].failed] == ["f1_macro"]
    f1 = next(g for g in live_gauges(report) if g.metric == "f1_macro")
    assert (f1.variant, f1.failing) == ("main", True)
    assert f1.value == windows[1].metrics["f1_macro"]
    assert gate_gauges(report) == [("main", "f1_macro", True)]


def test_a_window_with_fewer_rows_than_the_minimum_is_not_judged(
    registry: Registry, cancer: tuple[ModelVersion, Split], tmp_path: Path
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test").head(20))
    modelyard.add_labels(
        "cancer", _truths(ids, 1 - data.test["target"].head(20)), registry=registry
    )
    gates = tmp_path / "gates.yaml"
    gates.write_text(yaml.safe_dump({"gates": [{"metric": "accuracy", "min": 0.9}]}))
    report = live_performance("cancer", registry=registry, gates=gates, bootstrap=0)
    window = report.versions[0].windows[0]
    assert report.min_rows == 100
    assert not window.judged and window.verdicts == [] and window.metrics["accuracy"] < 0.9
    assert live_gauges(report) == [] and gate_gauges(report) == []


def test_promotion_time_metrics_come_from_the_evaluation_the_alias_move_used(
    registry: Registry, cancer: tuple[ModelVersion, Split], tmp_path: Path
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test").head(10))
    modelyard.add_labels("cancer", _truths(ids, data.test["target"].head(10)), registry=registry)
    before = live_performance("cancer", registry=registry, bootstrap=0).versions[0].promoted
    assert before.source == "manifest"
    assert before.metrics == pytest.approx(version.manifest.metrics.values)
    gates = {"gates": [{"metric": "accuracy", "min": 0.5}]}
    modelyard.promote(
        version.ref, "production", data.test, "target", gates, registry=registry, bootstrap=0
    )
    after = live_performance("cancer", registry=registry, bootstrap=0).versions[0].promoted
    promoted = evaluate(version, data.test, "target", registry=registry, bootstrap=0)
    assert after.source == "evaluation" and after.dataset_sha256 == promoted.dataset_sha256
    assert after.metrics == promoted.metrics


def test_a_regressor_is_measured_like_evaluate_measures_it(
    registry: Registry, tmp_path: Path
) -> None:
    version, data = diabetes_version(registry, tmp_path / "packages")
    ids = log_answers(registry, "diabetes", version, data.X("test"))
    modelyard.add_labels("diabetes", _truths(ids, data.test["target"]), registry=registry)
    report = live_performance("diabetes", registry=registry, window=timedelta(days=7))
    expected = evaluate(version, data.test, "target", registry=registry)
    window = report.versions[0].windows[0]
    assert report.versions[0].task == "regression"
    _assert_same(window.metrics, window.intervals, expected)


def test_non_positive_durations_are_refused(registry: Registry) -> None:
    with pytest.raises(ConfigError, match="must be positive durations"):
        live_performance("cancer", registry=registry, window=timedelta(0))


def test_the_endpoint_s_monitoring_gates_and_minimum_apply(
    registry: Registry, cancer: tuple[ModelVersion, Split], tmp_path: Path
) -> None:
    version, data = cancer
    ids = log_answers(registry, "cancer", version, data.X("test").head(40))
    modelyard.add_labels(
        "cancer", _truths(ids, 1 - data.test["target"].head(40)), registry=registry
    )
    gates = tmp_path / "gates.yaml"
    gates.write_text(yaml.safe_dump({"gates": [{"metric": "accuracy", "min": 0.5}]}))
    spec = EndpointSpec.model_validate(
        {
            "id": "cancer",
            "model": version.ref,
            "logging": {"sample_rate": 1.0},
            "monitoring": {"gates": str(gates), "min_rows": 30},
        }
    )
    report = live_performance("cancer", registry=registry, spec=spec, bootstrap=0)
    window = report.versions[0].windows[0]
    assert report.min_rows == 30 and report.gates == ["accuracy"]
    assert window.judged and [v.gate for v in window.failed] == ["accuracy"]
