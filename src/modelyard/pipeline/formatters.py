"""Formatters: standard outputs → one JSON-able prediction per row, or the same as columns.

They convert whole arrays with ``tolist()`` once and zip the rows, which is what keeps the
64-row path cheap; they never see the request.

Batch scoring wants the answers of 100,000 rows as columns, where building a dict per row
costs more than the model: the built-in formatters also give :meth:`columns`, the very
values of :meth:`format` laid out as :func:`as_columns` lays them out (a nested object's keys
flattened with a dot, ``probabilities.<class>``), as arrays. A formatter without it (a
plug-in) is laid out by :func:`as_columns` from its rows.

A NaN or an infinity in what they are about to write would leave as ``null`` (or not as JSON
at all) in an answer that looks successful. Every float array they write is therefore checked
first, one ``isfinite`` per array and batch, and a non-finite value raises
:class:`NonFiniteOutputError` naming the output and the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from modelyard.core.errors import PayloadError
from modelyard.pipeline.components import ComponentArgs, NoArgs
from modelyard.pipeline.encoders.payload import pointer, problem
from modelyard.pipeline.postprocess import TOP_LABELS, TOP_SCORES
from modelyard.pipeline.types import LABEL, PROBABILITIES, SCORE, VALUE, Arrays, Context


class NonFiniteOutputError(PayloadError):
    """The model answered NaN or infinity for some rows: an answer that cannot be sent.

    A payload error (422), because the request is what brought it about: inputs are checked
    finite (or missing where training had missing values) before the model runs, so the
    output fails only for inputs the model cannot compute (an overflow on extreme values, a
    missing value that training saw but this model does not absorb). The server's batcher
    retries a failed batch request by request, so the neighbours of such a request are still
    answered.
    """

    def __init__(self, output: str, rows: list[int]) -> None:
        super().__init__(
            [
                problem(
                    pointer("instances", row),
                    "an instance the model answers with finite numbers",
                    f"NaN or infinity in output {output!r}",
                )
                for row in rows
            ]
        )
        shown = ", ".join(str(row) for row in rows[:5]) + (" ..." if len(rows) > 5 else "")
        self.args = (  # the one line shown to the user, in place of the generic payload one
            f"the model's output {output!r} is not a finite number (NaN or infinity) for "
            f"{'instance' if len(rows) == 1 else 'instances'} {shown}: the model cannot "
            "compute an answer for that input",
        )


def require_finite(outputs: Arrays, keys: Iterable[str]) -> None:
    """Raise :class:`NonFiniteOutputError` if a float array under ``keys`` is not all finite."""
    for key in keys:
        array = outputs.get(key)
        if array is None or array.dtype.kind not in "fc" or np.isfinite(array).all():
            continue
        bad = ~np.isfinite(array).reshape(len(array), -1).all(axis=1)
        raise NonFiniteOutputError(key, np.nonzero(bad)[0].tolist())


def as_columns(predictions: list[Any]) -> dict[str, Any]:
    """Predictions (one object per row) as columns: one per key, and one per key of a nested
    object, named ``<key>.<name>`` (``probabilities.<class>``). Values are kept as they are."""
    if not predictions:
        return {}
    columns: dict[str, list[Any]] = {}
    for key, value in predictions[0].items():
        if isinstance(value, dict):
            for name in value:
                columns[f"{key}.{name}"] = [p[key][name] for p in predictions]
        else:
            columns[key] = [p[key] for p in predictions]
    return columns


def _plain(array: np.ndarray) -> np.ndarray:
    """What ``tolist()`` then a DataFrame make of an array: floats as float64, the rest as is."""
    return array.astype(np.float64, copy=False) if array.dtype.kind == "f" else array


_CLASSIFICATION_KEYS = (PROBABILITIES, SCORE, LABEL, TOP_SCORES)


class ClassificationArgs(ComponentArgs):
    """``probabilities``: also return the probability of every class."""

    probabilities: bool = True


class ClassificationFormatter:
    """``{"label", "score", "probabilities": {class: p}, "top": [{"label", "score"}]}``.

    Keys whose outputs the pipeline does not produce are left out.
    """

    def __init__(self, args: ClassificationArgs, context: Context) -> None:
        self._with_probabilities = args.probabilities

    def _class_names(self, outputs: Arrays, context: Context) -> list[str] | None:
        if self._with_probabilities and PROBABILITIES in outputs and context.classes:
            return [str(c) for c in context.classes]
        return None

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        require_finite(outputs, _CLASSIFICATION_KEYS)
        labels = outputs[LABEL].tolist()
        names = self._class_names(outputs, context)
        if (
            names is not None
            and len(names) == 2
            and outputs[PROBABILITIES].shape[1:] == (2,)
            and SCORE in outputs
            and TOP_LABELS not in outputs
        ):
            # Binary classification, built in one pass with dict displays: half the cost of
            # adding the keys row by row and zipping each row's probabilities with the names.
            first, second = names
            rows = zip(
                labels, outputs[SCORE].tolist(), outputs[PROBABILITIES].tolist(), strict=True
            )
            return [
                {"label": label, "score": score, "probabilities": {first: p0, second: p1}}
                for label, score, (p0, p1) in rows
            ]
        result: list[dict[str, Any]] = [{"label": label} for label in labels]
        if SCORE in outputs:
            for row, score in zip(result, outputs[SCORE].tolist(), strict=True):
                row["score"] = score
        if names is not None:
            for row, p in zip(result, outputs[PROBABILITIES].tolist(), strict=True):
                row["probabilities"] = dict(zip(names, p, strict=True))
        if TOP_LABELS in outputs:
            tops = zip(outputs[TOP_LABELS].tolist(), outputs[TOP_SCORES].tolist(), strict=True)
            for row, (top_labels, top_scores) in zip(result, tops, strict=True):
                row["top"] = [
                    {"label": label, "score": score}
                    for label, score in zip(top_labels, top_scores, strict=True)
                ]
        return result

    def columns(self, outputs: Arrays, context: Context) -> dict[str, Any]:
        """:meth:`format`'s answers as columns (``top`` stays one list per row)."""
        require_finite(outputs, _CLASSIFICATION_KEYS)
        columns: dict[str, Any] = {LABEL: _plain(outputs[LABEL])}
        if SCORE in outputs:
            columns[SCORE] = _plain(outputs[SCORE])
        names = self._class_names(outputs, context)
        if names is not None:
            probabilities = _plain(outputs[PROBABILITIES])
            for i, name in enumerate(names):
                columns[f"{PROBABILITIES}.{name}"] = probabilities[:, i]
        if TOP_LABELS in outputs:
            columns["top"] = [row["top"] for row in self.format(outputs, context)]
        return columns


class RegressionFormatter:
    """``{"value": v}`` per row (a list when the model predicts several targets)."""

    def __init__(self, args: NoArgs, context: Context) -> None:
        pass

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        require_finite(outputs, (VALUE,))
        return [{"value": value} for value in outputs[VALUE].tolist()]

    def columns(self, outputs: Arrays, context: Context) -> dict[str, Any]:
        """:meth:`format`'s answers as a column (one list per row for several targets)."""
        require_finite(outputs, (VALUE,))
        values = outputs[VALUE]
        return {VALUE: _plain(values) if values.ndim == 1 else values.tolist()}


class RawFormatter:
    """Every output by name, per row: what the model said, nothing interpreted."""

    def __init__(self, args: NoArgs, context: Context) -> None:
        pass

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        require_finite(outputs, outputs)
        columns = {name: array.tolist() for name, array in outputs.items()}
        rows = len(next(iter(columns.values()))) if columns else 0
        return [{name: values[i] for name, values in columns.items()} for i in range(rows)]
