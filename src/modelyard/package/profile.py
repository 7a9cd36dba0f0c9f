"""The data profile: per-feature statistics of the training data.

Monitoring validates inputs and measures drift against it, so it keeps what those need:
quantiles and a 10-bin histogram for numbers, the most frequent values for categories.
Statistics skip missing values; ``missing_rate`` counts them. A column whose training data
had missing values is marked ``missing`` in the signature (:func:`mark_missing`): requests may
leave it ``null`` there, and only there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.core.hashing import as_frame
from modelyard.package.manifest import (
    CategoryProfile,
    DataProfile,
    FeatureProfile,
    NumericProfile,
    Signature,
)

QUANTILES = {
    "p01": 0.01,
    "p05": 0.05,
    "p25": 0.25,
    "p50": 0.50,
    "p75": 0.75,
    "p95": 0.95,
    "p99": 0.99,
}
HISTOGRAM_BINS = 10
_FLOATS = ("float32", "float64")
TOP_CATEGORIES = 20


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def numeric_profile(values: pd.Series) -> NumericProfile:
    """Range, moments, quantiles and a 10-bin histogram of non-missing numbers."""
    array = values.to_numpy(dtype=np.float64)
    counts, edges = np.histogram(array, bins=HISTOGRAM_BINS)
    return NumericProfile(
        min=float(array.min()),
        max=float(array.max()),
        mean=float(array.mean()),
        std=float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        quantiles=dict(
            zip(QUANTILES, np.quantile(array, list(QUANTILES.values())).tolist(), strict=True)
        ),
        histogram_edges=edges.tolist(),
        histogram_counts=counts.tolist(),
    )


def category_profile(values: pd.Series) -> CategoryProfile:
    """The share of each of the 20 most frequent values and the number of distinct ones."""
    shares = values.astype(str).value_counts(normalize=True).head(TOP_CATEGORIES)
    return CategoryProfile(
        top={str(key): float(share) for key, share in shares.items()},
        unique=int(values.nunique()),
    )


def feature_profile(name: str, series: pd.Series) -> FeatureProfile:
    """One feature: dtype, count, missing rate, and numeric or categorical statistics."""
    present = series.dropna()
    numeric = _is_numeric(series)
    return FeatureProfile(
        name=name,
        dtype=str(series.dtype),
        count=len(present),
        missing_rate=float(series.isna().mean()) if len(series) else 0.0,
        numeric=numeric_profile(present) if numeric and len(present) else None,
        categorical=category_profile(present) if not numeric and len(present) else None,
    )


def profile_data(data: Any) -> DataProfile:
    """The profile of every column of ``data`` (a DataFrame or an array)."""
    frame = as_frame(data)
    return DataProfile(
        rows=len(frame),
        features=[feature_profile(str(name), frame[name]) for name in frame.columns],
    )


def mark_missing(signature: Signature, profile: DataProfile) -> Signature:
    """``signature`` with ``missing: true`` on every float column the training data left
    missing (NaN is how a float tensor says "missing"; other dtypes have no such value).

    Only a profile of training data counts (a few sample rows say nothing about what the
    model was trained to accept). Features are matched by name (an unnamed array's columns
    are ``x0``, ``x1``, ... in the profile and the signature alike).
    """
    if profile.source != "train" or not signature.columns:
        return signature
    rates = {feature.name: feature.missing_rate for feature in profile.features}
    columns = [
        column.model_copy(update={"missing": True})
        if column.dtype in _FLOATS and rates.get(column.name, 0.0) > 0
        else column
        for column in signature.columns
    ]
    return signature.model_copy(update={"columns": columns})
