"""Every supported model kind packs, loads, and predicts what the original predicts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelyard.api import package_model
from modelyard.package.builder import build_package
from modelyard.package.loader import load_package

Out = Callable[[str], Path]


def test_random_forest_on_digits_matches_original(digits_is3, out: Out) -> None:
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(
        digits_is3.X_train, digits_is3.y_train
    )
    manifest = build_package(
        model,
        "digits-is3",
        out("rf"),
        sample=digits_is3.X_test.head(20),
        train_data=digits_is3.frame("train"),
        test_data=digits_is3.frame("test"),
        target="is_three",
    )
    loaded = load_package(out("rf"))

    assert manifest.format == "onnx"
    assert manifest.signature.inputs[0].model_dump() == {
        "name": "input",
        "dtype": "float32",
        "shape": [None, 64],
    }
    assert manifest.signature.classes == [0, 1]
    assert manifest.parity is not None and manifest.parity.labels_equal
    assert manifest.parity.rows == 20 + 200
    np.testing.assert_array_equal(
        loaded.predict(digits_is3.X_test), model.predict(digits_is3.X_test)
    )
    np.testing.assert_allclose(
        loaded.predict_proba(digits_is3.X_test), model.predict_proba(digits_is3.X_test), atol=1e-5
    )


def test_a_partial_pipeline_keeps_the_task_defaults_for_the_steps_it_omits(
    breast_cancer, out: Out
) -> None:
    model = LogisticRegression(max_iter=5000).fit(breast_cancer.X_train, breast_cancer.y_train)
    labels = {"name": "label_map", "args": {"mapping": {"0": "malignant", "1": "benign"}}}
    manifest = build_package(
        model,
        "cancer",
        out(),
        sample=breast_cancer.X_test.head(10),
        pipeline={"postprocess": [labels]},
    )
    assert manifest.pipeline.encoder.name == "tabular"
    assert [step.name for step in manifest.pipeline.postprocess] == ["label_map"]
    assert manifest.pipeline.formatter.name == "classification"


def test_logistic_regression_on_breast_cancer_scores_the_packaged_model(
    breast_cancer, out: Out
) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )
    manifest = package_model(
        model,
        "cancer",
        out("lr"),
        sample=breast_cancer.X_test.head(10),
        test_data=(breast_cancer.X_test, breast_cancer.y_test),
    )
    loaded = load_package(out("lr"), intra_op_num_threads=1)

    assert manifest.metrics is not None
    assert set(manifest.metrics.values) == {
        "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "f1_micro",
        "roc_auc", "pr_auc", "log_loss", "brier",
    }  # fmt: skip
    expected_accuracy = float((model.predict(breast_cancer.X_test) == breast_cancer.y_test).mean())
    assert manifest.metrics.values["accuracy"] == pytest.approx(expected_accuracy)
    assert manifest.pipeline.encoder.name == "tabular"
    assert manifest.pipeline.formatter.name == "classification"
    np.testing.assert_array_equal(
        loaded.predict(breast_cancer.X_test), model.predict(breast_cancer.X_test)
    )


def test_iris_multiclass_keeps_three_classes(iris, out: Out) -> None:
    model = LogisticRegression(max_iter=500).fit(iris.X_train, iris.y_train)
    manifest = build_package(model, "iris", out("iris"), sample=iris.X_test.head(5))
    loaded = load_package(out("iris"))

    assert manifest.signature.classes == [0, 1, 2]
    assert loaded.predict_proba(iris.X_test).shape == (len(iris.X_test), 3)
    np.testing.assert_array_equal(loaded.predict(iris.X_test), model.predict(iris.X_test))


def test_string_class_labels_come_back_as_strings(iris, out: Out) -> None:
    names = np.array(["setosa", "versicolor", "virginica"])
    model = LogisticRegression(max_iter=500).fit(iris.X_train, names[iris.y_train])
    manifest = build_package(model, "iris-names", out("names"), sample=iris.X_test.head(5))

    assert manifest.signature.classes == ["setosa", "versicolor", "virginica"]
    assert list(load_package(out("names")).predict(iris.X_test)) == list(model.predict(iris.X_test))


def test_linear_regressor_is_converted_in_double_precision(diabetes, out: Out) -> None:
    model = Ridge().fit(diabetes.X_train, diabetes.y_train)
    manifest = package_model(
        model,
        "diabetes-ridge",
        out("ridge"),
        sample=diabetes.X_test.head(10),
        test_data=diabetes.frame("test"),
        target="target",
    )

    assert manifest.signature.inputs[0].dtype == "float64"
    assert manifest.parity is not None and manifest.parity.max_abs_diff < 1e-9
    assert manifest.pipeline.formatter.name == "regression"
    assert manifest.metrics is not None and set(manifest.metrics.values) == {
        "mae", "rmse", "r2", "mape"
    }  # fmt: skip
    np.testing.assert_allclose(
        load_package(out("ridge")).predict(diabetes.X_test), model.predict(diabetes.X_test)
    )


def test_tree_regressor_falls_back_to_float32(diabetes, out: Out) -> None:
    model = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(
        diabetes.X_train, diabetes.y_train
    )
    manifest = build_package(model, "diabetes-gbr", out("gbr"), sample=diabetes.X_test.head(10))

    assert manifest.signature.inputs[0].dtype == "float32"
    np.testing.assert_allclose(
        load_package(out("gbr")).predict(diabetes.X_test),
        model.predict(diabetes.X_test),
        rtol=1e-5,
        atol=1e-5,
    )


def _with_size_column(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = frame[["mean radius", "mean texture", "mean area"]]
    size = pd.cut(frame["mean area"], [0, 500, 1000, np.inf], labels=["small", "medium", "large"])
    return numeric.assign(size=size.astype(str))


def test_mixed_type_column_transformer_gets_one_input_per_column(breast_cancer, out: Out) -> None:
    X_train, X_test = (
        _with_size_column(breast_cancer.X_train),
        _with_size_column(breast_cancer.X_test),
    )
    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), ["mean radius", "mean texture", "mean area"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["size"]),
        ]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(X_train, breast_cancer.y_train)
    manifest = build_package(model, "cancer-mixed", out("mixed"), sample=X_test.head(10))
    loaded = load_package(out("mixed"))

    assert [(t.name, t.dtype, t.shape) for t in manifest.signature.inputs] == [
        ("mean radius", "float32", [None, 1]),
        ("mean texture", "float32", [None, 1]),
        ("mean area", "float32", [None, 1]),
        ("size", "string", [None, 1]),
    ]
    assert manifest.signature.columns[-1].model_dump() == {
        "name": "size",
        "dtype": "string",
        "categorical": True,
        "missing": False,
    }
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    records = X_test.head(3).to_dict(orient="records")
    np.testing.assert_array_equal(loaded.predict(records), model.predict(X_test.head(3)))


def test_sklearn_format_keeps_a_pickle_with_its_requirements(breast_cancer, out: Out) -> None:
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )
    manifest = build_package(
        model, "cancer-pickle", out("pickle"), sample=breast_cancer.X_test.head(5), format="sklearn"
    )
    loaded = load_package(out("pickle"))

    assert manifest.model_file == "model.joblib"
    assert {r.name for r in manifest.requirements} == {"scikit-learn", "numpy", "scipy", "joblib"}
    assert manifest.parity is not None and manifest.parity.max_abs_diff == 0.0
    np.testing.assert_array_equal(
        loaded.predict_proba(breast_cancer.X_test), model.predict_proba(breast_cancer.X_test)
    )


def test_onnx_file_logged_as_is_reads_task_and_classes_from_the_graph(
    iris, out: Out, tmp_path: Path
) -> None:
    model = LogisticRegression(max_iter=500).fit(iris.X_train.to_numpy(), iris.y_train)
    path = tmp_path / "iris.onnx"
    onnx.save(
        to_onnx(model, iris.X_train.to_numpy(np.float32)[:1], options={"zipmap": False}), path
    )
    manifest = build_package(path, "iris-onnx", out("file"), sample=iris.X_test.to_numpy()[:5])
    loaded = load_package(out("file"))

    assert manifest.flavor == "onnx"
    assert manifest.parity is None
    assert manifest.signature.task == "classification"
    assert manifest.signature.classes == [0, 1, 2]
    assert manifest.requirements[0].name == "onnxruntime"
    np.testing.assert_array_equal(
        loaded.predict(iris.X_test.to_numpy()), model.predict(iris.X_test.to_numpy())
    )


def test_sample_columns_are_put_in_fit_order_and_the_target_dropped(
    breast_cancer, out: Out
) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )
    shuffled = breast_cancer.frame("test").head(5)
    shuffled = shuffled[list(reversed(shuffled.columns))]

    manifest = build_package(model, "cancer", out("order"), sample=shuffled)

    assert [c.name for c in manifest.signature.columns] == list(breast_cancer.X_train.columns)
    np.testing.assert_array_equal(
        load_package(out("order")).predict(shuffled), model.predict(breast_cancer.X_test.head(5))
    )
