"""Distribution statistics of two samples: which test judges drift, and its verdict.

The one implementation that evaluation and monitoring use. Definitions, binning and defaults
follow Evidently's published ones (``src/evidently/legacy/calculations/stattests/`` of
evidentlyai/evidently: ``registry.py`` ``_get_default_stattest``, ``utils.py``
``get_binned_data``, ``ks_stattest.py``, ``wasserstein_distance_norm.py``,
``chisquare_stattest.py``, ``z_stattest.py``, ``jensenshannon.py``, ``psi.py``):

- numeric reference of at most 1,000 rows: two-sample Kolmogorov-Smirnov, drift when
  p ≤ 0.05; larger: Wasserstein distance divided by the reference's standard deviation
  (population, floored at 0.001), drift when ≥ 0.1;
- categorical (or numeric with at most 5 distinct values over both samples) with a reference of
  at most 1,000 rows: χ² goodness of fit of the current counts against the reference counts
  scaled to the current size (drift when p < 0.05), or for at most two values the two-sided
  z-test of two proportions (p < 0.05); larger: Jensen-Shannon distance (natural log) of the
  binned shares, drift when ≥ 0.1;
- PSI = Σ (ref - cur)·ln(ref / cur) over bin shares, drift when ≥ 0.1, reported beside.

Binning (``get_binned_data``): a numeric sample whose reference has more than 20 distinct values
is cut on the Sturges edges of both samples together; anything else is binned per distinct
value. For PSI an empty share becomes 0.0001, or a millionth of the smallest non-empty share when
that is at most 0.0001; Jensen-Shannon takes the shares as they are.

Every function takes the raw reference and current values (1-D numpy arrays, missing values
already removed) and the statistics come from scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats
from scipy.spatial import distance

Method = Literal["ks", "wasserstein", "chisquare", "z", "jensenshannon", "psi"]
Kind = Literal["numeric", "categorical"]

SMALL_REFERENCE_ROWS = 1000
"""Up to this many reference rows, p-value tests decide; above, distances do."""
CATEGORICAL_UNIQUE = 5
"""A numeric column with at most this many distinct values is treated as categorical."""
BINARY_UNIQUE = 2
HISTOGRAM_UNIQUE = 20
"""A numeric reference with more distinct values than this is binned on Sturges edges."""
P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
STD_FLOOR = 0.001
EMPTY_SHARE = 0.0001

THRESHOLDS: dict[Method, float] = {
    "ks": P_VALUE_THRESHOLD,
    "wasserstein": DISTANCE_THRESHOLD,
    "chisquare": P_VALUE_THRESHOLD,
    "z": P_VALUE_THRESHOLD,
    "jensenshannon": DISTANCE_THRESHOLD,
    "psi": DISTANCE_THRESHOLD,
}


@dataclass(frozen=True)
class StatResult:
    """One statistic of two samples: its value, p-value (tests only), threshold, verdict."""

    method: Method
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class Bins:
    """Both samples' shares over the same bins: ``edges`` (numeric) or ``categories``."""

    reference: np.ndarray
    current: np.ndarray
    edges: np.ndarray | None = None
    categories: np.ndarray | None = None


def feature_kind(reference: np.ndarray) -> Kind:
    """Numeric when the reference is numbers with more than 5 distinct values."""
    numeric = reference.dtype.kind in "iuf"
    return (
        "numeric" if numeric and len(np.unique(reference)) > CATEGORICAL_UNIQUE else "categorical"
    )


def default_method(reference: np.ndarray, current: np.ndarray, kind: Kind) -> Method:
    """Evidently's choice of test for one feature (``_get_default_stattest``)."""
    distinct = len(np.unique(np.concatenate([reference, current])))
    if len(reference) <= SMALL_REFERENCE_ROWS:
        if kind == "numeric" and distinct > CATEGORICAL_UNIQUE:
            return "ks"
        return "chisquare" if distinct > BINARY_UNIQUE else "z"
    if kind == "numeric" and distinct > CATEGORICAL_UNIQUE:
        return "wasserstein"
    return "jensenshannon"


def _below(method: Method, statistic: float, p_value: float) -> StatResult:
    # Evidently's KS flags p <= threshold; chi-square and z flag p < threshold.
    threshold = THRESHOLDS[method]
    drifted = p_value <= threshold if method == "ks" else p_value < threshold
    return StatResult(method, statistic, p_value, threshold, bool(drifted))


def _at_least(method: Method, value: float) -> StatResult:
    threshold = THRESHOLDS[method]
    return StatResult(method, value, None, threshold, bool(value >= threshold))


