"""Data every test area shares: scikit-learn's own datasets, as DataFrames, split once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.model_selection import train_test_split

from modelyard.registry import Registry


@dataclass(frozen=True)
class Split:
    """A dataset split into train and test, features as DataFrames, target as Series."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    target: str

    def frame(self, part: str) -> pd.DataFrame:
        """Features and target together, as ``log_model(train_data=...)`` takes them."""
        X = self.X_train if part == "train" else self.X_test
        y = self.y_train if part == "train" else self.y_test
        return X.assign(**{self.target: y.to_numpy()})


def _split(X: pd.DataFrame, y: pd.Series, target: str, stratify: bool = True) -> Split:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if stratify else None
    )
    return Split(X_train, X_test, y_train, y_test, target)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """An empty registry on a SQLite file in ``tmp_path``, with local artifacts and cache."""
    store = Registry(
        f"sqlite:///{tmp_path / 'registry.db'}",
        str(tmp_path / "artifacts"),
        cache_dir=tmp_path / "cache",
    )
    yield store
    store.close()


@pytest.fixture(scope="session")
def breast_cancer() -> Split:
    """Breast cancer: 30 float features, target 0 = malignant, 1 = benign."""
    data = load_breast_cancer(as_frame=True)
    return _split(data.data, data.target.rename("target"), "target")


@pytest.fixture(scope="session")
def iris() -> Split:
    """Iris: 4 float features, 3 classes."""
    data = load_iris(as_frame=True)
    return _split(data.data, data.target.rename("target"), "target")


@pytest.fixture(scope="session")
def diabetes() -> Split:
    """Diabetes: 10 float features, a continuous target (regression)."""
    data = load_diabetes(as_frame=True)
    return _split(data.data, data.target.rename("target"), "target", stratify=False)


@pytest.fixture(scope="session")
def digits_is3() -> Split:
    """Digits as 'is it a 3?': 64 pixel features (0..16), boolean target as 0/1."""
    data = load_digits(as_frame=True)
    y = (data.target == 3).astype(np.int64).rename("is_three")
    return _split(data.data, y, "is_three")
