"""Imbalanced data and trained models shared by the evaluation tests."""

from __future__ import annotations

import pytest
from evaltools import Data, imbalanced_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


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
