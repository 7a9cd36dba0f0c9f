"""Real packages built once per session from scikit-learn's datasets, and a real registry."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.package.builder import build_package

DIGIT_SCALE = 15  # pixel values 0..16 stored as 0..240 in the PNG: exact round trip


def digit_png(pixels: np.ndarray) -> bytes:
    """An 8x8 grayscale PNG of one digits row (values 0..16)."""
    image = Image.fromarray((pixels.reshape(8, 8) * DIGIT_SCALE).astype(np.uint8), mode="L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _logistic() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packages")


@pytest.fixture(scope="session")
def bc_package(packages: Path, breast_cancer) -> Path:
    """Breast cancer, logistic regression as ONNX, the default pipeline."""
    model = _logistic().fit(breast_cancer.X_train, breast_cancer.y_train)
    build_package(model, "breast_cancer", packages / "bc", sample=breast_cancer.X_train.head(50))
    return packages / "bc"


@pytest.fixture(scope="session")
def bc_sklearn_package(packages: Path, breast_cancer) -> Path:
    """The same model kept as a joblib pickle."""
    model = _logistic().fit(breast_cancer.X_train, breast_cancer.y_train)
    build_package(
        model,
        "breast_cancer",
        packages / "bc-sklearn",
        sample=breast_cancer.X_train.head(50),
        format="sklearn",
    )
    return packages / "bc-sklearn"


@pytest.fixture(scope="session")
def iris_package(packages: Path, iris) -> Path:
    """Iris, a random forest as ONNX: top 2 classes, renamed to species."""
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(iris.X_train, iris.y_train)
    pipeline = {
        "postprocess": [
            {"name": "top_k", "args": {"k": 2}},
            {
                "name": "label_map",
                "args": {"mapping": {"0": "setosa", "1": "versicolor", "2": "virginica"}},
            },
        ],
        "formatter": {"name": "classification"},
    }
    build_package(model, "iris", packages / "iris", sample=iris.X_train.head(30), pipeline=pipeline)
    return packages / "iris"


@pytest.fixture(scope="session")
def diabetes_package(packages: Path, diabetes) -> Path:
    """Diabetes, linear regression as ONNX, value reported in tenths (affine)."""
    model = LinearRegression().fit(diabetes.X_train, diabetes.y_train)
    pipeline = {
        "postprocess": [{"name": "affine", "args": {"scale": 10.0, "shift": 1.0}}],
        "formatter": {"name": "regression"},
    }
    build_package(
        model,
        "diabetes",
        packages / "diabetes",
        sample=diabetes.X_train.head(30),
        pipeline=pipeline,
    )
    return packages / "diabetes"


@pytest.fixture(scope="session")
def digits_model(digits_is3) -> object:
    return _logistic().fit(digits_is3.X_train, digits_is3.y_train)


@pytest.fixture(scope="session")
def digits_package(packages: Path, digits_is3, digits_model) -> Path:
    """Digits 'is it a 3?' fed as 8x8 PNGs through the image encoder, thresholded at 0.3."""
    pipeline = {
        "encoder": {
            "name": "image",
            "args": {
                "size": [8, 8],
                "color": "grayscale",
                "scale": 1 / DIGIT_SCALE,
                "layout": "flat",
                "resample": "nearest",
            },
        },
        "postprocess": [
            {"name": "threshold", "args": {"threshold": 0.3, "positive": 1}},
            {"name": "label_map", "args": {"mapping": {"0": "other", "1": "three"}}},
        ],
        "formatter": {"name": "classification"},
    }
    out = packages / "digits"
    build_package(
        digits_model, "digits_is3", out, sample=digits_is3.X_train.head(30), pipeline=pipeline
    )
    return out


@pytest.fixture(scope="session")
def digit_images(digits_is3) -> tuple[list[bytes], pd.DataFrame]:
    """PNG bytes of the test digits, and the pixel rows they were made from."""
    rows = digits_is3.X_test.head(60)
    return [digit_png(row) for row in rows.to_numpy()], rows
