"""Pickles load only where their captured library versions are installed, unless forced."""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from modelyard.core.errors import RequirementMismatchError
from modelyard.package.builder import build_package
from modelyard.package.io import read_manifest, write_manifest
from modelyard.package.loader import load_package
from modelyard.package.manifest import Requirement
from modelyard.package.requirements import capture_requirements, check_requirements

Out = Callable[[str], Path]


def test_capture_reads_installed_versions_and_skips_absent_ones() -> None:
    captured = capture_requirements(["numpy", "modelyard-no-such-distribution"])

    assert captured == [Requirement(name="numpy", version=metadata.version("numpy"))]


def test_check_compares_versions_not_strings() -> None:
    installed = metadata.version("numpy")
    padded = installed + ".0" if installed.count(".") == 2 else installed

    assert check_requirements([Requirement(name="numpy", version=padded)]) == []
    assert check_requirements(
        [
            Requirement(name="numpy", version="1.0.0"),
            Requirement(name="modelyard-no-such-distribution", version="1.0"),
        ]
    ) == [
        f"numpy 1.0.0 (installed: {installed})",
        "modelyard-no-such-distribution 1.0 (not installed)",
    ]


def _pickle_from_older_sklearn(iris, folder: Path) -> LogisticRegression:
    """A real pickle package whose manifest says it was written with scikit-learn 0.24.2."""
    model = LogisticRegression(max_iter=500).fit(iris.X_train, iris.y_train)
    build_package(model, "iris", folder, sample=iris.X_test.head(5), format="sklearn")
    manifest = read_manifest(folder)
    requirements = [
        Requirement(name=r.name, version="0.24.2") if r.name == "scikit-learn" else r
        for r in manifest.requirements
    ]
    write_manifest(folder, manifest.model_copy(update={"requirements": requirements}))
    return model


def test_pickle_written_with_other_versions_is_refused(iris, out: Out) -> None:
    _pickle_from_older_sklearn(iris, out("old"))
    installed = metadata.version("scikit-learn")

    with pytest.raises(RequirementMismatchError) as caught:
        load_package(out("old"))

    assert str(caught.value) == (
        f"package iris (sklearn) was written with scikit-learn 0.24.2 (installed: {installed}): "
        "install those versions or pass allow_mismatch=True"
    )


def test_allow_mismatch_loads_the_pickle_anyway(iris, out: Out) -> None:
    model = _pickle_from_older_sklearn(iris, out("old"))

    loaded = load_package(out("old"), allow_mismatch=True)

    np.testing.assert_array_equal(loaded.predict(iris.X_test), model.predict(iris.X_test))


def test_onnx_packages_tolerate_other_runtime_versions(iris, out: Out) -> None:
    model = LogisticRegression(max_iter=500).fit(iris.X_train, iris.y_train)
    build_package(model, "iris", out("onnx"), sample=iris.X_test.head(5))
    manifest = read_manifest(out("onnx"))
    older = [Requirement(name=r.name, version="1.0.0") for r in manifest.requirements]
    write_manifest(out("onnx"), manifest.model_copy(update={"requirements": older}))

    assert load_package(out("onnx")).predict(iris.X_test.head(2)).shape == (2,)
