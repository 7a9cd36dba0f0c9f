"""Packages the drift tests measure against: real models trained on scikit-learn's data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.package.builder import build_package
from modelyard.package.io import read_manifest, write_manifest


def classifier_package(folder: Path, X: pd.DataFrame | np.ndarray, y: pd.Series) -> Path:
    """A scaled logistic regression on ``X`` (a DataFrame, or an array: columns x0, x1, ...),
    packaged with ``X`` as its training data."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    if isinstance(X, np.ndarray):
        build_package(model, "clf", folder, sample=X[:5], train_data=(X, y.to_numpy()))
    else:
        build_package(
            model,
            "clf",
            folder,
            sample=X.head(5),
            train_data=X.assign(target=y.to_numpy()),
            target="target",
        )
    return folder


def regressor_package(folder: Path, X: pd.DataFrame, y: pd.Series) -> Path:
    """A linear regression on ``X``, packaged with ``X`` as its training data."""
    model = LinearRegression().fit(X, y)
    build_package(
        model,
        "reg",
        folder,
        sample=X.head(5),
        train_data=X.assign(target=y.to_numpy()),
        target="target",
    )
    return folder


def without_reference(folder: Path) -> Path:
    """``folder`` as a package written before reference samples were kept: no file, no field."""
    manifest = read_manifest(folder)
    assert manifest.reference is not None
    (folder / manifest.reference.file).unlink()
    write_manifest(folder, manifest.model_copy(update={"reference": None}))
    return folder
