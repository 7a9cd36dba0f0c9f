"""Evaluate a registered version exactly as it serves: through its own pipeline, never the
training object.

The data goes through ``Pipeline.from_version`` — the encoder, runner (ONNX Runtime for a
converted model) and postprocessors the server runs — and only then are the answers compared
with the target. Results are stored on the version keyed by the data's fingerprint and reused
when the same data is evaluated again with the same settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from modelyard.core.errors import ConfigError
from modelyard.core.hashing import feature_names
from modelyard.evaluation.assess import Settings, Subject, assess
from modelyard.evaluation.metrics import CLASSIFICATION, REGRESSION
from modelyard.evaluation.names import MetricNames
from modelyard.evaluation.outcomes import Outcomes, classification_outcomes, regression_outcomes
from modelyard.evaluation.result import RESULT_SCHEMA, Comparison, EvaluationResult
from modelyard.package.datasets import Labeled, labeled
from modelyard.pipeline import Pipeline
from modelyard.pipeline.postprocess import LABEL, PROBABILITIES, VALUE
from modelyard.pipeline.types import Arrays
from modelyard.registry import ModelVersion, Registry


def target_of(version: ModelVersion, target: str | None) -> str:
    """``target``, else the label column the version was trained with, read from its lineage.

    The lineage records the columns of the train and test data; the one column there that is
    not a feature of the signature is the target. Saves retyping it at every evaluation.
    """
    if target is not None:
        return target
    features = {column.name for column in version.manifest.signature.columns}
    candidates = {
        column
        for dataset in version.manifest.lineage.datasets
        if dataset.role in ("train", "test")
        for column in dataset.columns
        if column not in features
    }
    if len(candidates) == 1:
        return candidates.pop()
    raise ConfigError(
        f"no target column given and the lineage of {version.name}:{version.version} does not "
        "name one: pass --target COLUMN (target= in Python)"
    )


def read_data(data: Any, target: str, version: ModelVersion) -> Labeled:
    """A DataFrame, CSV or Parquet path as features + target + fingerprint.

    A version trained on an unnamed array knows its columns as ``x0, x1, …``; a table made
    from such an array (``pd.DataFrame(X)``, or its CSV) names them ``0, 1, …`` instead. When
    the table has none of the version's columns but exactly as many features, they are read
    in order, as the array was.
    """
    table = labeled(data, target, "test")
    if table.X.empty:
        raise ConfigError("the evaluation data has no rows: expected at least one")
    names = [column.name for column in version.manifest.signature.columns]
    unnamed = names == feature_names(len(names)) and not set(names) & set(table.X.columns)
    if unnamed and len(table.X.columns) == len(names):
        return replace(table, X=table.X.set_axis(names, axis=1))
    return table


def class_aliases(pipeline: Pipeline) -> dict[str, str]:
    """Raw class → name the pipeline answers with, where a ``label_map`` renamed it."""
    raw = pipeline.context.classes or ()
    named = pipeline.output_context.classes or ()
    return {str(r): str(n) for r, n in zip(raw, named, strict=True) if str(r) != str(n)}


def metric_names(version: ModelVersion, store: Registry) -> MetricNames:
    """The metric and class names an evaluation of ``version`` will answer to.

    Known before evaluating: the pipeline is built (``label_map`` applied) but not loaded.
    """
    package = store.verified(version)
    pipeline = Pipeline(
        package.manifest,
        package_dir=package.path,
        version=version.version,
        digest=version.digest,
    )
    task = package.manifest.signature.task
    headline = REGRESSION if task == "regression" else CLASSIFICATION
    return MetricNames(
        [metric.name for metric in headline],
        [str(c) for c in pipeline.output_context.classes or ()],
        class_aliases(pipeline),
    )


def serve_outcomes(pipeline: Pipeline, table: Labeled) -> Outcomes:
    """What the version's own pipeline answers for ``table``, beside the truth."""
    return outcomes_of(pipeline, table, pipeline.postprocessed_frame(table.X))


