"""Live performance: logged predictions joined with their late labels, judged like a release.

Each (variant, model version) is cut into time windows of its predictions; the labelled rows
of a window become the same outcomes ``modelyard evaluate`` builds from the pipeline's
outputs (``output.label`` and ``output.probabilities.<class>`` for a classifier,
``output.value`` for a regressor) and go through the same :func:`~modelyard.evaluation.assess.
assess`, so the metrics and bootstrap intervals are the evaluation's own, not a second
implementation. Metric gates of a gates file then judge each window that has enough rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from modelyard.evaluation.assess import Settings, Subject, assess
from modelyard.evaluation.evaluator import metric_names
from modelyard.evaluation.gates import Gate, MetricGate, MinRowsGate, resolve_gates
from modelyard.evaluation.names import MetricNames
from modelyard.evaluation.outcomes import Outcomes, classification_outcomes, regression_outcomes
from modelyard.evaluation.verdicts import judge
from modelyard.monitoring.columns import INPUT, output_column
from modelyard.monitoring.performance_report import (
    PerformanceReport,
    Promoted,
    VersionPerformance,
    Window,
)
from modelyard.registry import ModelVersion, Registry

TRUTH = "truth"
"""The joined frame's column holding each row's label."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

DEFAULT_MIN_ROWS = 100
"""Labelled rows a window needs to be judged, unless a ``min_rows`` gate says otherwise (the
same default as ``monitoring.min_rows``)."""


@dataclass(frozen=True)
class Judging:
    """How windows are cut and judged."""

    since: datetime
    until: datetime
    window: timedelta
    min_rows: int = DEFAULT_MIN_ROWS
    """Fewer labelled rows than this in a window: not judged (see :func:`min_rows_of`)."""
    gates: Sequence[Gate] = ()
    bootstrap: int = 1000
    seed: int = 0
    grid_from: datetime = EPOCH
    """Where windows start: the Unix epoch (``1d`` windows are UTC days, whenever the report
    is asked for), or ``since`` for one window that is exactly the last ``window``."""


@dataclass(frozen=True)
class VersionFacts:
    """What judging one version needs from the registry."""

    subject: Subject
    task: str
    names: MetricNames
    promoted: Promoted = field(default_factory=lambda: Promoted(source="none"))


def version_facts(version: ModelVersion, registry: Registry) -> VersionFacts:
    """The version's task, class names (after any ``label_map``) and promotion-time metrics."""
    names = metric_names(version, registry)
    subject = Subject(
        version.name, version.version, version.digest, version.manifest.format, names.aliases
    )
    task = version.manifest.signature.task
    return VersionFacts(subject, task, names, promoted_metrics(version, registry))


def promoted_metrics(version: ModelVersion, registry: Registry) -> Promoted:
    """The stored evaluation the version's newest alias move used, else its test metrics.

    An alias move does not record which evaluation it judged; ``promote`` stores that
    evaluation just before moving, so the newest one stored before the move is it.
    """
    moves = [
        event
        for event in registry.alias_history(version.name)
        if event.to_version == version.version
    ]
    if moves:
        moved_at = moves[-1].at
        for stored in registry.list_evaluations(version.name, version.version):
            if datetime.fromisoformat(stored["created_at"]) <= moved_at:
                return Promoted(
                    source="evaluation",
                    dataset_sha256=stored["dataset_sha256"],
                    metrics=stored["metrics"],
                )
    manifest = version.manifest.metrics
    if manifest is not None:
        return Promoted(
            source="manifest",
            dataset_sha256=manifest.dataset_sha256,
            metrics=dict(manifest.values),
        )
    return Promoted(source="none")


