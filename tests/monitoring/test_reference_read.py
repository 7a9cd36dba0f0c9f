"""A version's reference is read only after its files match their recorded sha256."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from drift_packages import classifier_package, regressor_package, without_reference
from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.core.errors import IntegrityError
from modelyard.core.extras import MissingExtraError
from modelyard.monitoring.reference import Reference, load_reference
from modelyard.package.builder import build_package
from modelyard.package.io import package_digest
from modelyard.registry import Registry


def test_reference_holds_the_training_rows_and_their_kinds(diabetes, tmp_path: Path) -> None:
    folder = regressor_package(tmp_path / "pkg", diabetes.X_train, diabetes.y_train)

    reference = load_reference(folder, package_digest(folder))

    assert reference.frame is not None
    pd.testing.assert_frame_equal(reference.frame, diabetes.X_train.reset_index(drop=True))
    assert reference.kinds == {
        name: "categorical" if name == "sex" else "numeric" for name in diabetes.X_train.columns
    }
    assert reference.profile is not None and reference.profile.rows == len(diabetes.X_train)


def test_changed_reference_is_refused(breast_cancer, tmp_path: Path) -> None:
    folder = classifier_package(tmp_path / "pkg", breast_cancer.X_train, breast_cancer.y_train)
    breast_cancer.X_test.to_parquet(folder / "reference.parquet", index=False)

    with pytest.raises(IntegrityError, match=r"reference\.parquet changed \(sha256 "):
        load_reference(folder)


def test_other_digest_than_recorded_is_refused(breast_cancer, tmp_path: Path) -> None:
    folder = classifier_package(tmp_path / "pkg", breast_cancer.X_train, breast_cancer.y_train)

    with pytest.raises(IntegrityError, match=r"manifest\.json of package 000000000000 changed"):
        load_reference(folder, "0" * 64)


def test_older_version_has_its_profile_only(breast_cancer, tmp_path: Path) -> None:
    folder = without_reference(
        classifier_package(tmp_path / "pkg", breast_cancer.X_train, breast_cancer.y_train)
    )

    reference = load_reference(folder)

    assert (reference.frame, reference.profile is not None) == (None, True)
    assert set(reference.kinds.values()) == {"numeric"}
    assert len(reference.kinds) == 30


def test_version_packaged_without_training_data_has_nothing_to_compare(
    breast_cancer, tmp_path: Path
) -> None:
    model = LogisticRegression(max_iter=3000).fit(breast_cancer.X_train, breast_cancer.y_train)
    build_package(model, "bare", tmp_path / "pkg", sample=breast_cancer.X_train.head(5))

    reference = load_reference(tmp_path / "pkg")

    assert reference == Reference(None, None, {})


def test_without_pyarrow_reading_names_the_extra(
    breast_cancer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = classifier_package(tmp_path / "pkg", breast_cancer.X_train, breast_cancer.y_train)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as an install without it
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)

    with pytest.raises(MissingExtraError) as caught:
        load_reference(folder)

    assert str(caught.value) == (
        'reading the reference sample needs pyarrow: pip install "modelyard[parquet]"'
    )


def test_registered_version_keeps_its_reference(breast_cancer, registry: Registry) -> None:
    model = LogisticRegression(max_iter=3000).fit(breast_cancer.X_train, breast_cancer.y_train)
    version = log_model(
        model,
        "bc",
        sample=breast_cancer.X_train.head(5),
        train_data=breast_cancer.frame("train"),
        test_data=breast_cancer.frame("test"),
        target="target",
        registry=registry,
    )

    reference = load_reference(registry.fetch(version), version.digest)

    assert reference.frame is not None
    pd.testing.assert_frame_equal(reference.frame, breast_cancer.X_train.reset_index(drop=True))
