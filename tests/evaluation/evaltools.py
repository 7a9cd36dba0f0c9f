"""Helpers of the evaluation tests: an imbalanced split of scikit-learn data, outcomes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from modelyard.evaluation.outcomes import ClassificationOutcomes, classification_outcomes

MALIGNANT_KEPT = 25
BREAST_CANCER_NAMES = {"0": "malignant", "1": "benign"}
STRICT_THRESHOLD = 0.99


@dataclass(frozen=True)
class Data:
    """Train and test frames, features and target ``target`` together."""

    train: pd.DataFrame
    test: pd.DataFrame
    target: str = "target"

    def X(self, part: str) -> pd.DataFrame:
        return getattr(self, part).drop(columns=[self.target])

    def y(self, part: str) -> pd.Series:
        return getattr(self, part)[self.target]


def imbalanced_breast_cancer() -> Data:
    """Breast cancer with malignant (0) cut to 25 of 382 rows: 93% benign, split in half."""
    data = load_breast_cancer(as_frame=True)
    frame = data.data.assign(target=data.target)
    rng = np.random.default_rng(0)
    malignant = rng.choice(np.flatnonzero(frame.target == 0), MALIGNANT_KEPT, replace=False)
    keep = np.sort(np.concatenate([np.flatnonzero(frame.target == 1), malignant]))
    frame = frame.iloc[keep].reset_index(drop=True)
    train, test = train_test_split(frame, test_size=0.5, random_state=0, stratify=frame.target)
    return Data(train.reset_index(drop=True), test.reset_index(drop=True))


def outcomes_of(model: ClassifierMixin, data: Data, part: str = "test") -> ClassificationOutcomes:
    """What a scikit-learn classifier says about ``part``, with breast cancer's class names."""
    X = data.X(part)
    return classification_outcomes(
        data.y(part),
        model.predict(X),
        model.predict_proba(X),
        ["malignant", "benign"],
        aliases=BREAST_CANCER_NAMES,
    )


#: The gates file exactly as the evaluation issue words it.
ISSUE_EXAMPLE = """\
gates:
  - {metric: f1_macro, min: 0.80}
  - {metric: "precision[malignant]", min: 0.80}
  - {metric: balanced_accuracy, min: 0.70, on: lower_bound}
  - {metric: f1_macro, max_drop_vs_champion: 0.01}
  - not_majority: true
  - min_rows: 100
"""
