"""Formatters: standard outputs → one JSON-able prediction per row.

They convert whole arrays with ``tolist()`` once and zip the rows, which is what keeps the
64-row path cheap; they never see the request.
"""

from __future__ import annotations

from typing import Any

from modelyard.pipeline.components import ComponentArgs, NoArgs
from modelyard.pipeline.postprocess import TOP_LABELS, TOP_SCORES
from modelyard.pipeline.types import LABEL, PROBABILITIES, SCORE, VALUE, Arrays, Context


class ClassificationArgs(ComponentArgs):
    """``probabilities``: also return the probability of every class."""

    probabilities: bool = True


class ClassificationFormatter:
    """``{"label", "score", "probabilities": {class: p}, "top": [{"label", "score"}]}``.

    Keys whose outputs the pipeline does not produce are left out.
    """

    def __init__(self, args: ClassificationArgs, context: Context) -> None:
        self._with_probabilities = args.probabilities

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        labels = outputs[LABEL].tolist()
        names = None
        if self._with_probabilities and PROBABILITIES in outputs and context.classes:
            names = [str(c) for c in context.classes]
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


class RegressionFormatter:
    """``{"value": v}`` per row (a list when the model predicts several targets)."""

    def __init__(self, args: NoArgs, context: Context) -> None:
        pass

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        return [{"value": value} for value in outputs[VALUE].tolist()]


class RawFormatter:
    """Every output by name, per row: what the model said, nothing interpreted."""

    def __init__(self, args: NoArgs, context: Context) -> None:
        pass

    def format(self, outputs: Arrays, context: Context) -> list[Any]:
        columns = {name: array.tolist() for name, array in outputs.items()}
        rows = len(next(iter(columns.values()))) if columns else 0
        return [{name: values[i] for name, values in columns.items()} for i in range(rows)]
