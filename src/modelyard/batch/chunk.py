"""Scoring one chunk through a version's pipeline, exactly as the server answers its rows,
and writing its part: what a worker does with each chunk it is given.

The whole chunk goes through the same stages as a request (encoder, the endpoint's
training-profile check, runner, postprocess, formatter) in one runner call. Only when the
chunk holds a row the pipeline refuses is it scored again row by row, each row as a
one-instance request: the good rows are answered as before, and each bad row gets the very
message the server gives for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelyard.batch.output import Output
from modelyard.batch.sources import IMAGE_COLUMN, Chunk
from modelyard.core.errors import ConfigError, PayloadError
from modelyard.pipeline.encoders.image import ImageEncoder
from modelyard.pipeline.formatters import as_columns
from modelyard.pipeline.pipeline import Pipeline

ROW = "row"
ERROR = "error"
MODEL_NAME = "model_name"
MODEL_VERSION = "model_version"


@dataclass
class Scored:
    """A chunk's answers (one row per accepted input row, in order) and its rejected rows."""

    index: int
    rows: int
    results: pd.DataFrame
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Done:
    """A chunk whose part is on disk: what the run needs to record its progress."""

    index: int
    rows: int
    written: int
    rejected: int


class Feed:
    """Which input columns feed the pipeline, and how one row is sent as a request."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.images = isinstance(pipeline.encoder, ImageEncoder)
        columns = pipeline.context.signature.columns
        if self.images:
            self.columns = [IMAGE_COLUMN]
        elif columns:
            self.columns = [column.name for column in columns]
        else:
            raise ConfigError(
                f"model {pipeline.model.name}: batch scoring reads tabular or image models; "
                "this one takes raw tensors"
            )

    def check(self, frame: pd.DataFrame, keep: list[str]) -> None:
        """One line naming what the input lacks: a column of the signature or of ``keep``."""
        missing = [name for name in self.columns if name not in frame.columns]
        if missing:
            raise ConfigError(
                f"the input has no column {', '.join(map(repr, missing))} "
                "(the model's signature needs it)"
            )
        absent = [name for name in keep if name not in frame.columns]
        if absent:
            raise ConfigError(
                f"--keep: the input has no column {', '.join(map(repr, absent))}; "
                f"it has: {', '.join(map(str, frame.columns))}"
            )

    def instances(self, frame: pd.DataFrame) -> list[Any]:
        """Each row as the instance a client would send (records; image bytes)."""
        if self.images:
            return list(frame[IMAGE_COLUMN])
        inputs = frame[self.columns].astype(object)
        return inputs.where(inputs.notna(), None).to_dict("records")


def write_chunk(pipeline: Pipeline, feed: Feed, chunk: Chunk, keep: list[str], out: Output) -> Done:
    """Read, score and write ``chunk``'s part (and its rejects): the whole of a worker's job."""
    scored = score_chunk(pipeline, feed, chunk.index, chunk.first_row, chunk.frame(), keep)
    out.write(scored.index, scored.results, scored.rejects)
    return Done(scored.index, scored.rows, len(scored.results), len(scored.rejects))


def score_chunk(
    pipeline: Pipeline, feed: Feed, index: int, first_row: int, frame: pd.DataFrame, keep: list[str]
) -> Scored:
    """The chunk's predictions as columns beside its ``keep`` columns, plus its rejects."""
    try:
        feeds = pipeline.encoder.encode_frame(frame[feed.columns]).feeds
        if pipeline.profile_guard is not None:  # an endpoint's validation.profile
            pipeline.profile_guard.inspect({"instances": [{}] * len(frame)}, feeds)
        columns = pipeline.finish_columns(pipeline.infer(feeds))
        results = frame[keep].reset_index(drop=True)
        rejects = pd.DataFrame()
    except PayloadError:
        predictions, accepted, rejects = _row_by_row(pipeline, feed, first_row, frame, keep)
        columns = as_columns(predictions)
        results = frame.iloc[accepted][keep].reset_index(drop=True)
    results = pd.concat([results, pd.DataFrame(columns, index=results.index)], axis=1)
    results[MODEL_NAME] = pipeline.model.name
    results[MODEL_VERSION] = pipeline.model.version
    return Scored(index, len(frame), results, rejects)


def _row_by_row(
    pipeline: Pipeline, feed: Feed, first_row: int, frame: pd.DataFrame, keep: list[str]
) -> tuple[list[Any], np.ndarray, pd.DataFrame]:
    """The error path: each row answered alone, as a one-instance request would be."""
    predictions: list[Any] = []
    accepted: list[int] = []
    failed: list[int] = []
    messages: list[str] = []
    for i, instance in enumerate(feed.instances(frame)):
        try:
            predictions += pipeline.predict({"instances": [instance]})["predictions"]
            accepted.append(i)
        except PayloadError as error:
            failed.append(i)
            messages.append(str(error))
    rejects = frame.iloc[failed][keep].reset_index(drop=True)
    rejects.insert(0, ROW, [first_row + i for i in failed])
    rejects[ERROR] = messages
    return predictions, np.array(accepted, dtype=np.int64), rejects
