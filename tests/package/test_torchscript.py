"""TorchScript modules trained here on scikit-learn data: packaged, proved, registered, reloaded."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

if os.environ.get("CI") != "true":  # in CI torch must be there: an ImportError fails
    pytest.importorskip("torch", reason="pip install 'modelyard[torch]'")
import torch

import modelyard
from modelyard.api import package_model
from modelyard.core.errors import ConfigError, IntegrityError, UnsupportedModelError
from modelyard.package.builder import build_package
from modelyard.package.loader import load_package
from modelyard.registry import Registry
from torchnets import linear_regressor, mlp_classifier

Out = Callable[[str], Path]
CLASSIFIER = {"formatter": {"name": "classification"}}


def _outputs(module: torch.jit.ScriptModule, X) -> np.ndarray:
    with torch.inference_mode():
        return module(torch.tensor(X.to_numpy(), dtype=torch.float32)).numpy()


@pytest.fixture(scope="module")
def classifier(breast_cancer) -> torch.jit.ScriptModule:
    return torch.jit.script(mlp_classifier(breast_cancer.X_train, breast_cancer.y_train))


@pytest.fixture(scope="module")
def regressor(diabetes) -> torch.jit.ScriptModule:
    net = linear_regressor(diabetes.X_train, diabetes.y_train)
    return torch.jit.trace(net, torch.zeros(1, diabetes.X_train.shape[1]))


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(f"sqlite:///{tmp_path / 'registry.db'}", str(tmp_path / "artifacts"))


def test_a_scripted_classifier_round_trips_through_the_registry(
    classifier, breast_cancer, registry
) -> None:
    version = modelyard.log_model(
        classifier,
        "bc_torch",
        sample=breast_cancer.X_train.head(50),
        train_data=breast_cancer.frame("train"),
        test_data=breast_cancer.frame("test"),
        target="target",
        pipeline=CLASSIFIER,
        registry=registry,
    )
    loaded = modelyard.load("bc_torch:1", registry=registry)

    manifest = loaded.manifest
    assert (manifest.format, version.version) == ("torchscript", 1)
    assert manifest.signature.task == "classification"
    assert manifest.signature.classes == [0, 1]
    assert manifest.signature.probability_output == "output_0"
    assert [r.name for r in manifest.requirements] == ["torch"]
    assert [c.name for c in manifest.pipeline.postprocess] == ["argmax"]
    assert manifest.metrics is not None and manifest.metrics.values["accuracy"] > 0.93
    X = breast_cancer.X_test
    expected = _outputs(classifier, X)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    np.testing.assert_array_equal(loaded.predict(X), expected.argmax(axis=1))


def test_parity_compares_the_reloaded_file_with_the_module_on_sample_and_test_rows(
    classifier, breast_cancer, out: Out
) -> None:
    manifest = build_package(
        classifier,
        "bc_torch",
        out("pkg"),
        sample=breast_cancer.X_train.head(50),
        test_data=breast_cancer.frame("test"),
        target="target",
        pipeline=CLASSIFIER,
    )
    assert manifest.parity is not None
    assert manifest.parity.rows == 50 + len(breast_cancer.X_test)
    assert manifest.parity.labels_equal is True
    assert manifest.parity.max_abs_diff == 0.0
    assert manifest.parity.compared == ["output_0"]


def test_a_traced_regressor_predicts_what_the_module_predicts(
    regressor, diabetes, out: Out
) -> None:
    manifest = package_model(
        regressor,
        "diabetes_torch",
        out("pkg"),
        sample=diabetes.X_train.head(30),
        test_data=diabetes.frame("test"),
        target="target",
        pipeline={"formatter": {"name": "regression"}},
    )
    loaded = load_package(out("pkg"))

    assert (manifest.signature.task, manifest.signature.value_output) == ("regression", "output_0")
    assert manifest.metrics is not None and manifest.metrics.values["r2"] > 0.3
    expected = _outputs(regressor, diabetes.X_test)[:, 0]
    np.testing.assert_array_equal(loaded.predict(diabetes.X_test), expected)


def test_without_a_declared_task_the_module_answers_raw_tensors(
    classifier, breast_cancer, out: Out
) -> None:
    manifest = build_package(classifier, "bc_torch", out("pkg"), sample=breast_cancer.X_train)

    assert manifest.signature.task == "other" and manifest.parity is not None
    assert manifest.pipeline.formatter.name == "raw"
    outputs = load_package(out("pkg")).run({"input": breast_cancer.X_test.to_numpy(np.float32)})
    np.testing.assert_array_equal(outputs["output_0"], _outputs(classifier, breast_cancer.X_test))


def test_a_tampered_pt_file_is_refused_before_torch_opens_it(
    classifier, breast_cancer, out: Out
) -> None:
    build_package(classifier, "bc_torch", out("pkg"), sample=breast_cancer.X_train.head(5))
    model_file = out("pkg") / "model.pt"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))

    with pytest.raises(IntegrityError, match=r"does not match its manifest: model.pt changed"):
        load_package(out("pkg"))


def test_logits_declared_as_classification_are_refused(breast_cancer, out: Out) -> None:
    logits = torch.jit.script(mlp_classifier(breast_cancer.X_train, breast_cancer.y_train)[0])

    with pytest.raises(ConfigError, match=r"output_0 is not class probabilities on the sample"):
        build_package(
            logits, "bc_torch", out("pkg"), sample=breast_cancer.X_train, pipeline=CLASSIFIER
        )
    assert list(out("pkg").iterdir()) == []


def test_classes_must_match_the_probability_columns(classifier, iris, out: Out) -> None:
    columns = iris.X_train.columns
    sample = iris.X_train.reindex(columns=[*columns, *[f"x{i}" for i in range(26)]], fill_value=0)
    train = sample.assign(target=iris.y_train.to_numpy())

    with pytest.raises(ConfigError, match=r"gives 2 class probabilities but train_data's target"):
        build_package(
            classifier,
            "wrong",
            out("pkg"),
            sample=sample,
            train_data=train,
            target="target",
            pipeline=CLASSIFIER,
        )


def test_a_module_in_training_mode_is_refused(breast_cancer, out: Out) -> None:
    training = torch.jit.script(torch.nn.Linear(30, 2))  # modules start in training mode

    with pytest.raises(UnsupportedModelError, match=r"in training mode: call .eval\(\)"):
        build_package(training, "bc_torch", out("pkg"), sample=breast_cancer.X_train.head(5))


def test_a_sample_the_module_cannot_take_is_refused_with_its_dtype(
    classifier, breast_cancer, out: Out
) -> None:
    sample = breast_cancer.X_train.head(5).to_numpy()  # float64; the module is float32

    with pytest.raises(UnsupportedModelError, match=r"as one float64 tensor of shape \[5, 30\]"):
        build_package(classifier, "bc_torch", out("pkg"), sample=sample)