def outcomes_of(pipeline: Pipeline, table: Labeled, outputs: Arrays) -> Outcomes:
    """The pipeline's standard ``outputs`` for the rows of ``table``, beside the truth."""
    task = pipeline.manifest.signature.task
    if task == "regression" and VALUE in outputs:
        return regression_outcomes(table.y, outputs[VALUE])
    if task == "classification" and LABEL in outputs and pipeline.output_context.classes:
        return classification_outcomes(
            table.y,
            outputs[LABEL],
            outputs.get(PROBABILITIES),
            pipeline.output_context.classes,
            aliases=class_aliases(pipeline),
        )
    raise ConfigError(
        f"{pipeline.model.name}:{pipeline.model.version} is a {task!r} model whose pipeline "
        f"answers {', '.join(sorted(outputs))}: expected a classification (label) or a "
        "regression (value) model"
    )


def _reusable(
    stored: dict[str, Any] | None, version: ModelVersion, settings: Settings
) -> EvaluationResult | None:
    if stored is None or stored.get("schema_version") != RESULT_SCHEMA:
        return None
    try:
        result = EvaluationResult.model_validate(stored)
    except ValidationError:
        return None
    same = (
        result.digest == version.digest
        and result.target == settings.target
        and tuple(result.slice_columns) == settings.slices
        and result.bootstrap == settings.bootstrap
        and result.seed == settings.seed
    )
    return result if same else None


def evaluate_version(
    version: ModelVersion,
    table: Labeled,
    settings: Settings,
    store: Registry,
    *,
    on_resample: Callable[[], None] | None = None,
) -> EvaluationResult:
    """The stored result for this data and settings, else a fresh evaluation (then stored)."""
    fingerprint = table.fingerprint.sha256
    found = store.find_evaluation(version.name, version.version, fingerprint)
    cached = _reusable(found, version, settings)
    if cached is not None:
        return cached
    with Pipeline.from_version(version, store) as pipeline:
        outcomes = serve_outcomes(pipeline, table)
        subject = Subject(
            version.name,
            version.version,
            version.digest,
            pipeline.manifest.format,
            class_aliases(pipeline),
        )
    result = assess(
        outcomes,
        table.frame(),
        subject,
        settings,
        dataset_sha256=fingerprint,
        profile=pipeline.manifest.profile,
        on_resample=on_resample,
    )
    store.save_evaluation(
        version.name, version.version, fingerprint, result.model_dump(mode="json")
    )
    return result


def compare(result: EvaluationResult, other: EvaluationResult, ref: str) -> Comparison:
    """``other``'s headline metrics and ``result``'s lead over each (positive = ahead)."""
    deltas: dict[str, float | None] = {}
    for name, ours in result.metrics.items():
        theirs = other.metrics.get(name)
        deltas[name] = None if ours is None or theirs is None else ours - theirs
    return Comparison(ref=ref, version=other.version, metrics=other.metrics, deltas=deltas)


def evaluate(
    ref: str | ModelVersion,
    data: pd.DataFrame | str | Path,
    target: str | None = None,
    *,
    registry: Registry | None = None,
    baseline: str | None = None,
    slices: Sequence[str] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    on_resample: Callable[[], None] | None = None,
) -> EvaluationResult:
    """Evaluate ``ref`` (``name:V``, ``name@alias``) on ``data`` through its serving pipeline.

    ``data`` is a DataFrame holding ``target`` or a CSV/Parquet path; without ``target``, the
    label column the version was trained with (from its lineage) is used. ``baseline`` names
    another version (e.g. ``name@production``) evaluated on the same rows for comparison;
    ``slices`` are columns to break the metrics down by. ``bootstrap`` resamples (seeded by
    ``seed``) give 95% intervals; ``on_resample`` is called after each (for a progress bar).
    """
    if bootstrap < 0:
        raise ConfigError(f"bootstrap must be 0 or more resamples, got {bootstrap}")
    store = registry or Registry(create=False)
    version = ref if isinstance(ref, ModelVersion) else store.get(ref)
    column = target_of(version, target)
    table = read_data(data, column, version)
    settings = Settings(column, tuple(slices or ()), bootstrap, seed)
    result = evaluate_version(version, table, settings, store, on_resample=on_resample)
    if baseline is None:
        return result
    other = evaluate_version(store.get(baseline), table, settings, store, on_resample=on_resample)
    return result.model_copy(update={"comparison": compare(result, other, baseline)})
