"""Admission of a freshly built package: it must serve through its own pipeline, and its test
metrics are measured through that pipeline, by the code ``modelyard evaluate`` runs.

A version whose default pipeline cannot be built (an encoder that does not fit the
signature, a postprocess step naming an unknown class) would register fine and then fail at
``modelyard serve``; building the pipeline and running it on the sample is therefore part of
packaging. Scoring the test set here, with :func:`~.evaluator.outcomes_of` and the same
headline metrics, means ``models show`` and ``evaluate`` agree: one code path scores a version,
thresholds and label maps included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelyard.core.errors import ConfigError, ModelyardError
from modelyard.core.hashing import as_frame
from modelyard.evaluation.evaluator import outcomes_of
from modelyard.evaluation.metrics import finite_headline
from modelyard.package.datasets import Labeled
from modelyard.package.manifest import Metrics
from modelyard.package.signature import to_feeds
from modelyard.pipeline import Pipeline
from modelyard.pipeline.encoders.tabular import TabularEncoder
from modelyard.pipeline.types import Arrays


def admit(folder: Path, sample: Any, test: Labeled | None) -> Metrics | None:
    """Build the package's own pipeline, run it on ``sample``, score ``test`` through it.

    Raises :class:`ConfigError` naming the model and the failing stage when the pipeline
    cannot be built or cannot answer the sample; returns ``None`` without test data or for a
    model that is neither a classifier nor a regressor.
    """
    pipeline = _built(folder)
    with pipeline:
        name = pipeline.manifest.name
        try:
            pipeline.formatter.format(_outputs(pipeline, sample), pipeline.output_context)
        except ModelyardError as error:
            raise _refused(name, f"it fails on the sample: {error}") from None
        if test is None or pipeline.manifest.signature.task not in ("classification", "regression"):
            return None
        try:
            outputs = _outputs(pipeline, test.X)
        except ModelyardError as error:
            raise ConfigError(
                f"test_data cannot be scored by the pipeline of {name!r}: {error}"
            ) from None
        values = finite_headline(outcomes_of(pipeline, test, outputs))
    return Metrics(dataset_sha256=test.fingerprint.sha256, values=values)


def _outputs(pipeline: Pipeline, rows: Any) -> Arrays:
    """The pipeline's standard outputs for training-style rows (the sample, the test set).

    A tabular encoder reads them as ``evaluate`` does, so packaging runs the very encoder
    that serves. Other encoders take the wire form (images, V2 tensors) while training data is
    the model's input already: those rows go from the runner on, through the same postprocess
    steps.
    """
    if isinstance(pipeline.encoder, TabularEncoder):
        return pipeline.postprocessed_frame(as_frame(rows))
    feeds = to_feeds(pipeline.manifest.signature, rows)
    return pipeline.postprocess(pipeline.infer(feeds))


def _built(folder: Path) -> Pipeline:
    try:
        return Pipeline.from_package(folder)
    except ModelyardError as error:
        raise _refused(None, str(error)) from None


def _refused(name: str | None, why: str) -> ConfigError:
    subject = f"model {name!r}" if name else "the model"
    return ConfigError(f"{subject} cannot be served by its own pipeline, not registered: {why}")
