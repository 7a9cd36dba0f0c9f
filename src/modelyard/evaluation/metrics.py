"""The metrics of an evaluation, every one computed by ``sklearn.metrics``.

Each headline metric is a named function of :mod:`~modelyard.evaluation.outcomes`, so the point
value, the bootstrap interval, the per-slice figure and the majority baseline are the same code.
A metric that is undefined on some rows (AUC where one class is absent) is ``nan`` there, never
an exception: a slice or a resample may lack a class.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.preprocessing import label_binarize

from modelyard.evaluation.outcomes import ClassificationOutcomes, Outcomes, RegressionOutcomes

#: Curves kept in a result are thinned to about this many points (they feed a report, not math).
CURVE_POINTS = 101
#: Quantiles of the residuals (true - predicted) a regression result records.
RESIDUAL_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Metrics reported per class, addressed as ``name[class]`` (e.g. ``precision[malignant]``).
PER_CLASS = ("precision", "recall", "f1", "support")


@dataclass(frozen=True)
class Metric:
    """A headline metric: its name, what it needs, and which direction is better."""

    name: str
    compute: Callable[[Any], float]
    greater_is_better: bool = True
    needs_proba: bool = False


def _labels(o: ClassificationOutcomes) -> list[int]:
    return list(range(len(o.classes)))


def _binary(o: ClassificationOutcomes) -> bool:
    return len(o.classes) == 2


def _f1(average: str) -> Callable[[ClassificationOutcomes], float]:
    def compute(o: ClassificationOutcomes) -> float:
        return float(skm.f1_score(o.y_true, o.y_pred, average=average, zero_division=0))

    return compute


def _roc_auc(o: ClassificationOutcomes) -> float:
    assert o.proba is not None
    if _binary(o):
        return float(skm.roc_auc_score(o.y_true, o.proba[:, 1]))
    return float(skm.roc_auc_score(o.y_true, o.proba, multi_class="ovr", labels=_labels(o)))


def _pr_auc(o: ClassificationOutcomes) -> float:
    assert o.proba is not None
    if _binary(o):
        return float(skm.average_precision_score(o.y_true, o.proba[:, 1]))
    onehot = label_binarize(o.y_true, classes=_labels(o))
    if not onehot.any(axis=0).all():
        return float("nan")  # a class with no positives has no precision-recall curve
    return float(skm.average_precision_score(onehot, o.proba, average="macro"))


def _log_loss(o: ClassificationOutcomes) -> float:
    assert o.proba is not None
    return float(skm.log_loss(o.y_true, o.proba, labels=_labels(o)))


def _brier(o: ClassificationOutcomes) -> float:
    assert o.proba is not None
    if _binary(o):
        return float(skm.brier_score_loss(o.y_true, o.proba[:, 1], pos_label=1))
    return float(skm.brier_score_loss(o.y_true, o.proba, labels=_labels(o)))


CLASSIFICATION: tuple[Metric, ...] = (
    Metric("accuracy", lambda o: float(skm.accuracy_score(o.y_true, o.y_pred))),
    Metric("balanced_accuracy", lambda o: float(skm.balanced_accuracy_score(o.y_true, o.y_pred))),
    Metric("f1_macro", _f1("macro")),
    Metric("f1_weighted", _f1("weighted")),
    Metric("f1_micro", _f1("micro")),
    Metric("roc_auc", _roc_auc, needs_proba=True),
    Metric("pr_auc", _pr_auc, needs_proba=True),
    Metric("log_loss", _log_loss, greater_is_better=False, needs_proba=True),
    Metric("brier", _brier, greater_is_better=False, needs_proba=True),
)

REGRESSION: tuple[Metric, ...] = (
    Metric("mae", lambda o: float(skm.mean_absolute_error(o.y_true, o.y_pred)), False),
    Metric("rmse", lambda o: float(skm.root_mean_squared_error(o.y_true, o.y_pred)), False),
    Metric("r2", lambda o: float(skm.r2_score(o.y_true, o.y_pred))),
    Metric("mape", lambda o: float(skm.mean_absolute_percentage_error(o.y_true, o.y_pred)), False),
)


def headline_metrics(outcomes: Outcomes) -> tuple[Metric, ...]:
    """The headline metrics that apply to ``outcomes`` (no probability metric without them)."""
    if isinstance(outcomes, RegressionOutcomes):
        return REGRESSION
    return tuple(m for m in CLASSIFICATION if outcomes.proba is not None or not m.needs_proba)


def metric_direction(name: str) -> bool:
    """Whether a larger value of ``name`` (headline or ``base[class]``) is better."""
    base = name.split("[", 1)[0]
    for metric in CLASSIFICATION + REGRESSION:
        if metric.name == base:
            return metric.greater_is_better
    return True


def compute_headline(outcomes: Outcomes, metrics: tuple[Metric, ...]) -> dict[str, float]:
    """Each metric on ``outcomes``; ``nan`` where the rows leave it undefined."""
    values: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", UserWarning)  # "y_pred contains classes not in y_true"
        for metric in metrics:
            try:
                values[metric.name] = metric.compute(outcomes)
            except ValueError:  # e.g. "Only one class present in y_true"
                values[metric.name] = float("nan")
    return values


def finite_headline(outcomes: Outcomes) -> dict[str, float]:
    """Every headline metric that applies and is defined on ``outcomes``: what a manifest keeps.

    The same computation as an evaluation's point values, so the metrics recorded at
    packaging and those of ``modelyard evaluate`` on the same data are equal.
    """
    values = compute_headline(outcomes, headline_metrics(outcomes))
    return {name: value for name, value in values.items() if not np.isnan(value)}


def defined(values: dict[str, float]) -> dict[str, float | None]:
    """``nan`` (undefined on these rows) as ``None``, which JSON can carry."""
    return {key: None if np.isnan(value) else value for key, value in values.items()}


def per_class(o: ClassificationOutcomes) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of every class, zero where a class is never predicted."""
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        o.y_true, o.y_pred, labels=_labels(o), zero_division=0
    )
    return {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": float(support[i]),
        }
        for i, name in enumerate(o.classes)
    }


