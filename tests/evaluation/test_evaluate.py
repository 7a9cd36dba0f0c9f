"""Evaluating a registered version: through its own pipeline, stored and reused."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pandas as pd
import pytest
from evaltools import STRICT_THRESHOLD
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import recall_score

from modelyard.api import log_model
from modelyard.core.errors import ConfigError
from modelyard.evaluation import evaluate
from modelyard.package.builder import build_package
from modelyard.pipeline import Pipeline

BOOTSTRAP = 30


def test_evaluation_runs_the_onnx_graph_and_its_pipeline_not_the_training_object(
    registry, packages, imbalanced, good_model, monkeypatch
):
    """The "strict" version is the good model whose pipeline calls benign only at p ≥ 0.99:
    evaluated as the scikit-learn object it would look far better than what serves."""
    version = registry.register(packages["strict"])
    calls = []
    run = onnxruntime.InferenceSession.run

    def counting_run(self, *args, **kwargs):
        calls.append(args[1] if len(args) > 1 else kwargs.get("input_feed"))
        return run(self, *args, **kwargs)

    monkeypatch.setattr(onnxruntime.InferenceSession, "run", counting_run)
    result = evaluate(version.ref, imbalanced.test, "target", registry=registry, bootstrap=0)

    assert result.format == "onnx"
    assert calls, "onnxruntime never ran: the evaluation did not use the ONNX graph"
    X, y = imbalanced.X("test"), imbalanced.y("test")
    object_recall = recall_score(y, good_model.predict(X), pos_label=1)
    served = np.where(good_model.predict_proba(X)[:, 1] >= STRICT_THRESHOLD, 1, 0)
    assert result.per_class["benign"]["recall"] == pytest.approx(
        recall_score(y, served, pos_label=1)
    )
    assert result.per_class["benign"]["recall"] < object_recall - 0.1


def test_classes_are_named_as_the_pipeline_answers(bc, imbalanced):
    result = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=0)
    assert result.classes == ["malignant", "benign"]
    assert result.class_aliases == {"0": "malignant", "1": "benign"}
    assert result.value("precision[0]") == result.value("precision[malignant]")


def test_a_result_is_stored_and_reused_for_the_same_data(bc, imbalanced, monkeypatch):
    first = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=BOOTSTRAP)
    stored = bc.find_evaluation("bc", 1, first.dataset_sha256)
    assert stored is not None and stored["metrics"] == first.metrics

    def no_pipeline(*args, **kwargs):
        raise AssertionError("the stored result should have been reused")

    monkeypatch.setattr(Pipeline, "from_version", no_pipeline)
    again = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=BOOTSTRAP)
    assert again == first


def test_other_settings_evaluate_again(bc, imbalanced):
    first = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=0)
    other = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=0, seed=1)
    assert other.seed == 1 and other.created_at > first.created_at


def test_csv_and_parquet_files_give_the_same_figures(bc, imbalanced, tmp_path):
    csv, parquet = tmp_path / "test.csv", tmp_path / "test.parquet"
    imbalanced.test.to_csv(csv, index=False)
    imbalanced.test.to_parquet(parquet)
    from_csv = evaluate("bc:1", csv, "target", registry=bc, bootstrap=0)
    from_parquet = evaluate("bc:1", str(parquet), "target", registry=bc, bootstrap=0)
    from_frame = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=0)
    assert from_csv.metrics == pytest.approx(from_frame.metrics)
    assert from_parquet.metrics == pytest.approx(from_frame.metrics)
    assert from_csv.dataset_sha256 != from_parquet.dataset_sha256  # a file is its bytes


def test_a_baseline_version_is_evaluated_on_the_same_rows(bc, imbalanced):
    bc.set_alias("bc", "production", 2, reason="test")
    result = evaluate(
        "bc:1", imbalanced.test, "target", registry=bc, baseline="bc@production", bootstrap=0
    )
    assert result.comparison is not None and result.comparison.version == 2
    assert result.comparison.deltas["f1_macro"] == pytest.approx(
        result.metrics["f1_macro"] - result.comparison.metrics["f1_macro"]
    )
    assert result.comparison.deltas["f1_macro"] > 0.3


def test_representativeness_uses_the_profile_in_the_package(bc, imbalanced):
    shifted = imbalanced.test.assign(**{"mean area": imbalanced.test["mean area"] * 2})
    result = evaluate("bc:1", shifted, "target", registry=bc, bootstrap=0)
    assert result.representativeness is not None
    assert "mean area" in result.representativeness.differing


def test_a_regression_is_evaluated_with_regression_metrics(registry, tmp_path):
    data = load_diabetes(as_frame=True)
    frame = data.data.assign(target=data.target)
    model = LinearRegression().fit(data.data, data.target)
    build_package(
        model,
        "diabetes",
        tmp_path / "pkg",
        sample=data.data.head(20),
        train_data=frame,
        target="target",
    )
    registry.register(tmp_path / "pkg")
    result = evaluate("diabetes:1", frame, "target", registry=registry, bootstrap=0)
    assert result.task == "regression"
    assert result.metrics["r2"] == pytest.approx(model.score(data.data, data.target), abs=1e-4)


@pytest.mark.parametrize(
    ("data", "target", "message"),
    [
        ("frame", "label", "has no column 'label'"),
        ("empty", "target", "the evaluation data has no rows"),
    ],
)
def test_bad_evaluation_data_is_a_one_line_error(bc, imbalanced, data, target, message):
    frame = imbalanced.test if data == "frame" else imbalanced.test.iloc[:0]
    with pytest.raises(ConfigError, match=message):
        evaluate("bc:1", frame, target, registry=bc, bootstrap=0)


def test_target_values_the_model_does_not_know_are_an_error(bc, imbalanced):
    frame = imbalanced.test.assign(target=np.where(imbalanced.test.target == 1, "yes", "no"))
    with pytest.raises(ConfigError, match="not classes of the model: no, yes"):
        evaluate("bc:1", frame, "target", registry=bc, bootstrap=0)


def test_without_a_target_the_training_label_column_is_used(bc, imbalanced):
    inferred = evaluate("bc:1", imbalanced.test, registry=bc, bootstrap=0)
    assert inferred.target == "target"
    named = evaluate("bc:1", imbalanced.test, "target", registry=bc, bootstrap=0)
    assert inferred.metrics == named.metrics


def test_without_a_target_or_a_lineage_naming_one_the_error_says_what_to_pass(
    registry, imbalanced, good_model, tmp_path
):
    build_package(good_model, "bare", tmp_path / "bare", sample=imbalanced.X("train").head(50))
    registry.register(tmp_path / "bare")
    with pytest.raises(ConfigError, match=r"does not name one: pass --target COLUMN"):
        evaluate("bare:1", imbalanced.test, registry=registry, bootstrap=0)


def test_an_array_model_is_evaluated_on_a_table_made_from_arrays(tmp_path, registry):
    X, y = load_breast_cancer(return_X_y=True)
    model = LogisticRegression(max_iter=5000).fit(X[:400], y[:400])
    version = log_model(model, "from_arrays", sample=X[:20], registry=registry)
    frame = pd.DataFrame(X[400:]).assign(target=y[400:])
    frame.to_csv(tmp_path / "test.csv", index=False)

    on_arrays = evaluate(version, (X[400:], y[400:]), "target", registry=registry, bootstrap=0)
    on_frame = evaluate(version, frame, "target", registry=registry, bootstrap=0)
    on_csv = evaluate(version, tmp_path / "test.csv", "target", registry=registry, bootstrap=0)

    assert on_frame.metrics == on_arrays.metrics == on_csv.metrics
    assert on_frame.rows == len(X) - 400
