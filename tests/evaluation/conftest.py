"""Imbalanced data and trained models shared by the evaluation tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from evaltools import STRICT_THRESHOLD, Data, imbalanced_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.package.builder import build_package
from modelyard.registry import Registry


@pytest.fixture(scope="session")
def imbalanced() -> Data:
    """Breast cancer, 93% benign."""
    return imbalanced_breast_cancer()


@pytest.fixture(scope="session")
def majority_model(imbalanced: Data) -> LogisticRegression:
    """So regularised that it always answers the majority class (benign)."""
    return LogisticRegression(C=1e-8, max_iter=5000).fit(
        imbalanced.X("train"), imbalanced.y("train")
    )


@pytest.fixture(scope="session")
def good_model(imbalanced: Data) -> Pipeline:
    """A real classifier of the same data (standardised logistic regression)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    return model.fit(imbalanced.X("train"), imbalanced.y("train"))


LABEL_MAP = {"name": "label_map", "args": {"mapping": {"0": "malignant", "1": "benign"}}}


@pytest.fixture(scope="session")
def packages(
    tmp_path_factory: pytest.TempPathFactory,
    imbalanced: Data,
    good_model: Pipeline,
    majority_model: LogisticRegression,
) -> dict[str, Path]:
    """Package folders of model "bc", built once: ``good``, ``majority``, and ``strict``
    (the good model whose pipeline calls benign only at probability ≥ 0.99)."""
    root = tmp_path_factory.mktemp("packages")
    pipelines = {
        "good": (good_model, [LABEL_MAP]),
        "majority": (majority_model, [LABEL_MAP]),
        "strict": (
            good_model,
            [{"name": "threshold", "args": {"threshold": STRICT_THRESHOLD}}, LABEL_MAP],
        ),
    }
    folders = {}
    for key, (model, postprocess) in pipelines.items():
        build_package(
            model,
            "bc",
            root / key,
            sample=imbalanced.X("train").head(50),
            train_data=imbalanced.train,
            target="target",
            pipeline={"postprocess": postprocess},
        )
        folders[key] = root / key
    return folders


@pytest.fixture
def bc(registry: Registry, packages: dict[str, Path]) -> Registry:
    """The registry holding bc:1 (good) and bc:2 (always benign)."""
    registry.register(packages["good"])
    registry.register(packages["majority"])
    return registry
