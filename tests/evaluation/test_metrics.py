"""Metrics of an evaluation: right figures for imbalanced data, baselines, intervals, slices."""

from __future__ import annotations

import numpy as np
import pytest
from evaltools import outcomes_of
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

from modelyard.core.errors import ConfigError
from modelyard.evaluation.assess import Settings, Subject, assess
from modelyard.evaluation.bootstrap import bootstrap_intervals
from modelyard.evaluation.metrics import CLASSIFICATION, compute_headline
from modelyard.evaluation.outcomes import classification_outcomes, regression_outcomes

SUBJECT = Subject("bc", 1, "digest", "onnx", {"0": "malignant", "1": "benign"})


def test_majority_classifier_has_high_accuracy_but_low_macro_f1(imbalanced, majority_model):
    result = assess(
        outcomes_of(majority_model, imbalanced),
        imbalanced.test,
        SUBJECT,
        Settings("target", bootstrap=0),
    )
    assert result.predicted_classes == 1
    assert result.metrics["accuracy"] > 0.9
    assert result.metrics["f1_macro"] < 0.5
    assert result.metrics["balanced_accuracy"] == pytest.approx(0.5)
    assert result.per_class["malignant"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 13.0,
    }


def test_baseline_is_the_majority_class_beside_every_headline_metric(imbalanced, good_model):
    result = assess(
        outcomes_of(good_model, imbalanced),
        imbalanced.test,
        SUBJECT,
        Settings("target", bootstrap=0),
    )
    assert set(result.baseline) == set(result.metrics)
    majority_share = (imbalanced.y("test") == 1).mean()
    assert result.baseline["accuracy"] == pytest.approx(majority_share)
    assert result.baseline["roc_auc"] == pytest.approx(0.5)
    assert result.metrics["f1_macro"] > result.baseline["f1_macro"]


def test_metrics_equal_scikit_learn_on_the_same_arrays(imbalanced, good_model):
    o = outcomes_of(good_model, imbalanced)
    values = compute_headline(o, CLASSIFICATION)
    X, y = imbalanced.X("test"), imbalanced.y("test")
    assert values["f1_macro"] == f1_score(y, good_model.predict(X), average="macro")
    assert values["roc_auc"] == pytest.approx(roc_auc_score(y, good_model.predict_proba(X)[:, 1]))


def test_many_classes_use_one_vs_rest_auc_and_curves_per_class():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    o = classification_outcomes(y, model.predict(X), model.predict_proba(X), [0, 1, 2])
    result = assess(
        o, X.assign(target=y), Subject("iris", 1, "d", "onnx"), Settings("target", bootstrap=0)
    )
    expected = roc_auc_score(y, model.predict_proba(X), multi_class="ovr")
    assert result.metrics["roc_auc"] == pytest.approx(expected)
    assert [c.label for c in result.curves["roc"]] == ["0", "1", "2"]
    assert np.asarray(result.confusion_matrix).sum() == len(y)


def test_regression_metrics_residuals_and_mean_baseline():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X, y)
    result = assess(
        regression_outcomes(y, model.predict(X)),
        X.assign(target=y),
        Subject("diabetes", 1, "d", "onnx"),
        Settings("target", bootstrap=50),
    )
    assert set(result.metrics) == {"mae", "rmse", "r2", "mape"}
    assert result.baseline["r2"] == pytest.approx(0.0)
    assert result.metrics["r2"] > 0.4
    assert list(result.residual_quantiles) == ["q05", "q25", "q50", "q75", "q95"]
    assert result.intervals["rmse"].low < result.metrics["rmse"] < result.intervals["rmse"].high


def test_bootstrap_is_seeded_and_brackets_the_point_value(imbalanced, good_model):
    o = outcomes_of(good_model, imbalanced)
    label_metrics = CLASSIFICATION[:3]  # accuracy, balanced_accuracy, f1_macro: quick
    first = bootstrap_intervals(o, label_metrics, resamples=40, seed=7)
    again = bootstrap_intervals(o, label_metrics, resamples=40, seed=7)
    other = bootstrap_intervals(o, label_metrics, resamples=40, seed=8)
    assert first == again
    assert first != other
    point = compute_headline(o, label_metrics)["f1_macro"]
    assert first["f1_macro"].low <= point <= first["f1_macro"].high


def test_slices_report_each_group_and_undefined_metrics_as_none(imbalanced, good_model):
    data = imbalanced.test.assign(site=np.where(imbalanced.test.index % 2 == 0, "a", "b"))
    data.loc[data.target == 0, "site"] = "a"  # site b has benign rows only: AUC undefined
    result = assess(
        outcomes_of(good_model, imbalanced),
        data,
        SUBJECT,
        Settings("target", slices=("site",), bootstrap=0),
    )
    rows = {s.value: s for s in result.slices}
    assert sum(s.rows for s in rows.values()) == len(data)
    assert rows["b"].metrics["roc_auc"] is None
    assert rows["a"].metrics["roc_auc"] is not None


def test_a_numeric_slice_column_is_cut_into_quartiles(imbalanced, good_model):
    result = assess(
        outcomes_of(good_model, imbalanced),
        imbalanced.test,
        SUBJECT,
        Settings("target", slices=("mean radius",), bootstrap=0),
    )
    assert len(result.slices) == 4


def test_an_unknown_slice_column_is_an_error_listing_the_columns(imbalanced, good_model):
    with pytest.raises(ConfigError, match="slice column\\(s\\) not in the data: region"):
        assess(
            outcomes_of(good_model, imbalanced),
            imbalanced.test,
            SUBJECT,
            Settings("target", slices=("region",), bootstrap=0),
        )


def test_target_values_outside_the_classes_are_an_error():
    with pytest.raises(ConfigError, match="target column holds values that are not classes"):
        classification_outcomes(["cat", "dog"], ["cat", "cat"], None, ["cat", "bird"])


def test_a_result_round_trips_through_json(imbalanced, good_model):
    result = assess(
        outcomes_of(good_model, imbalanced),
        imbalanced.test,
        SUBJECT,
        Settings("target", bootstrap=20),
    )
    again = type(result).model_validate_json(result.model_dump_json())
    assert again == result
    assert again.value("precision[0]") == again.value("precision[malignant]")
