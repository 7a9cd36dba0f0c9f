"""What a scikit-learn model is: its task, its classes, and how it wants its columns fed."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from modelyard.core.errors import ConfigError, UnsupportedModelError
from modelyard.package.manifest import ColumnSpec, Task
from modelyard.package.signature import is_numeric


def is_estimator(model: Any) -> bool:
    """Whether ``model`` is a scikit-learn estimator (or Pipeline)."""
    return isinstance(model, BaseEstimator)


def task_of(model: Any) -> Task:
    """``classification`` or ``regression`` for a fitted estimator; anything else is refused."""
    if not is_estimator(model):
        raise UnsupportedModelError(
            f"cannot package a {type(model).__name__} in this format: expected a fitted "
            "scikit-learn classifier or regressor"
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise UnsupportedModelError(
            f"{type(model).__name__} is not fitted: expected a fitted estimator (call fit first)"
        ) from None
    if is_classifier(model):
        return "classification"
    if is_regressor(model):
        return "regression"
    raise UnsupportedModelError(
        f"{type(model).__name__} is neither a classifier nor a regressor: expected one of them"
    )


def final_step(model: Any) -> Any:
    """The estimator that makes the prediction, inside any Pipeline nesting."""
    while isinstance(model, Pipeline):
        model = model.steps[-1][1]
    return model


def feeds_per_column(model: Any, columns: list[ColumnSpec]) -> bool:
    """Whether the model needs one input per column rather than one stacked float tensor.

    Mixed types cannot share a tensor, and a ColumnTransformer selects its columns by name,
    which skl2onnx resolves against input names.
    """
    if any(not is_numeric(column) for column in columns):
        return True
    nested = [model, *model.get_params(deep=True).values()]
    return bool(columns) and any(isinstance(step, ColumnTransformer) for step in nested)


def fit_order(model: Any, sample: Any) -> Any:
    """The sample's columns in the order the estimator was fitted on, extra ones dropped.

    A stacked input tensor is positional, so a sample in another order would silently feed
    the wrong features; a target column left in the sample is dropped the same way.
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None or not isinstance(sample, pd.DataFrame):
        return sample
    missing = [str(name) for name in names if name not in sample.columns]
    if missing:
        raise ConfigError(
            f"sample has no column(s) {', '.join(missing)}: expected the features "
            f"{type(model).__name__} was fitted on"
        )
    return sample[list(names)]