def ks(reference: np.ndarray, current: np.ndarray) -> StatResult:
    """Two-sample Kolmogorov-Smirnov test (two-sided): the D statistic and its p-value."""
    test = stats.ks_2samp(reference, current)
    return _below("ks", float(test.statistic), float(test.pvalue))


def wasserstein(reference: np.ndarray, current: np.ndarray) -> StatResult:
    """First Wasserstein distance over the reference's std (``np.std``, floored at 0.001)."""
    norm = max(float(np.std(reference)), STD_FLOOR)
    return _at_least("wasserstein", float(stats.wasserstein_distance(reference, current)) / norm)


def _categories(reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    return np.unique(np.concatenate([reference, current]))


def _counts(values: np.ndarray, categories: np.ndarray) -> np.ndarray:
    found, counts = np.unique(values, return_counts=True)
    return np.bincount(np.searchsorted(categories, found), counts, len(categories)).astype(float)


def chi_square(reference: np.ndarray, current: np.ndarray) -> StatResult:
    """χ² goodness of fit: current counts against reference counts scaled to current's size."""
    categories = _categories(reference, current)
    expected = _counts(reference, categories) * (len(current) / len(reference))
    observed = _counts(current, categories)
    with np.errstate(divide="ignore"):  # a value the reference never had: χ² = inf, p = 0
        test = stats.chisquare(observed, expected)
    return _below("chisquare", float(test.statistic), float(test.pvalue))


def z_test(reference: np.ndarray, current: np.ndarray) -> StatResult:
    """Two-sided z-test of two proportions: the share of the first (sorted) value differs."""
    categories = _categories(reference, current)
    if len(categories) == 1:
        return _below("z", 0.0, 1.0)  # one value in both samples: nothing can differ
    p1 = float(np.mean(reference != categories[0]))
    p2 = float(np.mean(current != categories[0]))
    n1, n2 = len(reference), len(current)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return _below("z", float(z), float(2 * (1 - stats.norm.cdf(np.abs(z)))))


def binned(reference: np.ndarray, current: np.ndarray, kind: Kind) -> Bins:
    """Shares of both samples over the same bins, as Evidently's ``get_binned_data``."""
    if kind == "numeric" and len(np.unique(reference)) > HISTOGRAM_UNIQUE:
        edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        return Bins(
            np.histogram(reference, edges)[0] / len(reference),
            np.histogram(current, edges)[0] / len(current),
            edges=edges,
        )
    categories = _categories(reference, current)
    return Bins(
        _counts(reference, categories) / len(reference),
        _counts(current, categories) / len(current),
        categories=categories,
    )


def filled(shares: np.ndarray) -> np.ndarray:
    """Empty shares replaced as Evidently does before a logarithm (see the module text)."""
    present = shares[shares != 0]
    if not len(present):
        return np.full_like(shares, EMPTY_SHARE, dtype=float)
    smallest = float(present.min())
    fill = smallest / 10**6 if smallest <= EMPTY_SHARE else EMPTY_SHARE
    return np.where(shares == 0, fill, shares)


def psi_of_shares(reference: np.ndarray, current: np.ndarray) -> StatResult:
    """PSI of two share vectors over the same bins (empty shares filled, natural log)."""
    ref, cur = filled(reference), filled(current)
    return _at_least("psi", float(np.sum((ref - cur) * np.log(ref / cur))))


def psi(reference: np.ndarray, current: np.ndarray, kind: Kind) -> StatResult:
    """Population Stability Index of two raw samples, binned as :func:`binned`."""
    bins = binned(reference, current, kind)
    return psi_of_shares(bins.reference, bins.current)


def jensen_shannon_of_shares(bins: Bins) -> StatResult:
    """Jensen-Shannon distance (natural log) of two share vectors, empty shares as they are."""
    return _at_least("jensenshannon", float(distance.jensenshannon(bins.reference, bins.current)))


def jensen_shannon(reference: np.ndarray, current: np.ndarray, kind: Kind) -> StatResult:
    """Jensen-Shannon distance (natural log) of the two samples binned as :func:`binned`."""
    return jensen_shannon_of_shares(binned(reference, current, kind))


def judge(
    reference: np.ndarray, current: np.ndarray, kind: Kind, bins: Bins | None = None
) -> StatResult:
    """The default method's result for one feature (see :func:`default_method`).

    ``bins``: the samples already :func:`binned`, reused by Jensen-Shannon.
    """
    method = default_method(reference, current, kind)
    if method == "ks":
        return ks(reference, current)
    if method == "wasserstein":
        return wasserstein(reference, current)
    if method == "chisquare":
        return chi_square(reference, current)
    if method == "z":
        return z_test(reference, current)
    return jensen_shannon_of_shares(bins or binned(reference, current, kind))
