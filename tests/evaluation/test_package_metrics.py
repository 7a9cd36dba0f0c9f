"""The metrics recorded at ``log_model`` are the served pipeline's, equal to ``evaluate``'s."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from evaltools import STRICT_THRESHOLD, Data
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from typer.testing import CliRunner

from modelyard.api import log_model
from modelyard.cli.main import app
from modelyard.core.errors import ConfigError
from modelyard.evaluation import evaluate
from modelyard.registry import Registry


def _printed(output: str, metric: str) -> str:
    """The figure printed on the first table row naming ``metric``."""
    match = re.search(rf"{re.escape(metric)}\s*│?\s*([0-9]\.[0-9]{{4}})", output)
    assert match, output
    return match.group(1)


@pytest.fixture
def strict(registry: Registry, imbalanced: Data, good_model: Pipeline) -> Registry:
    """bc:1, whose pipeline calls benign only at a probability of 0.99, with test metrics."""
    log_model(
        good_model,
        "bc",
        sample=imbalanced.X("train").head(50),
        train_data=imbalanced.train,
        test_data=imbalanced.test,
        target="target",
        pipeline={"postprocess": [{"name": "threshold", "args": {"threshold": STRICT_THRESHOLD}}]},
        registry=registry,
    )
    return registry


def test_manifest_metrics_are_the_thresholded_pipelines_and_equal_evaluate(
    strict: Registry, imbalanced: Data, good_model: Pipeline
) -> None:
    recorded = strict.get("bc:1").manifest.metrics
    assert recorded is not None
    result = evaluate("bc:1", imbalanced.test, "target", registry=strict, bootstrap=0)

    raw = float((good_model.predict(imbalanced.X("test")) == imbalanced.y("test")).mean())
    assert recorded.values["accuracy"] < raw - 0.05  # the threshold is applied, not skipped
    assert recorded.dataset_sha256 == result.dataset_sha256
    for name, value in recorded.values.items():
        assert result.metrics[name] == value, name


def test_models_show_and_evaluate_print_the_same_accuracy(
    strict: Registry, imbalanced: Data, tmp_path: Path
) -> None:
    imbalanced.test.to_csv(tmp_path / "test.csv", index=False)
    store = ["--registry", strict.url, "--artifacts", strict.artifacts_url]

    shown = CliRunner().invoke(app, [*store, "models", "show", "bc:1"])
    evaluated = CliRunner().invoke(
        app, [*store, "evaluate", "bc:1", "--data", str(tmp_path / "test.csv"), "--bootstrap", "0"]
    )

    assert shown.exit_code == 0, shown.output
    assert evaluated.exit_code == 0, evaluated.output
    assert _printed(shown.output, "test accuracy") == _printed(evaluated.output, "accuracy")


@pytest.fixture(scope="module")
def gapless() -> tuple[pd.DataFrame, pd.Series, HistGradientBoostingClassifier]:
    """Breast cancer without a gap, and a model that would take NaN (the pipeline may not)."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y, HistGradientBoostingClassifier(max_iter=20).fit(X, y)


def test_a_sample_the_pipeline_refuses_is_named_and_nothing_registered(
    registry: Registry, gapless: tuple[pd.DataFrame, pd.Series, HistGradientBoostingClassifier]
) -> None:
    X, y, model = gapless
    sample = X.head(10).copy()
    sample.iloc[0, 0] = np.nan  # training had no gap there: the served encoder refuses it
    with pytest.raises(ConfigError) as refused:
        log_model(model, "gaps", sample=sample, train_data=(X, y), format="sklearn",
                  registry=registry)  # fmt: skip
    assert str(refused.value).startswith(
        "model 'gaps' cannot be served by its own pipeline, not registered: it fails on the "
        "sample: payload does not fit the signature: /mean radius: "
    )
    assert registry.list_models() == []


def test_test_data_the_pipeline_refuses_is_named(
    registry: Registry, gapless: tuple[pd.DataFrame, pd.Series, HistGradientBoostingClassifier]
) -> None:
    X, y, model = gapless
    test = X.tail(20).assign(target=y.tail(20))
    test.iloc[0, 0] = np.nan
    with pytest.raises(ConfigError) as refused:
        log_model(model, "gaps", sample=X.head(10), train_data=(X, y), test_data=test,
                  target="target", format="sklearn", registry=registry)  # fmt: skip
    assert str(refused.value).startswith(
        "test_data cannot be scored by the pipeline of 'gaps': payload does not fit the "
        "signature: /mean radius: "
    )