def join_labels(predictions: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The successful predictions, each with its label in :data:`TRUTH` (missing: none yet)."""
    answered = predictions[predictions["status"] == 200]
    truths = labels[["request_id", "instance", "label"]].rename(columns={"label": TRUTH})
    truths = truths.astype({"request_id": str, "instance": np.int64})
    answered = answered.astype({"request_id": str, "instance": np.int64})
    return answered.merge(truths, on=["request_id", "instance"], how="left")


def _outcomes(rows: pd.DataFrame, facts: VersionFacts) -> Outcomes:
    """The rows' outcomes exactly as the evaluator builds them from the pipeline's outputs."""
    if facts.task == "regression":
        return regression_outcomes(rows[TRUTH].astype(np.float64), rows[output_column("value")])
    classes = facts.names.classes or []
    columns = [output_column("probabilities", name) for name in classes]
    proba = None
    if all(column in rows for column in columns):
        matrix = rows[columns].to_numpy(np.float64)
        proba = None if np.isnan(matrix).any() else matrix
    return classification_outcomes(
        rows[TRUTH], rows[output_column("label")], proba, classes, aliases=facts.names.aliases
    )


def _usable(labelled: pd.DataFrame, facts: VersionFacts) -> pd.Series:
    """Which labels the version can score: numbers for a regressor, one of its classes (by
    name or raw label) for a classifier."""
    truth = labelled[TRUTH]
    if facts.task == "regression":
        return pd.to_numeric(truth, errors="coerce").notna()
    known = {str(name) for name in facts.names.classes or []} | set(facts.names.aliases)
    return truth.astype(str).isin(known)


def _live_gates(gates: Sequence[Gate]) -> list[Gate]:
    """The gates live performance judges: thresholds on a metric (a champion comparison and
    ``not_majority`` are promotion-time questions)."""
    return [
        gate for gate in gates if isinstance(gate, MetricGate) and gate.max_drop_vs_champion is None
    ]


def min_rows_of(gates: Sequence[Gate], default: int) -> int:
    """A ``min_rows`` gate's figure, else ``default``."""
    found = [gate.min_rows for gate in gates if isinstance(gate, MinRowsGate)]
    return max(found) if found else default


def _window(
    rows: pd.DataFrame, start: datetime, judging: Judging, facts: VersionFacts, min_rows: int
) -> Window:
    labelled = rows[rows[TRUTH].notna()]
    usable = _usable(labelled, facts)
    window = Window(
        start=start,
        end=start + judging.window,
        logged_rows=len(rows),
        labelled_rows=int(usable.sum()),
        unusable_labels=int((~usable).sum()),
        judged=False,
    )
    labelled = labelled[usable]
    if labelled.empty:
        return window
    inputs = labelled[[column for column in labelled.columns if column.startswith(INPUT)]]
    settings = Settings(TRUTH, (), judging.bootstrap, judging.seed)
    result = assess(_outcomes(labelled, facts), inputs, facts.subject, settings)
    update: dict[str, object] = {"metrics": result.metrics, "intervals": result.intervals}
    if len(labelled) >= min_rows:
        gates = _live_gates(judging.gates)
        resolved = resolve_gates(
            gates, result.names(), task=result.task, intervals=judging.bootstrap > 0
        )
        update |= {"judged": True, "verdicts": judge(gates, resolved, result)}
    return window.model_copy(update=update)


def performance(
    endpoint: str,
    joined: pd.DataFrame,
    facts: Mapping[tuple[str, int], VersionFacts],
    judging: Judging,
) -> PerformanceReport:
    """Per (variant, version) and per window, the metrics of ``joined`` (:func:`join_labels`).

    ``facts`` holds every (model, version) that appears in ``joined``.
    """
    times = pd.to_datetime(joined["time"], utc=True)
    seconds = (times - pd.Timestamp(judging.grid_from)).dt.total_seconds()
    bucket = np.floor(seconds / judging.window.total_seconds()).astype(np.int64)
    min_rows = judging.min_rows
    grouped = joined.assign(_bucket=bucket).groupby(["variant", "model", "version"], sort=True)
    versions = []
    for key, rows in grouped:
        variant, model, number = cast(tuple[Any, Any, Any], key)
        found = facts[(str(model), int(number))]
        windows = [
            _window(part, judging.grid_from + judging.window * int(k), judging, found, min_rows)
            for k, part in cast(Iterable[tuple[int, pd.DataFrame]], rows.groupby("_bucket"))
        ]
        versions.append(
            VersionPerformance(
                variant=str(variant),
                model=str(model),
                version=int(number),
                task="regression" if found.task == "regression" else "classification",
                promoted=found.promoted,
                windows=windows,
            )
        )
    return PerformanceReport(
        endpoint=endpoint,
        since=judging.since,
        until=judging.until,
        window_seconds=judging.window.total_seconds(),
        min_rows=min_rows,
        bootstrap=judging.bootstrap,
        seed=judging.seed,
        gates=[gate.describe() for gate in _live_gates(judging.gates)],
        logged_rows=len(joined),
        labelled_rows=int(joined[TRUTH].notna().sum()),
        versions=versions,
    )
