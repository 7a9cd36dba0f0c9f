"""The drift report: per feature, per dataset and for the predictions, with its definitions.

Its JSON (``report.model_dump_json()``) is stable: features sorted by name, every key present
in a fixed order (``null`` where a value does not apply), and the rules that decided written
out in ``definitions``, so a reader never needs this code to know what a number means.
"""

from __future__ import annotations

from pydantic import BaseModel

from modelyard.evaluation.drift_stats import (
    CATEGORICAL_UNIQUE,
    DISTANCE_THRESHOLD,
    EMPTY_SHARE,
    HISTOGRAM_UNIQUE,
    P_VALUE_THRESHOLD,
    SMALL_REFERENCE_ROWS,
    STD_FLOOR,
)

DATASET_SHARE = 0.5
"""The dataset drifts when at least this share of the judged features does."""

DEFINITIONS: dict[str, str] = {
    "kind": (
        f"numeric: numbers with more than {CATEGORICAL_UNIQUE} distinct values in the "
        "reference; categorical: everything else (values compared as text)"
    ),
    "choice": (
        f"reference of at most {SMALL_REFERENCE_ROWS} rows: ks for numeric, z for categorical "
        "with at most 2 values over both samples, chisquare otherwise; larger references: "
        f"wasserstein for numeric, jensenshannon otherwise (a numeric feature with at most "
        f"{CATEGORICAL_UNIQUE} distinct values over both samples counts as categorical here), "
        "as Evidently's default test choice"
    ),
    "ks": (
        "two-sample Kolmogorov-Smirnov test, two-sided (scipy.stats.ks_2samp): statistic D, "
        f"drift when p <= {P_VALUE_THRESHOLD}"
    ),
    "wasserstein": (
        "first Wasserstein distance (scipy.stats.wasserstein_distance) divided by the "
        f"reference's population standard deviation, floored at {STD_FLOOR}: drift when >= "
        f"{DISTANCE_THRESHOLD}"
    ),
    "chisquare": (
        "chi-square goodness of fit (scipy.stats.chisquare) of the current counts per value "
        "against the reference counts scaled to the current row count: drift when p < "
        f"{P_VALUE_THRESHOLD}; a value the reference never had gives an infinite statistic "
        "(null in JSON) and p = 0"
    ),
    "z": (
        "two-sided z-test of two proportions (share of values other than the first in sorted "
        f"order, pooled variance, scipy.stats.norm): drift when p < {P_VALUE_THRESHOLD}"
    ),
    "jensenshannon": (
        "Jensen-Shannon distance of the binned shares, natural log "
        f"(scipy.spatial.distance.jensenshannon): drift when >= {DISTANCE_THRESHOLD}"
    ),
    "psi": (
        "Population Stability Index, sum of (ref - cur) * ln(ref / cur) over bin shares, an "
        f"empty share set to {EMPTY_SHARE} (or a millionth of the smallest share when that is "
        f"smaller): drift when >= {DISTANCE_THRESHOLD}; reported beside every feature"
    ),
    "binning": (
        f"a numeric feature whose reference has more than {HISTOGRAM_UNIQUE} distinct values is "
        "cut on numpy's Sturges edges of both samples together; every other feature gets one "
        "bin per distinct value. PSI, Jensen-Shannon and the histograms use these bins"
    ),
    "effect_size": (
        "beside a p-value, how far apart the samples are: the normed Wasserstein distance for "
        "numeric features, the Jensen-Shannon distance for categorical ones"
    ),
    "profile": (
        "a version packaged without a reference sample is compared with its stored profile "
        "(10-bin histogram plus one bin below and one above its range, or the 20 most frequent "
        "categories plus one for the rest): chi-square test of homogeneity "
        "(scipy.stats.chi2_contingency) and PSI on those bins; drift when p < "
        f"{P_VALUE_THRESHOLD} for a profile of at most {SMALL_REFERENCE_ROWS} rows, when PSI >= "
        f"{DISTANCE_THRESHOLD} above"
    ),
    "dataset": (
        f"the dataset drifts when at least {DATASET_SHARE:.0%} of the judged features drift"
    ),
    "min_rows": (
        "a feature with fewer current values than min_rows is not judged (drifted is null)"
    ),
    "missing": "missing values are left out of every statistic",
}


class Histogram(BaseModel):
    """Both samples' shares over the same bins: numeric ``edges`` or named ``bins``."""

    edges: list[float] | None = None
    bins: list[str] | None = None
    reference: list[float]
    current: list[float]


class FeatureDrift(BaseModel):
    """One feature (or the predictions): the statistic that judged it and the verdict.

    ``drifted`` is ``null`` when the feature was not judged; ``note`` then says why.
    """

    name: str
    kind: str
    method: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    effect_size: float | None = None
    effect_method: str | None = None
    psi: float | None = None
    threshold: float | None = None
    drifted: bool | None = None
    rows_reference: int
    rows_current: int
    note: str = ""
    histogram: Histogram | None = None


class DatasetDrift(BaseModel):
    """The share of judged features that drifted, against :data:`DATASET_SHARE`."""

    features: int
    judged: int
    drifted_features: int
    share: float | None
    threshold: float = DATASET_SHARE
    drifted: bool | None


class DriftReport(BaseModel):
    """Drift of current data against a version's reference, feature by feature."""

    reference: str
    """``sample`` (the stored training rows), ``profile`` (older packages) or ``none``."""
    reference_rows: int
    current_rows: int
    min_rows: int
    features: list[FeatureDrift]
    dataset: DatasetDrift
    prediction: FeatureDrift | None = None
    definitions: dict[str, str]
    note: str = ""

    @property
    def drifted(self) -> list[str]:
        """The names of the features that drifted."""
        return [feature.name for feature in self.features if feature.drifted]
