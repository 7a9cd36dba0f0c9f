"""The package keeps a seeded sample of its training rows, hashed like every package file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from modelyard.core.errors import IntegrityError
from modelyard.core.extras import MissingExtraError
from modelyard.package.builder import build_package
from modelyard.package.io import package_digest, verify_package
from modelyard.package.manifest import ReferenceSample
from modelyard.package.reference import MAX_ROWS, REFERENCE_FILE, SEED, write_reference

Out = Callable[[str], Path]


def _build(folder: Path, X: pd.DataFrame | np.ndarray, y: np.ndarray, **kwargs: object) -> None:
    model = LogisticRegression(max_iter=3000).fit(X, y)
    sample = X[:5] if isinstance(X, np.ndarray) else X.head(5)
    build_package(model, "ref", folder, sample=sample, **kwargs)  # type: ignore[arg-type]


def test_training_rows_are_kept_as_reference_and_listed_in_files(breast_cancer, out: Out) -> None:
    _build(
        out("pkg"),
        breast_cancer.X_train,
        breast_cancer.y_train,
        train_data=breast_cancer.frame("train"),
        target="target",
    )

    manifest = verify_package(out("pkg"))
    rows = len(breast_cancer.X_train)
    assert manifest.reference == ReferenceSample(
        file=REFERENCE_FILE, rows=rows, source_rows=rows, seed=SEED
    )
    assert REFERENCE_FILE in manifest.files
    stored = pd.read_parquet(out("pkg") / REFERENCE_FILE)
    pd.testing.assert_frame_equal(stored, breast_cancer.X_train.reset_index(drop=True))


def test_same_training_data_gives_the_same_reference_and_package_digest(
    breast_cancer, out: Out
) -> None:
    """Only the build time differs between two builds: with it equal, the digests are."""
    for name in ("one", "two"):
        _build(
            out(name),
            breast_cancer.X_train,
            breast_cancer.y_train,
            train_data=breast_cancer.frame("train"),
            target="target",
        )
    one, two = verify_package(out("one")), verify_package(out("two"))

    assert one.files[REFERENCE_FILE] == two.files[REFERENCE_FILE]
    same_time = one.lineage.model_copy(update={"created_at": two.lineage.created_at})
    assert package_digest(one.model_copy(update={"lineage": same_time})) == package_digest(two)


def test_more_than_10000_training_rows_keep_a_seeded_sample_of_10000(out: Out) -> None:
    X, y = make_classification(
        n_samples=12_000, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    _build(out("pkg"), frame, y, train_data=frame.assign(target=y), target="target")

    manifest = verify_package(out("pkg"))
    assert manifest.reference == ReferenceSample(
        file=REFERENCE_FILE, rows=MAX_ROWS, source_rows=12_000, seed=SEED
    )
    stored = pd.read_parquet(out("pkg") / REFERENCE_FILE)
    assert len(stored) == MAX_ROWS
    assert (
        len(stored.merge(frame, on=["a", "b", "c", "d"])) == MAX_ROWS
    )  # rows of the training data


def test_numpy_trained_model_keeps_columns_x0_x1(breast_cancer, out: Out) -> None:
    X = breast_cancer.X_train.to_numpy()
    _build(
        out("pkg"),
        X,
        breast_cancer.y_train.to_numpy(),
        train_data=(X, breast_cancer.y_train.to_numpy()),
    )

    stored = pd.read_parquet(out("pkg") / REFERENCE_FILE)
    assert list(stored.columns) == [f"x{i}" for i in range(30)]
    np.testing.assert_array_equal(stored.to_numpy(), X)


def test_package_without_training_data_keeps_no_reference(breast_cancer, out: Out) -> None:
    _build(out("pkg"), breast_cancer.X_train, breast_cancer.y_train)

    manifest = verify_package(out("pkg"))
    assert manifest.reference is None
    assert not (out("pkg") / REFERENCE_FILE).exists()


def test_changed_reference_file_is_refused_on_load(breast_cancer, out: Out) -> None:
    _build(
        out("pkg"),
        breast_cancer.X_train,
        breast_cancer.y_train,
        train_data=breast_cancer.frame("train"),
        target="target",
    )
    breast_cancer.X_train.head(3).to_parquet(out("pkg") / REFERENCE_FILE, index=False)

    with pytest.raises(
        IntegrityError, match=r"does not match its manifest: reference\.parquet changed \(sha256"
    ):
        verify_package(out("pkg"))


def test_without_pyarrow_writing_the_reference_names_the_extra(
    breast_cancer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as an install without it
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)

    with pytest.raises(MissingExtraError) as caught:
        write_reference(tmp_path, breast_cancer.X_train)

    assert str(caught.value) == (
        'keeping the reference sample needs pyarrow: pip install "modelyard[parquet]"'
    )
    assert list(tmp_path.iterdir()) == []
