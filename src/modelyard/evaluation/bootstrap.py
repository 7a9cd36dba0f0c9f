"""Seeded bootstrap: 95% percentile intervals that say how much a figure could move.

A metric on 143 rows is an estimate; the interval is what a gate on ``lower_bound`` judges.
Rows are resampled with replacement ``n`` times from a ``numpy.random.Generator`` seeded by the
caller, so the same data and seed give the same interval on every machine. Resamples on which a
metric is undefined (a class missing for AUC) are left out of that metric's percentiles.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import BaseModel

from modelyard.evaluation.metrics import Metric, compute_headline
from modelyard.evaluation.outcomes import Outcomes

CONFIDENCE = 0.95


class Interval(BaseModel):
    """A percentile interval and how many resamples defined it."""

    low: float
    high: float
    resamples: int


def bootstrap_intervals(
    outcomes: Outcomes,
    metrics: tuple[Metric, ...],
    *,
    resamples: int,
    seed: int,
    on_resample: Callable[[], None] | None = None,
) -> dict[str, Interval]:
    """The ``CONFIDENCE`` percentile interval of each metric over ``resamples`` resamples.

    ``on_resample`` is called after each resample (a progress bar's ``advance``).
    """
    if resamples <= 0 or outcomes.rows == 0:
        return {}
    rng = np.random.default_rng(seed)
    values = np.empty((resamples, len(metrics)))
    for r in range(resamples):
        index = rng.integers(0, outcomes.rows, outcomes.rows)
        computed = compute_headline(outcomes.take(index), metrics)
        values[r] = [computed[m.name] for m in metrics]
        if on_resample is not None:
            on_resample()
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
