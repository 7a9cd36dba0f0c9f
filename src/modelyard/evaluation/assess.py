"""From what a model said to an :class:`EvaluationResult`: metrics, intervals, slices, data check.

This is the pure half of an evaluation: arrays and a DataFrame in, a result out. Which code
produced the predictions (the version's own serving pipeline) is the evaluator's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from modelyard.core.hashing import data_fingerprint
from modelyard.evaluation import metrics as m
from modelyard.evaluation.baseline import baseline_outcomes
from modelyard.evaluation.bootstrap import bootstrap_intervals
from modelyard.evaluation.outcomes import ClassificationOutcomes, Outcomes
from modelyard.evaluation.representativeness import compare_with_profile
from modelyard.evaluation.result import EvaluationResult
from modelyard.evaluation.slices import slice_metrics
from modelyard.package.manifest import DataProfile


@dataclass(frozen=True)
class Subject:
    """The version being evaluated, as the result names it."""

    model: str
    version: int
    digest: str
    format: str
    class_aliases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """How to evaluate: the target, slice columns, bootstrap resamples and seed."""

    target: str
    slices: tuple[str, ...] = ()
    bootstrap: int = 1000
    seed: int = 0


def _classification_parts(o: ClassificationOutcomes) -> dict[str, object]:
    return {
        "classes": list(o.classes),
        "positive_class": o.classes[1] if len(o.classes) == 2 else None,
        "predicted_classes": int(np.unique(o.y_pred).size),
        "per_class": m.per_class(o),
        "confusion_matrix": m.confusion(o),
        "curves": m.curves(o),
    }


def assess(
    outcomes: Outcomes,
    data: pd.DataFrame,
    subject: Subject,
    settings: Settings,
    *,
    dataset_sha256: str | None = None,
    profile: DataProfile | None = None,
    on_resample: Callable[[], None] | None = None,
) -> EvaluationResult:
    """Every figure of one evaluation of ``outcomes`` on the rows of ``data``.

    ``dataset_sha256`` names the data (default: the fingerprint of ``data``'s rows).
    """
    headline = m.headline_metrics(outcomes)
    if isinstance(outcomes, ClassificationOutcomes):
        parts = _classification_parts(outcomes)
    else:
        parts = {"residual_quantiles": m.residual_quantiles(outcomes)}
    return EvaluationResult.model_validate(
        {
            "model": subject.model,
            "version": subject.version,
            "digest": subject.digest,
            "format": subject.format,
            "target": settings.target,
            "dataset_sha256": dataset_sha256 or data_fingerprint(data),
            "rows": outcomes.rows,
            "task": "classification"
            if isinstance(outcomes, ClassificationOutcomes)
            else "regression",
            "class_aliases": subject.class_aliases,
            "metrics": m.defined(m.compute_headline(outcomes, headline)),
            "baseline": m.defined(m.compute_headline(baseline_outcomes(outcomes), headline)),
            "intervals": bootstrap_intervals(
                outcomes,
                headline,
                resamples=settings.bootstrap,
                seed=settings.seed,
                on_resample=on_resample,
            ),
            "bootstrap": settings.bootstrap,
            "seed": settings.seed,
            "slice_columns": list(settings.slices),
            "slices": slice_metrics(outcomes, data, list(settings.slices)),
            "representativeness": None if profile is None else compare_with_profile(profile, data),
            "created_at": datetime.now(UTC),
            **parts,
        }
    )
