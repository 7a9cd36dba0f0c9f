"""What a model said beside what was true, as arrays every metric, slice and resample shares.

Classes are encoded once as indices ``0..k-1`` into ``classes``, so scikit-learn never has to
guess the label set of a bootstrap resample or a slice that lacks a class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelyard.core.errors import ConfigError


@dataclass(frozen=True)
class ClassificationOutcomes:
    """True and predicted class indices, and class probabilities when the model gives them."""

    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None
    classes: tuple[str, ...]

    @property
    def rows(self) -> int:
        return int(self.y_true.shape[0])

    def take(self, index: np.ndarray) -> ClassificationOutcomes:
        """The rows at ``index`` (a resample or a slice)."""
        proba = None if self.proba is None else self.proba[index]
        return ClassificationOutcomes(self.y_true[index], self.y_pred[index], proba, self.classes)


@dataclass(frozen=True)
class RegressionOutcomes:
    """True and predicted values of a regression."""

    y_true: np.ndarray
    y_pred: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.y_true.shape[0])

    def take(self, index: np.ndarray) -> RegressionOutcomes:
        """The rows at ``index`` (a resample or a slice)."""
        return RegressionOutcomes(self.y_true[index], self.y_pred[index])


Outcomes = ClassificationOutcomes | RegressionOutcomes


def _encode(values: np.ndarray, lookup: dict[str, int], what: str) -> np.ndarray:
    keys = [str(value) for value in values.tolist()]
    unknown = sorted({key for key in keys if key not in lookup})
    if unknown:
        shown = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
        raise ConfigError(
            f"{what} holds values that are not classes of the model: {shown} "
            f"(classes: {', '.join(lookup)})"
        )
    return np.fromiter((lookup[key] for key in keys), dtype=np.int64, count=len(keys))


def classification_outcomes(
    y_true: Any,
    y_pred: Any,
    proba: Any,
    classes: Sequence[Any],
    *,
    aliases: dict[str, str] | None = None,
) -> ClassificationOutcomes:
    """Encode labels (compared as text) against ``classes``; ``aliases`` maps raw → class name.

    Probabilities are renormalised to sum to one per row in float64: ONNX returns float32 rows
    that miss 1.0 by ~1e-7, which scikit-learn's log loss and one-vs-rest AUC reject.
    """
    names = tuple(str(c) for c in classes)
    lookup = {name: i for i, name in enumerate(names)}
    for raw, name in (aliases or {}).items():
        lookup.setdefault(raw, lookup[name])
    true_idx = _encode(np.asarray(y_true).ravel(), lookup, "the target column")
    pred_idx = _encode(np.asarray(y_pred).ravel(), lookup, "the model's labels")
    matrix = None
    if proba is not None:
        matrix = np.asarray(proba, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape != (true_idx.shape[0], len(names)):
            raise ConfigError(
                f"probabilities of shape {matrix.shape} do not match {true_idx.shape[0]} rows "
                f"and {len(names)} classes"
            )
        matrix = matrix / matrix.sum(axis=1, keepdims=True)
    return ClassificationOutcomes(true_idx, pred_idx, matrix, names)


def regression_outcomes(y_true: Any, y_pred: Any) -> RegressionOutcomes:
    """True and predicted values as float64 vectors."""
    true = np.asarray(y_true, dtype=np.float64).ravel()
    pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if true.shape != pred.shape:
        raise ConfigError(f"{true.shape[0]} targets but {pred.shape[0]} predictions")
    return RegressionOutcomes(true, pred)
