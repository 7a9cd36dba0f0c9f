"""What the models pages show, read from the registry: each version's figures and where they
come from.

A version's figures are those of its newest stored evaluation (with bootstrap intervals), and
for a version never evaluated, the test metrics measured when it was logged (no interval):
so every version has a point on the across-versions chart, and the page says which is which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.registry import ModelSummary, ModelVersion, Registry


@dataclass(frozen=True)
class Figures:
    """A version's metrics and their 95% intervals, and what measured them."""

    values: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    source: str
    """``evaluation`` (a stored evaluation) or ``test`` (the test split at log time)."""
    dataset_sha256: str
    rows: int | None = None
    at: datetime | None = None

    def headline(self) -> str | None:
        """The first metric in report order (evaluations keep their metrics in the order the
        report lists them), if any."""
        return next(iter(self.values), None)


@dataclass(frozen=True)
class VersionView:
    """One version with its stored evaluations (newest first) and its figures."""

    version: ModelVersion
    evaluations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def figures(self) -> Figures | None:
        """The newest evaluation's figures, else the logged test metrics, else ``None``."""
        if self.evaluations:
            newest = self.evaluations[0]
            return Figures(
                values={k: v for k, v in newest["metrics"].items() if v is not None},
                intervals={
                    k: (i["low"], i["high"]) for k, i in newest.get("intervals", {}).items()
                },
                source="evaluation",
                dataset_sha256=newest["dataset_sha256"],
                rows=newest.get("rows"),
                at=datetime.fromisoformat(newest["created_at"]),
            )
        metrics = self.version.manifest.metrics
        if metrics is None:
            return None
        return Figures(dict(metrics.values), {}, "test", metrics.dataset_sha256)


def version_views(registry: Registry, name: str) -> list[VersionView]:
    """Every live version of ``name``, oldest first, with its stored evaluations."""
    return [
        VersionView(version, registry.list_evaluations(name, version.version))
        for version in registry.list_versions(name)
    ]


@dataclass(frozen=True)
class ModelOverview:
    """One line of the models page: the registry's summary and the newest figures."""

    summary: ModelSummary
    newest: ModelVersion | None
    last: VersionView | None
    """The newest version that has figures (evaluated, or with test metrics)."""


def model_overviews(registry: Registry) -> list[ModelOverview]:
    """Every model, sorted by name, with its newest version and latest figures."""
    overviews = []
    for summary in registry.list_models():
        views = version_views(registry, summary.name)
        evaluated = [view for view in views if view.evaluations]
        last = max(evaluated, key=lambda v: v.evaluations[0]["created_at"], default=None)
        if last is None:
            last = next((view for view in reversed(views) if view.figures), None)
        overviews.append(ModelOverview(summary, views[-1].version if views else None, last))
    return overviews


def metric_names(views: list[VersionView]) -> list[str]:
    """Every metric some version has a figure for, in report order (the first version to
    have each decides its place)."""
    names = (name for view in views if view.figures for name in view.figures.values)
    return list(dict.fromkeys(names))
