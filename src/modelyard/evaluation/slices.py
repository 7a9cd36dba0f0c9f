"""Metrics per slice: a model good on average can fail one region, one device, one age band.

A column with at most ``MAX_GROUPS`` distinct values is sliced by value; a numeric column with
more is cut into quartiles (``pandas.qcut``), so a continuous column still gives a few readable
groups. Missing values form their own slice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel

from modelyard.core.errors import ConfigError
from modelyard.evaluation.metrics import compute_headline, defined, headline_metrics
from modelyard.evaluation.outcomes import Outcomes

MAX_GROUPS = 20
QUANTILE_BINS = 4


class Slice(BaseModel):
    """The headline metrics on the rows where ``column`` is ``value``."""

    column: str
    value: str
    rows: int
    metrics: dict[str, float | None]


def _groups(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column) and column.nunique() > MAX_GROUPS:
        return pd.qcut(column, QUANTILE_BINS, duplicates="drop").astype(str)
    if column.nunique() > MAX_GROUPS:
        raise ConfigError(
            f"slice column {column.name!r} has {column.nunique()} distinct values; "
            f"slice on a column with at most {MAX_GROUPS}, or a numeric one"
        )
    return column.astype(str)


def slice_metrics(outcomes: Outcomes, data: pd.DataFrame, columns: list[str]) -> list[Slice]:
    """The headline metrics of every group of every column in ``columns``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ConfigError(
            f"slice column(s) not in the data: {', '.join(missing)} "
            f"(columns: {', '.join(map(str, data.columns))})"
        )
    metrics = headline_metrics(outcomes)
    slices: list[Slice] = []
    for name in columns:
        groups = _groups(data[name]).where(data[name].notna(), "(missing)").to_numpy()
        for value in sorted(set(groups.tolist())):
            index = np.flatnonzero(groups == value)
            values = compute_headline(outcomes.take(index), metrics)
            slices.append(
                Slice(column=name, value=value, rows=int(index.size), metrics=defined(values))
            )
    return slices
