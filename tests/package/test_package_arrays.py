"""Models trained on arrays and lists package into versions that serve: their columns are
named ``x0, x1, …`` and their default pipeline is built and run before they are registered.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.api import log_model
from modelyard.core.errors import ConfigError, PayloadError
from modelyard.pipeline import Pipeline
from modelyard.registry import Registry


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    return load_breast_cancer(return_X_y=True)


def _served(registry: Registry, ref: str, payload: Any) -> list[Any]:
    """What the version's own pipeline answers for ``payload``, built as the server builds it."""
    with Pipeline.from_version(registry.get(ref), registry) as pipeline:
        return [p["label"] for p in pipeline.predict(payload)["predictions"]]


def test_numpy_x_and_y_register_a_version_that_answers_rows_and_records(
    registry: Registry, cancer: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = cancer
    model = LogisticRegression(max_iter=5000).fit(X, y)
    version = log_model(model, "lr", sample=X[:64], train_data=(X, y), registry=registry)

    signature = version.manifest.signature
    assert [column.name for column in signature.columns] == [f"x{i}" for i in range(30)]
    assert version.manifest.pipeline.encoder.name == "tabular"
    assert version.manifest.profile is not None
    assert [f.name for f in version.manifest.profile.features][:2] == ["x0", "x1"]
    rows = {"instances": X[:5].tolist()}
    assert _served(registry, "lr:1", rows) == model.predict(X[:5]).tolist()
    records = {"instances": [dict(zip(signature_names(30), X[0].tolist(), strict=True))]}
    assert _served(registry, "lr:1", records) == [int(model.predict(X[:1])[0])]


def signature_names(width: int) -> list[str]:
    return [f"x{i}" for i in range(width)]


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_float32_and_integer_arrays_keep_their_column_dtype(
    registry: Registry, dtype: type
) -> None:
    X, y = load_digits(return_X_y=True)
    X = X.astype(dtype)
    model = LogisticRegression(max_iter=2000).fit(X, y)
    version = log_model(model, "digits", sample=X[:20], registry=registry)

    expected = "float32" if dtype is np.float32 else "int64"
    assert {column.dtype for column in version.manifest.signature.columns} == {expected}
    payload = {"instances": X[:4].tolist()}
    assert _served(registry, "digits:1", payload) == model.predict(X[:4]).tolist()


def test_lists_and_a_one_row_sample_are_taken_as_rows(
    registry: Registry, cancer: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = cancer
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X.tolist(), y.tolist())
    log_model(
        model, "listed", sample=X[:8].tolist(), train_data=(X.tolist(), y.tolist()),
        registry=registry,
    )  # fmt: skip
    one_row = log_model(model, "listed", sample=X[0], registry=registry)

    assert one_row.manifest.signature.inputs[0].shape == [None, 30]
    assert len(one_row.manifest.signature.columns) == 30
    for ref in ("listed:1", "listed:2"):
        assert (
            _served(registry, ref, {"instances": X[:3].tolist()}) == model.predict(X[:3]).tolist()
        )


def test_a_pickled_array_model_is_fed_arrays_without_a_feature_name_warning(
    registry: Registry, cancer: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = cancer
    model = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    log_model(model, "ridge", sample=X[:16], format="sklearn", registry=registry)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with Pipeline.from_version(registry.get("ridge:1"), registry) as pipeline:
            answer = pipeline.predict({"instances": X[:2].tolist()})["predictions"]
    np.testing.assert_allclose([p["value"] for p in answer], model.predict(X[:2]))


def test_test_arrays_are_scored_through_the_served_pipeline(
    registry: Registry, cancer: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = cancer
    model = LogisticRegression(max_iter=5000).fit(X[:400], y[:400])
    version = log_model(
        model, "scored", sample=X[:10], train_data=(X[:400], y[:400]),
        test_data=(X[400:], y[400:]), registry=registry,
    )  # fmt: skip

    assert version.manifest.metrics is not None
    accuracy = float((model.predict(X[400:]) == y[400:]).mean())
    assert version.manifest.metrics.values["accuracy"] == pytest.approx(accuracy)


def _volume_model(path: Path) -> Path:
    """An ONNX graph over a 3-D tensor (no table): sums each ``[2, 2]`` block."""
    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["cube", "axes"], ["total"], keepdims=0)],
        "volume",
        [helper.make_tensor_value_info("cube", TensorProto.FLOAT, [None, 2, 2])],
        [helper.make_tensor_value_info("total", TensorProto.FLOAT, [None])],
        [helper.make_tensor("axes", TensorProto.INT64, [2], [1, 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)
    return path


def test_a_version_whose_default_pipeline_cannot_be_built_is_not_registered(
    registry: Registry, tmp_path: Path
) -> None:
    cube = np.ones((4, 2, 2), dtype=np.float32)
    with pytest.raises(ConfigError) as refused:
        log_model(_volume_model(tmp_path / "volume.onnx"), "volume", sample=cube, registry=registry)

    assert str(refused.value) == (
        "the model cannot be served by its own pipeline, not registered: manifest of volume: "
        "pipeline.encoder: encoder 'tabular': the signature lists no columns; use the "
        "'tensor' encoder for raw tensors"
    )
    assert registry.list_models() == []
    version = log_model(
        _volume_model(tmp_path / "again.onnx"), "volume", sample=cube,
        pipeline={"encoder": {"name": "tensor"}}, registry=registry,
    )  # fmt: skip
    assert version.version == 1


def test_a_postprocess_step_that_does_not_fit_the_model_is_refused_before_registering(
    registry: Registry, cancer: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = cancer
    model = LogisticRegression(max_iter=5000).fit(X, y)
    steps = {"postprocess": [{"name": "threshold", "args": {"positive": 7}}]}
    with pytest.raises(ConfigError) as refused:
        log_model(model, "lr", sample=X[:8], pipeline=steps, registry=registry)

    assert str(refused.value) == (
        "the model cannot be served by its own pipeline, not registered: manifest of lr: "
        "pipeline.postprocess.0: postprocessor 'threshold': positive class 7 is not one of "
        "(0, 1)"
    )
    assert "\n" not in str(refused.value)
    assert registry.list_models() == []


def test_rows_of_an_array_model_are_checked_against_its_training_profile(
    registry: Registry, cancer: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = cancer
    model = LogisticRegression(max_iter=5000).fit(X, y)
    version = log_model(model, "lr", sample=X[:10], train_data=(X, y), registry=registry)
    row = X[0].tolist()
    row[2] = 1e6

    pipeline = Pipeline.from_version(version, registry, profile_policy="reject")
    with pipeline, pytest.raises(PayloadError) as refused:
        pipeline.predict({"instances": [row]})

    assert refused.value.problems == [
        {
            "pointer": "/instances/0/2",
            "expected": "a number within the training range [43.7898, 188.5]",
            "got": "a value above it",
        }
    ]