def confusion(o: ClassificationOutcomes) -> list[list[int]]:
    """Rows are true classes, columns predicted classes, in the order of ``classes``."""
    return skm.confusion_matrix(o.y_true, o.y_pred, labels=_labels(o)).tolist()


class Curve(BaseModel):
    """One curve of a class: x and y coordinates (thinned), and its area when it has one."""

    label: str
    x: list[float]
    y: list[float]
    area: float | None = None


def _curve(label: str, x: np.ndarray, y: np.ndarray, area: float | None = None) -> Curve:
    """A curve thinned to about ``CURVE_POINTS`` points, first and last kept."""
    if x.shape[0] > CURVE_POINTS:
        keep = np.unique(np.linspace(0, x.shape[0] - 1, CURVE_POINTS).round().astype(int))
        x, y = x[keep], y[keep]
    return Curve(
        label=label,
        x=[round(float(v), 6) for v in x],
        y=[round(float(v), 6) for v in y],
        area=area,
    )


def _curve_classes(o: ClassificationOutcomes) -> list[int]:
    """Binary: the positive class (index 1) only; otherwise every class one-vs-rest."""
    return [1] if _binary(o) else _labels(o)


def curves(o: ClassificationOutcomes) -> dict[str, list[Curve]]:
    """ROC, precision-recall and calibration curves per class (skipped where undefined)."""
    out: dict[str, list[Curve]] = {"roc": [], "pr": [], "calibration": []}
    if o.proba is None:
        return out
    for i in _curve_classes(o):
        truth = o.y_true == i
        if truth.all() or not truth.any():
            continue
        score = o.proba[:, i]
        name = o.classes[i]
        fpr, tpr, _ = skm.roc_curve(truth, score)
        out["roc"].append(_curve(name, fpr, tpr, float(skm.auc(fpr, tpr))))
        precision, recall, _ = skm.precision_recall_curve(truth, score)
        ap = float(skm.average_precision_score(truth, score))
        out["pr"].append(_curve(name, recall[::-1], precision[::-1], ap))
        observed, predicted = calibration_curve(truth, score, n_bins=10, strategy="uniform")
        out["calibration"].append(_curve(name, predicted, observed))
    return out


def residual_quantiles(o: RegressionOutcomes) -> dict[str, float]:
    """Quantiles of true - predicted, keyed ``q05``, ``q25``, …"""
    residuals = o.y_true - o.y_pred
    return {f"q{round(q * 100):02d}": float(np.quantile(residuals, q)) for q in RESIDUAL_QUANTILES}
