"""The formatters' columnar answers (batch scoring's path) hold exactly what their per-row
answers hold, laid out as columns: same keys, same values, same types once in a DataFrame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from modelyard.package.manifest import Signature
from modelyard.pipeline.components import NoArgs
from modelyard.pipeline.formatters import (
    ClassificationArgs,
    ClassificationFormatter,
    NonFiniteOutputError,
    RegressionFormatter,
    as_columns,
)
from modelyard.pipeline.postprocess import TOP_LABELS, TOP_SCORES
from modelyard.pipeline.types import Context


def _same(formatter: Any, outputs: dict[str, np.ndarray], context: Context) -> None:
    by_rows = pd.DataFrame(as_columns(formatter.format(outputs, context)))
    by_columns = pd.DataFrame(formatter.columns(outputs, context))
    pd.testing.assert_frame_equal(by_columns, by_rows, check_exact=True)


def _context(classes: tuple[Any, ...] | None) -> Context:
    return Context(signature=Signature(inputs=[], outputs=[]), name="m", classes=classes)


probabilities = hnp.arrays(
    np.float32, st.tuples(st.integers(1, 20), st.just(3)), elements=st.floats(0, 1, width=32)
)


@settings(max_examples=50, deadline=None)
@given(probabilities, st.booleans())
def test_classification_columns_equal_the_rows(p: np.ndarray, string_classes: bool) -> None:
    classes: tuple[Any, ...] = ("a", "b", "c") if string_classes else (0, 1, 2)
    labels = np.array(classes, dtype=object if string_classes else np.int64)[p.argmax(axis=1)]
    outputs = {"label": labels, "probabilities": p, "score": p.max(axis=1)}
    _same(
        ClassificationFormatter(ClassificationArgs(), _context(classes)), outputs, _context(classes)
    )


def test_binary_classification_columns_equal_the_rows() -> None:
    p = np.array([[0.2, 0.8], [0.9, 0.1]], dtype=np.float32)
    outputs = {"label": np.array([1, 0]), "probabilities": p, "score": p.max(axis=1)}
    context = _context((0, 1))
    _same(ClassificationFormatter(ClassificationArgs(), context), outputs, context)
    columns = ClassificationFormatter(ClassificationArgs(), context).columns(outputs, context)
    assert list(columns) == ["label", "score", "probabilities.0", "probabilities.1"]
    assert columns["score"].dtype == np.float64  # as a JSON number becomes in a DataFrame


def test_classification_without_probabilities_or_with_top_k() -> None:
    p = np.array([[0.2, 0.5, 0.3]], dtype=np.float32)
    context = _context(("a", "b", "c"))
    outputs = {
        "label": np.array(["b"], dtype=object),
        "probabilities": p,
        "score": np.array([0.5], dtype=np.float32),
        TOP_LABELS: np.array([["b", "c"]], dtype=object),
        TOP_SCORES: np.array([[0.5, 0.3]], dtype=np.float32),
    }
    for args in (ClassificationArgs(probabilities=False), ClassificationArgs()):
        _same(ClassificationFormatter(args, context), outputs, context)


@pytest.mark.parametrize("shape", [(5,), (5, 2)])
def test_regression_columns_equal_the_rows(shape: tuple[int, ...]) -> None:
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7
    context = _context(None)
    _same(RegressionFormatter(NoArgs(), context), {"value": values}, context)


def test_columns_refuse_non_finite_answers_as_the_rows_do() -> None:
    context = _context(None)
    formatter = RegressionFormatter(NoArgs(), context)
    with pytest.raises(NonFiniteOutputError, match="instance 1"):
        formatter.columns({"value": np.array([1.0, np.nan], dtype=np.float32)}, context)
