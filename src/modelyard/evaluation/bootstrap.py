"""Seeded bootstrap: 95% percentile intervals that say how much a figure could move.

A metric on 143 rows is an estimate; the interval is what a gate on ``lower_bound`` judges.
Rows are resampled with replacement ``n`` times from a ``numpy.random.Generator`` seeded by the
caller, so the same data and seed give the same interval on every machine. Resamples on which a
metric is undefined (a class missing for AUC) are left out of that metric's percentiles.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import sklearn
from joblib import Parallel, delayed
from pydantic import BaseModel

from modelyard.evaluation.metrics import Metric, compute_headline
from modelyard.evaluation.outcomes import Outcomes

CONFIDENCE = 0.95


class Interval(BaseModel):
    """A percentile interval and how many resamples defined it."""

    low: float
    high: float
    resamples: int


CHUNK = 50
"""Resamples per unit of work: large enough to amortise sending the outcomes to a worker,
small enough for the progress bar to move."""

PARALLEL_FROM = 200
"""Below this many resamples a worker pool costs more to start than it saves."""


def _resample_chunk(
    outcomes: Outcomes, metrics: tuple[Metric, ...], indices: np.ndarray
) -> np.ndarray:
    """The metrics on each resample (one row of ``indices`` each), as a matrix."""
    values = np.empty((len(indices), len(metrics)))
    # The inputs were checked once for the point estimate; skip scikit-learn's per-call checks.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        for r, index in enumerate(indices):
            computed = compute_headline(outcomes.take(index), metrics)
            values[r] = [computed[m.name] for m in metrics]
    return values


def bootstrap_intervals(
    outcomes: Outcomes,
    metrics: tuple[Metric, ...],
    *,
    resamples: int,
    seed: int,
    on_resample: Callable[[], None] | None = None,
) -> dict[str, Interval]:
    """The ``CONFIDENCE`` percentile interval of each metric over ``resamples`` resamples.

    Every resample's rows are drawn up front from the seeded generator, so the intervals do
    not depend on how the work is spread: chunks run on every core (scikit-learn's metrics
    are Python-bound, so threads would not help). ``on_resample`` is called once per finished
    resample (a progress bar's ``advance``).
    """
    if resamples <= 0 or outcomes.rows == 0:
        return {}
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, outcomes.rows, (resamples, outcomes.rows))
    chunks = [indices[i : i + CHUNK] for i in range(0, resamples, CHUNK)]
    workers = (os.cpu_count() or 1) if resamples >= PARALLEL_FROM else 1
    results = Parallel(n_jobs=workers, return_as="generator")(
        delayed(_resample_chunk)(outcomes, metrics, chunk) for chunk in chunks
    )
    parts = []
    for part in results:
        parts.append(part)
        if on_resample is not None:
            for _ in range(len(part)):
                on_resample()
    values = np.concatenate(parts)
    tail = (1 - CONFIDENCE) / 2 * 100
    intervals: dict[str, Interval] = {}
    for j, metric in enumerate(metrics):
        column = values[:, j][~np.isnan(values[:, j])]
        if column.size:
            low, high = np.percentile(column, [tail, 100 - tail])
            intervals[metric.name] = Interval(
                low=float(low), high=float(high), resamples=int(column.size)
            )
    return intervals
