"""Drift of an endpoint's log, version by version: each version against its own reference.

A window that spans a reload holds requests of two versions; mixing them would call a change
of model a drift of the data. Refused requests carry no inputs and are not counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from drifttools import shift, traffic
from labeltools import cancer_version, log_answers
from sklearn.datasets import load_breast_cancer

from modelyard.core.errors import NotFoundError
from modelyard.monitoring.endpoint_drift import endpoint_drift
from modelyard.monitoring.store import Columns, open_store
from modelyard.registry import Registry

POPULATION = load_breast_cancer(as_frame=True).data


@pytest.fixture
def reloaded(registry: Registry, tmp_path: Path) -> Registry:
    """Endpoint ``cancer``: 150 unshifted requests answered by ``cancer:1`` 40 minutes ago,
    then 150 with ``mean texture`` shifted by ``cancer:2``, and one refused request."""
    first, _ = cancer_version(registry, tmp_path / "packages")
    second = registry.register(registry.fetch(first.ref))
    now = datetime.now(UTC)
    log_answers(
        registry, "cancer", first, traffic(POPULATION, 150, seed=1),
        at=now - timedelta(minutes=40), ids=[f"old-{i}" for i in range(150)],
    )  # fmt: skip
    log_answers(
        registry, "cancer", second, shift(traffic(POPULATION, 150, seed=2), ["mean texture"]),
        at=now - timedelta(minutes=20), ids=[f"new-{i}" for i in range(150)],
    )  # fmt: skip
    refused = {
        "time": now - timedelta(minutes=10), "request_id": "bad-0", "instance": 0,
        "endpoint": "cancer", "variant": "main", "model": "cancer", "version": 2,
        "status": 422, "latency_ms": 0.5, "error": "payload does not fit the signature",
    }  # fmt: skip
    open_store("registry", registry).write(
        "cancer", Columns.from_records([refused], {"version": "int", "status": "int"})
    )
    return registry


def test_each_version_is_judged_against_its_own_reference(reloaded: Registry) -> None:
    found = endpoint_drift("cancer", registry=reloaded)

    assert (found.source, found.rows) == ("log", 301)
    first, second = found.versions
    assert [(v.variant, v.model, v.version) for v in found.versions] == [
        ("main", "cancer", 1), ("main", "cancer", 2),
    ]  # fmt: skip
    assert (first.report.current_rows, second.report.current_rows) == (150, 150)
    assert (first.report.drifted, second.report.drifted) == ([], ["mean texture"])
    assert second.report.prediction is not None
    assert second.report.prediction.rows_current == 150


def test_since_keeps_the_newer_requests_only(reloaded: Registry) -> None:
    found = endpoint_drift("cancer", registry=reloaded, since=timedelta(minutes=30))

    assert found.rows == 151
    assert [v.version for v in found.versions] == [2]


def test_a_variant_that_answered_nothing_has_no_versions(reloaded: Registry) -> None:
    assert endpoint_drift("cancer", registry=reloaded, variant="canary").versions == []


def test_an_endpoint_without_records_is_not_found(reloaded: Registry) -> None:
    with pytest.raises(NotFoundError, match="endpoint 'quiet' has no logged predictions"):
        endpoint_drift("quiet", registry=reloaded)


def test_integer_features_logged_as_the_models_float32_do_not_drift(tmp_path: Path) -> None:
    """Training rows themselves, as the encoder feeds them (float32), against the reference
    the package keeps in the training dtypes (int64, float64): nothing may drift."""
    from drift_packages import classifier_package

    from modelyard.monitoring.endpoint_drift import Baseline, version_drift
    from modelyard.pipeline.pipeline import Pipeline

    rng = np.random.default_rng(0)
    rows = pd.DataFrame(
        {
            "flag": rng.integers(0, 2, 600),
            "level": rng.integers(0, 4, 600),
            "share": rng.choice([0.1, 0.2, 0.7], 600),
            "x": rng.normal(size=600),
        }
    )
    target = pd.Series((rows["x"] + rows["flag"] > 0.5).astype(int))
    with Pipeline.from_package(classifier_package(tmp_path / "pkg", rows, target)) as pipeline:
        baseline = Baseline.of(pipeline)
        fed = pipeline.encode({"instances": rows.head(300).to_dict(orient="records")}).feeds
    [stacked] = fed.values()
    logged = pd.DataFrame(np.asarray(stacked), columns=rows.columns).astype(np.float64)

    report = version_drift(baseline, logged, None, min_rows=100)

    assert [f.method for f in report.features] == ["z", "chisquare", "chisquare", "ks"]
    assert report.drifted == [] and report.dataset.drifted is False
