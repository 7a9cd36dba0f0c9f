"""A packaged model that does not predict like the original is refused, with the rows named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from skl2onnx import update_registered_converter
from skl2onnx.operator_converters.linear_classifier import convert_sklearn_linear_classifier
from skl2onnx.shape_calculators.linear_classifier import calculate_linear_classifier_output_shapes
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.core.errors import ParityError
from modelyard.package.builder import build_package

Out = Callable[[str], Path]


class CautiousClassifier(LogisticRegression):
    """Says 1 only when at least 90% sure: its converted graph (argmax) disagrees."""

    def predict(self, X):  # type: ignore[no-untyped-def]
        return (self.predict_proba(X)[:, 1] >= 0.9).astype(np.int64)


update_registered_converter(
    CautiousClassifier,
    "ModelyardTestCautiousClassifier",
    calculate_linear_classifier_output_shapes,
    convert_sklearn_linear_classifier,
    options={
        "zipmap": [True, False, "columns"],
        "nocl": [True, False],
        "raw_scores": [True, False],
    },
)


@pytest.fixture(scope="module")
def logistic(breast_cancer) -> Pipeline:
    """Scaled logistic regression on breast cancer (fits in milliseconds)."""
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )


def test_float32_rounding_fails_a_zero_tolerance(breast_cancer, logistic, out: Out) -> None:
    with pytest.raises(ParityError) as caught:
        build_package(
            logistic, "cancer", out("zero"), sample=breast_cancer.X_test.head(8), tolerance=0.0
        )

    message = str(caught.value)
    assert message.startswith("onnx model does not match the original on ")
    assert "of 8 rows: row 0 probability off by " in message
    assert message.endswith(
        "(expected equal labels and differences within tolerance 0; "
        "pass a larger tolerance or format='sklearn')"
    )


def test_a_converted_graph_that_disagrees_names_the_label_rows(breast_cancer, out: Out) -> None:
    model = make_pipeline(StandardScaler(), CautiousClassifier()).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )
    X = breast_cancer.X_test.head(50)
    proba = model.predict_proba(X)[:, 1]
    disagree = np.flatnonzero((proba >= 0.5) & (proba < 0.9))
    assert len(disagree) > 0, "the test needs rows between the two thresholds"

    with pytest.raises(ParityError) as caught:
        build_package(model, "cautious", out("cautious"), sample=X)

    message = str(caught.value)
    assert f"on {len(disagree)} of 50 rows: row {disagree[0]} label 1 vs 0" in message


def test_a_failed_parity_leaves_the_folder_empty(breast_cancer, logistic, out: Out) -> None:
    with pytest.raises(ParityError):
        build_package(
            logistic, "cancer", out("left"), sample=breast_cancer.X_test.head(3), tolerance=0
        )

    assert list(out("left").iterdir()) == []


def test_parity_also_runs_on_test_rows(breast_cancer, logistic, out: Out) -> None:
    manifest = build_package(
        logistic,
        "cancer",
        out("rows"),
        sample=breast_cancer.X_test.head(5),
        test_data=(breast_cancer.X_test, breast_cancer.y_test),
    )

    assert manifest.parity is not None
    assert manifest.parity.rows == 5 + len(breast_cancer.X_test)
    assert manifest.parity.compared == ["label", "probabilities"]
    assert 0 < manifest.parity.max_abs_diff <= 1e-5
