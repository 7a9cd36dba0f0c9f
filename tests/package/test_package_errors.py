"""What a user gets wrong when building or loading a package, and the line they read."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from skl2onnx import to_onnx
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression

from modelyard.core.errors import ConfigError, UnsupportedModelError
from modelyard.core.extras import MissingExtraError
from modelyard.package.builder import build_package
from modelyard.package.formats.onnx import OnnxFormat
from modelyard.package.io import write_manifest
from modelyard.package.loader import load_package
from modelyard.package.manifest import Signature, TensorSpec

Out = Callable[[str], Path]


@pytest.fixture
def without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import torch`` fails as on a machine without it, even where torch is installed."""
    monkeypatch.setitem(sys.modules, "torch", None)


@pytest.fixture(scope="module")
def model(iris) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(iris.X_train, iris.y_train)


def test_unknown_format_lists_the_known_ones(model, iris, out: Out) -> None:
    with pytest.raises(
        ConfigError,
        match="unknown package format 'pmml': expected one of onnx, sklearn, torchscript",
    ):
        build_package(model, "iris", out("p"), sample=iris.X_test.head(2), format="pmml")


def test_out_dir_must_be_empty(model, iris, out: Out) -> None:
    out("p").mkdir()
    (out("p") / "old.txt").write_text("x")

    with pytest.raises(ConfigError, match=r"is not empty: expected an empty folder"):
        build_package(model, "iris", out("p"), sample=iris.X_test.head(2))


def test_unfitted_estimator_is_refused(iris, out: Out) -> None:
    with pytest.raises(UnsupportedModelError, match="LogisticRegression is not fitted"):
        build_package(LogisticRegression(), "iris", out("p"), sample=iris.X_test.head(2))


def test_clusterer_is_neither_classifier_nor_regressor(iris, out: Out) -> None:
    kmeans = KMeans(n_clusters=2, n_init=1, random_state=0).fit(iris.X_train)

    with pytest.raises(
        UnsupportedModelError, match="KMeans is neither a classifier nor a regressor"
    ):
        build_package(kmeans, "clusters", out("p"), sample=iris.X_test.head(2))


def test_unknown_object_names_what_is_accepted(iris, out: Out) -> None:
    with pytest.raises(UnsupportedModelError, match="cannot package a dict: expected a fitted"):
        build_package({"weights": 1}, "x", out("p"), sample=iris.X_test.head(2))


def test_onnx_with_zipmap_is_refused(model, iris, out: Out, tmp_path: Path) -> None:
    path = tmp_path / "zipmap.onnx"
    onnx.save(to_onnx(model, iris.X_train.to_numpy(np.float32)[:1]), path)

    with pytest.raises(UnsupportedModelError, match=r"options=\{'zipmap': False\}"):
        build_package(path, "iris", out("p"), sample=iris.X_test.to_numpy()[:2])


def test_target_column_must_exist(model, iris, out: Out) -> None:
    with pytest.raises(ConfigError, match="train_data has no column 'label'"):
        build_package(
            model,
            "iris",
            out("p"),
            sample=iris.X_test.head(2),
            train_data=iris.frame("train"),
            target="label",
        )


def test_unknown_runtime_option_is_named(model, iris, out: Out) -> None:
    build_package(model, "iris", out("p"), sample=iris.X_test.head(2))

    with pytest.raises(ConfigError, match="runtime option 'threads' for format onnx"):
        load_package(out("p"), threads=2)


@pytest.mark.usefixtures("without_torch")
def test_torchscript_without_torch_says_how_to_install_it(model, iris, out: Out) -> None:
    with pytest.raises(
        MissingExtraError,
        match=r"^the torchscript format needs torch: pip install \"modelyard\[torch\]\"$",
    ):
        build_package(model, "iris", out("p"), sample=iris.X_test.head(2), format="torchscript")


@pytest.mark.usefixtures("without_torch")
def test_loading_a_torchscript_package_without_torch_says_so(model, iris, out: Out) -> None:
    manifest = build_package(model, "iris", out("p"), sample=iris.X_test.head(2))
    (out("p") / "model.onnx").rename(out("p") / "model.pt")
    write_manifest(
        out("p"), manifest.model_copy(update={"format": "torchscript", "model_file": "model.pt"})
    )

    with pytest.raises(MissingExtraError, match=r"^the torchscript format needs torch: "):
        load_package(out("p"))


def test_unreadable_onnx_file_is_refused(iris, out: Out, tmp_path: Path) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage" * 8)

    with pytest.raises(UnsupportedModelError, match=r"broken\.onnx is not a readable ONNX model"):
        build_package(path, "broken", out("p"), sample=iris.X_test.to_numpy()[:2])


def test_sample_without_a_fitted_feature_is_named(model, iris, out: Out) -> None:
    sample = iris.X_test.head(2).drop(columns=["petal width (cm)"])

    with pytest.raises(
        ConfigError, match=r"sample has no column\(s\) petal width \(cm\): expected the features"
    ):
        build_package(model, "iris", out("p"), sample=sample)


def test_an_onnx_file_runtime_cannot_parse_is_named_without_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"not a protobuf")
    signature = Signature(
        inputs=[TensorSpec(name="x", dtype="float32", shape=[None, 2])], outputs=[]
    )

    with pytest.raises(UnsupportedModelError) as refused:
        OnnxFormat().open(path, signature)

    assert str(refused.value) == (
        "ONNX Runtime cannot load model.onnx: [ONNXRuntimeError] : 7 : INVALID_PROTOBUF : "
        "Load model from model.onnx failed:Protobuf parsing failed."
    )


@pytest.mark.usefixtures("without_torch")
def test_the_torchscript_runner_without_torch_names_the_extra() -> None:
    from modelyard.pipeline.runners.torchscript import TorchScriptArgs, torchscript_runner

    with pytest.raises(MissingExtraError) as refused:
        torchscript_runner(TorchScriptArgs(), None)  # type: ignore[arg-type]
    assert str(refused.value) == (
        'the torchscript runner needs torch: pip install "modelyard[torch]"'
    )
