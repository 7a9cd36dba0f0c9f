"""``modelyard log`` of an ONNX file made from arrays, and of one whose pipeline cannot serve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import yaml
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from modelyard.pipeline import Pipeline
from modelyard.registry import Registry


def _onnx_from_arrays(workdir: Path) -> tuple[Path, LogisticRegression, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    model = LogisticRegression(max_iter=5000).fit(X, y)
    proto = to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False})
    path = workdir / "lr.onnx"
    onnx.save(proto, path)
    np.save(workdir / "sample.npy", X[:20])
    test = pd.DataFrame(X[400:], columns=[f"x{i}" for i in range(30)]).assign(target=y[400:])
    test.to_csv(workdir / "test.csv", index=False)
    return path, model, X


def test_log_registers_an_onnx_file_made_from_arrays_that_serves_rows(
    cli: Callable, workdir: Path
) -> None:
    path, model, X = _onnx_from_arrays(workdir)
    spec = {"name": "lr", "sample": "sample.npy", "test_data": "test.csv", "target": "target",
            "pipeline": {"formatter": {"name": "classification"}}}  # fmt: skip
    (workdir / "lr.yaml").write_text(yaml.safe_dump(spec))

    result = cli("log", str(path), "--manifest", "lr.yaml")

    assert result.code == 0, result.err
    assert "registered lr:1" in result.out
    registry = Registry()
    version = registry.get("lr:1")
    assert version.manifest.metrics is not None
    accuracy = float((model.predict(X[400:]) == load_breast_cancer().target[400:]).mean())
    assert abs(version.manifest.metrics.values["accuracy"] - accuracy) < 1e-9
    with Pipeline.from_version(version, registry) as pipeline:
        answer = pipeline.predict({"instances": X[:3].tolist()})["predictions"]
    assert [p["label"] for p in answer] == model.predict(X[:3]).tolist()
    registry.close()


def test_log_refuses_a_version_its_own_pipeline_cannot_serve(cli: Callable, workdir: Path) -> None:
    path, _, _ = _onnx_from_arrays(workdir)
    spec = {"name": "lr", "sample": "sample.npy",
            "pipeline": {"encoder": {"name": "image"}}}  # fmt: skip
    (workdir / "lr.yaml").write_text(yaml.safe_dump(spec))

    result = cli("log", str(path), "--manifest", "lr.yaml")

    assert result.code == 2
    assert result.err.strip() == (
        "error: the model cannot be served by its own pipeline, not registered: manifest of lr: "
        "pipeline.encoder.args.size: encoder 'image': Field required"
    )
    assert Registry().list_models() == []


def test_log_refuses_a_sample_npy_holding_python_objects(cli: Callable, workdir: Path) -> None:
    path, _, _ = _onnx_from_arrays(workdir)
    np.save(workdir / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (workdir / "lr.yaml").write_text(yaml.safe_dump({"name": "lr", "sample": "objects.npy"}))

    result = cli("log", str(path), "--manifest", "lr.yaml")

    assert result.code == 2
    assert result.err.strip() == (
        "error: sample objects.npy is not a plain numeric .npy array: expected np.save of "
        "feature rows"
    )
