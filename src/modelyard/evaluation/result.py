"""The result of one evaluation: stored on the version, written as JSON, drawn as HTML.

Every figure a gate can name is reachable through :meth:`EvaluationResult.value`: a headline
metric by its name (``f1_macro``), a per-class one as ``base[class]`` (``precision[malignant]``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from modelyard.evaluation.bootstrap import Interval
from modelyard.evaluation.metrics import CLASSIFICATION, REGRESSION, Curve
from modelyard.evaluation.names import MetricName, MetricNames
from modelyard.evaluation.representativeness import Representativeness
from modelyard.evaluation.slices import Slice

#: Bumped when the stored result changes shape, so older cached results are recomputed.
RESULT_SCHEMA = 1


class Comparison(BaseModel):
    """Another version evaluated on the same rows: its metrics and this one's lead over them."""

    ref: str
    version: int
    metrics: dict[str, float | None]
    deltas: dict[str, float | None]


class EvaluationResult(BaseModel):
    """Everything measured when one version met one dataset."""

    schema_version: int = RESULT_SCHEMA
    model: str
    version: int
    digest: str
    format: str
    target: str
    dataset_sha256: str
    rows: int
    task: Literal["classification", "regression"]
    classes: list[str] = Field(default_factory=list)
    class_aliases: dict[str, str] = Field(default_factory=dict)
    positive_class: str | None = None
    metrics: dict[str, float | None]
    baseline: dict[str, float | None]
    intervals: dict[str, Interval] = Field(default_factory=dict)
    bootstrap: int
    seed: int
    predicted_classes: int | None = None
    per_class: dict[str, dict[str, float]] = Field(default_factory=dict)
    confusion_matrix: list[list[int]] | None = None
    curves: dict[str, list[Curve]] = Field(default_factory=dict)
    residual_quantiles: dict[str, float] = Field(default_factory=dict)
    slice_columns: list[str] = Field(default_factory=list)
    slices: list[Slice] = Field(default_factory=list)
    representativeness: Representativeness | None = None
    created_at: datetime
    comparison: Comparison | None = None

    @property
    def ref(self) -> str:
        return f"{self.model}:{self.version}"

    def headline(self) -> list[str]:
        """The headline metric names in their canonical order (stored JSON sorts keys)."""
        order = [m.name for m in CLASSIFICATION + REGRESSION]
        return sorted(self.metrics, key=lambda n: order.index(n) if n in order else len(order))

    def names(self) -> MetricNames:
        """The metric and class names this result answers to."""
        return MetricNames(self.headline(), self.classes, self.class_aliases)

    def value(self, name: str | MetricName) -> float | None:
        """The point value of a metric (``None`` when undefined on these rows or not computed,
        e.g. ``roc_auc`` of a model without probabilities)."""
        metric = self.names().resolve(name) if isinstance(name, str) else name
        if metric.cls is not None:
            return self.per_class.get(metric.cls, {}).get(metric.base)
        return self.metrics.get(metric.base)
