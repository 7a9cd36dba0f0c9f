"""Test-set metrics of the model as it will serve (the packaged format, not the original).

Classifiers: accuracy, macro F1, and ROC AUC when the task is binary and both classes occur.
Regressors: MAE, RMSE and R². All from ``sklearn.metrics``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from sklearn import metrics as skm

from modelyard.package.datasets import Labeled
from modelyard.package.manifest import Metrics

if TYPE_CHECKING:
    from modelyard.package.loader import LoadedModel


def _classification(model: LoadedModel, test: Labeled) -> dict[str, float]:
    y_true = test.y.to_numpy()
    y_pred = model.predict(test.X)
    values = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro")),
    }
    classes = model.manifest.signature.classes or []
    binary = len(classes) == 2 and len(np.unique(y_true)) == 2
    if binary and model.manifest.signature.probability_output is not None:
        positive = model.predict_proba(test.X)[:, 1]
        values["roc_auc"] = float(skm.roc_auc_score(y_true == classes[1], positive))
    return values


def _regression(model: LoadedModel, test: Labeled) -> dict[str, float]:
    y_true = test.y.to_numpy(dtype=np.float64)
    y_pred = model.predict(test.X)
    return {
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "rmse": float(skm.root_mean_squared_error(y_true, y_pred)),
        "r2": float(skm.r2_score(y_true, y_pred)),
    }


_BY_TASK = {"classification": _classification, "regression": _regression}


def score_test_set(model: LoadedModel, test: Labeled) -> Metrics | None:
    """Metrics on ``test`` tied to its fingerprint; ``None`` for tasks without metrics.

    Undefined values (R² of a single row) are left out rather than stored as NaN.
    """
    compute = _BY_TASK.get(model.manifest.signature.task)
    if compute is None:
        return None
    values = {name: value for name, value in compute(model, test).items() if math.isfinite(value)}
    return Metrics(dataset_sha256=test.fingerprint.sha256, values=values)
