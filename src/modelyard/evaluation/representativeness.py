"""Does the evaluation data look like the training data? Per feature, against the stored profile.

The package keeps a profile, not the training rows, so each feature is compared on counts:

- numeric: the evaluation values are binned on the training histogram's own edges, plus one bin
  below its minimum and one above its maximum;
- categorical: the training profile's top categories, plus one bin for every other value (the
  training counts are its shares times its row count).

On those bins: Pearson's chi-square test of homogeneity (``scipy.stats.chi2_contingency`` on
the 2 x bins table, bins empty in both dropped) and the Population Stability Index,
PSI over bin shares, natural log, empty
shares filled as Evidently does (:func:`~modelyard.evaluation.drift_stats.psi_of_shares`, the
one implementation). Following Evidently's defaults, a feature *differs* when the
chi-square p-value is below 0.05 if the training profile holds at most 1,000 rows, and when
PSI ≥ 0.1 above that (with many rows any tiny difference becomes "significant").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy.stats import chi2_contingency

from modelyard.evaluation.drift_stats import (
    DISTANCE_THRESHOLD,
    EMPTY_SHARE,
    P_VALUE_THRESHOLD,
    SMALL_REFERENCE_ROWS,
    psi_of_shares,
)
from modelyard.evaluation.svg import interval_labels
from modelyard.package.manifest import DataProfile, FeatureProfile

PSI_THRESHOLD = DISTANCE_THRESHOLD
OTHER = "(other)"

METHOD = (
    "numeric features binned on the training histogram edges plus one bin below and one above "
    "its range; categorical features on the training top categories plus one bin for the rest. "
    "Chi-square test of homogeneity on the bin counts; PSI = Σ (cur - ref)·ln(cur/ref) over bin "
    f"shares, natural log, an empty share set to {EMPTY_SHARE} (or a millionth of the smallest "
    "share when that is smaller). A feature differs when "
    f"p < {P_VALUE_THRESHOLD} (training profile of at most {SMALL_REFERENCE_ROWS} rows) or "
    f"PSI ≥ {PSI_THRESHOLD} (larger profiles), as Evidently's defaults. Each feature is "
    "tested alone: among many features about 5% differ by chance at p < 0.05."
)


class FeatureShift(BaseModel):
    """How one feature of the evaluation data compares with the training profile."""

    name: str
    kind: str
    statistic: float | None = None
    p_value: float | None = None
    psi: float | None = None
    differs: bool
    missing_train: float
    missing_eval: float | None = None
    note: str = ""


class Representativeness(BaseModel):
    """The per-feature comparison, the rule that decided it, and the features that differ."""

    rule: str
    method: str
    features: list[FeatureShift]

    @property
    def differing(self) -> list[str]:
        return [f.name for f in self.features if f.differs]


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population Stability Index of two count vectors over the same bins (natural log)."""
    return psi_of_shares(reference / reference.sum(), current / current.sum()).statistic


def profile_counts(feature: FeatureProfile, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Training and ``values``' counts over the profile's bins (see the module text)."""
    if feature.numeric is not None:
        return _numeric_counts(feature, values)
    return _categorical_counts(feature, values)


def profile_bin_names(feature: FeatureProfile) -> list[str]:
    """The names of :func:`profile_counts`' bins, in order, for reports."""
    if feature.categorical is not None:
        return [*feature.categorical.top, OTHER]
    assert feature.numeric is not None
    edges = feature.numeric.histogram_edges
    return [f"< {edges[0]:.4g}", *interval_labels(edges), f"> {edges[-1]:.4g}"]


def _numeric_counts(feature: FeatureProfile, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    assert feature.numeric is not None
    edges = np.asarray(feature.numeric.histogram_edges, dtype=np.float64)
    data = values.to_numpy(dtype=np.float64)
    inside, _ = np.histogram(data, bins=edges)
    current = np.concatenate([[np.sum(data < edges[0])], inside, [np.sum(data > edges[-1])]])
    reference = np.concatenate([[0], feature.numeric.histogram_counts, [0]])
    return reference.astype(np.float64), current.astype(np.float64)


def _categorical_counts(
    feature: FeatureProfile, values: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    assert feature.categorical is not None
    top = feature.categorical.top
    rest = max(0.0, 1.0 - sum(top.values()))
    reference = np.array([*top.values(), rest]) * feature.count
    labels = values.astype(str)
    counts = labels.where(labels.isin(list(top)), OTHER).value_counts()
    current = np.array([counts.get(key, 0) for key in [*top, OTHER]], dtype=np.float64)
    return reference, current


def _kind(feature: FeatureProfile) -> str:
    return "numeric" if feature.numeric is not None else "categorical"


def _unmeasured(feature: FeatureProfile, missing_eval: float | None, note: str) -> FeatureShift:
    """A feature that cannot be compared: it counts as differing, with the reason."""
    return FeatureShift(
        name=feature.name,
        kind=_kind(feature),
        differs=True,
        missing_train=feature.missing_rate,
        missing_eval=missing_eval,
        note=note,
    )


def _compare(feature: FeatureProfile, column: pd.Series, by_p_value: bool) -> FeatureShift:
    present = column.dropna()
    missing_eval = float(1 - len(present) / len(column)) if len(column) else None
    if present.empty:
        return _unmeasured(feature, missing_eval, "no values in the evaluation data")
    if feature.numeric is not None and not pd.api.types.is_numeric_dtype(present):
        return _unmeasured(
            feature, missing_eval, f"numeric in training, {present.dtype} in the evaluation data"
        )
    reference, current = profile_counts(feature, present)
    keep = (reference > 0) | (current > 0)
    table = np.vstack([reference[keep], current[keep]])
    if table.shape[1] < 2:
        statistic, p_value = 0.0, 1.0  # one bin in both: nothing can differ
    else:
        test = chi2_contingency(table)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    index = psi(reference, current)
    return FeatureShift(
        name=feature.name,
        kind=_kind(feature),
        statistic=statistic,
        p_value=p_value,
        psi=index,
        differs=p_value < P_VALUE_THRESHOLD if by_p_value else index >= PSI_THRESHOLD,
        missing_train=feature.missing_rate,
        missing_eval=missing_eval,
    )


def compare_with_profile(profile: DataProfile, data: pd.DataFrame) -> Representativeness:
    """Compare every profiled feature of ``data`` with the training profile."""
    by_p_value = profile.rows <= SMALL_REFERENCE_ROWS
    rule = f"chi-square p < {P_VALUE_THRESHOLD}" if by_p_value else f"PSI ≥ {PSI_THRESHOLD}"
    shifts = [
        _compare(feature, data[feature.name], by_p_value)
        if feature.name in data.columns
        else _unmeasured(feature, None, "column absent from the evaluation data")
        for feature in profile.features
        if feature.numeric is not None or feature.categorical is not None
    ]
    return Representativeness(rule=rule, method=METHOD, features=shifts)
