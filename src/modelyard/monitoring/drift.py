"""Drift of current data (logged inputs or a file) against a version's reference.

Each feature is judged by Evidently's default test for its kind and the reference's size
(:mod:`modelyard.evaluation.drift_stats`), with PSI and an effect size beside it; the dataset
drifts when at least half of the judged features do. A version packaged before reference
samples were kept is compared with its profile instead, and each feature says which
statistics could not be computed and why. Below ``min_rows`` current values a feature is
not judged at all: a handful of requests says nothing about a distribution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelyard.evaluation.drift_stats import (
    DISTANCE_THRESHOLD,
    P_VALUE_THRESHOLD,
    Bins,
    Kind,
    binned,
    feature_kind,
    jensen_shannon_of_shares,
    judge,
    psi_of_shares,
    wasserstein,
)
from modelyard.evaluation.representativeness import (
    FeatureShift,
    compare_with_profile,
    profile_bin_names,
    profile_counts,
)
from modelyard.monitoring.drift_report import (
    DATASET_SHARE,
    DEFINITIONS,
    DatasetDrift,
    DriftReport,
    FeatureDrift,
    Histogram,
)
from modelyard.monitoring.reference import Reference, column_values
from modelyard.package.manifest import DataProfile, FeatureProfile
from modelyard.pipeline.pipeline import Pipeline

MIN_ROWS = 100
NO_REFERENCE = (
    "nothing judged: this version keeps neither a reference sample nor a profile of training "
    "data (it was packaged without train_data)"
)

_NEEDS_ROWS = {
    "numeric": "ks and wasserstein need the training values",
    "categorical": "chisquare, z and jensenshannon need every training value's count",
}


def _not_judged(current_values: int, min_rows: int) -> str:
    return f"not judged: {current_values} current values, fewer than min_rows={min_rows}"


def _histogram(bins: Bins) -> Histogram:
    if bins.edges is not None:
        return Histogram(
            edges=bins.edges.tolist(),
            reference=bins.reference.tolist(),
            current=bins.current.tolist(),
        )
    assert bins.categories is not None
    return Histogram(
        bins=[str(value) for value in bins.categories.tolist()],
        reference=bins.reference.tolist(),
        current=bins.current.tolist(),
    )


def _effect(
    reference: np.ndarray, current: np.ndarray, method: str, bins: Bins
) -> tuple[float | None, str | None]:
    """The distance beside a p-value test (a distance method is its own effect size)."""
    if method == "ks":
        return wasserstein(reference, current).statistic, "wasserstein"
    if method in ("chisquare", "z"):
        return jensen_shannon_of_shares(bins).statistic, "jensenshannon"
    return None, None


def sample_feature(
    name: str, kind: Kind, reference: np.ndarray, current: np.ndarray, min_rows: int
) -> FeatureDrift:
    """One feature's drift from the raw reference and current values (missing removed)."""
    base = FeatureDrift(
        name=name, kind=kind, rows_reference=len(reference), rows_current=len(current)
    )
    if not len(reference) or not len(current):
        where = "reference" if not len(reference) else "current data"
        return base.model_copy(update={"note": f"not judged: no values in the {where}"})
    bins = binned(reference, current, kind)
    base.histogram = _histogram(bins)
    if len(current) < min_rows:
        return base.model_copy(update={"note": _not_judged(len(current), min_rows)})
    result = judge(reference, current, kind, bins)
    effect, effect_method = _effect(reference, current, result.method, bins)
    return base.model_copy(
        update={
            "method": result.method,
            "statistic": result.statistic,
            "p_value": result.p_value,
            "effect_size": effect,
            "effect_method": effect_method,
            "psi": psi_of_shares(bins.reference, bins.current).statistic,
            "threshold": result.threshold,
            "drifted": result.drifted,
        }
    )


def _sample_features(
    reference: pd.DataFrame, kinds: dict[str, Kind], current: pd.DataFrame, min_rows: int
) -> list[FeatureDrift]:
    features = []
    for name, kind in kinds.items():
        rows = len(reference[name].dropna())
        if name not in current.columns:
            features.append(
                FeatureDrift(
                    name=name,
                    kind=kind,
                    rows_reference=rows,
                    rows_current=0,
                    note="not judged: column absent from the current data",
                )
            )
            continue
        column = current[name]
        if kind == "numeric" and not pd.api.types.is_numeric_dtype(column.dropna()):
            features.append(
                FeatureDrift(
                    name=name,
                    kind=kind,
                    rows_reference=rows,
                    rows_current=int(column.notna().sum()),
                    note="not judged: numeric in the reference, not numbers in the current data",
                )
            )
            continue
        ref_values = column_values(reference[name], kind)
        features.append(
            sample_feature(name, kind, ref_values, column_values(column, kind), min_rows)
        )
    return features


def _profile_histogram(feature: FeatureProfile, column: pd.Series) -> Histogram | None:
    present = column.dropna()
    if present.empty or (
        feature.numeric is not None and not pd.api.types.is_numeric_dtype(present)
    ):
        return None
    reference, current = profile_counts(feature, present)
    return Histogram(
        bins=profile_bin_names(feature),
        reference=(reference / reference.sum()).tolist(),
        current=(current / current.sum()).tolist(),
    )


def _from_profile(
    feature: FeatureProfile,
    shift: FeatureShift,
    column: pd.Series | None,
    by_p_value: bool,
    min_rows: int,
) -> FeatureDrift:
    kind: Kind = "numeric" if feature.numeric is not None else "categorical"
    rows = int(column.notna().sum()) if column is not None else 0
    reason = (
        f"no reference sample in this version: {_NEEDS_ROWS[kind]}; judged on the profile's bins"
    )
    base = FeatureDrift(
        name=feature.name,
        kind=kind,
        rows_reference=feature.count,
        rows_current=rows,
        histogram=_profile_histogram(feature, column) if column is not None else None,
    )
    if shift.note:
        return base.model_copy(update={"note": f"{reason}; not judged: {shift.note}"})
    if rows < min_rows:
        return base.model_copy(update={"note": f"{reason}; {_not_judged(rows, min_rows)}"})
    method = "profile_chisquare" if by_p_value else "psi"
    return base.model_copy(
        update={
            "method": method,
            "statistic": shift.statistic if by_p_value else shift.psi,
            "p_value": shift.p_value if by_p_value else None,
            "psi": shift.psi,
            "threshold": P_VALUE_THRESHOLD if by_p_value else DISTANCE_THRESHOLD,
            "drifted": shift.differs,
            "note": reason,
        }
    )


def _profile_features(
    profile: DataProfile, current: pd.DataFrame, min_rows: int
) -> list[FeatureDrift]:
    compared = compare_with_profile(profile, current)
    by_p_value = compared.rule.startswith("chi-square")
    shifts = {shift.name: shift for shift in compared.features}
    return [
        _from_profile(
            feature, shifts[feature.name], current.get(feature.name), by_p_value, min_rows
        )
        for feature in profile.features
        if feature.name in shifts
    ]


def _dataset(features: list[FeatureDrift]) -> DatasetDrift:
    judged = [feature for feature in features if feature.drifted is not None]
    drifted = sum(bool(feature.drifted) for feature in judged)
    share = drifted / len(judged) if judged else None
    return DatasetDrift(
        features=len(features),
        judged=len(judged),
        drifted_features=drifted,
        share=share,
        drifted=share >= DATASET_SHARE if share is not None else None,
    )


def _prediction(predictions: tuple[pd.Series, pd.Series], min_rows: int) -> FeatureDrift:
    reference, current = predictions
    name = str(reference.name or "prediction")
    kind: Kind = (
        "categorical"
        if name == "label"
        else feature_kind(reference.dropna().to_numpy(dtype=np.float64))
    )
    return sample_feature(
        name, kind, column_values(reference, kind), column_values(current, kind), min_rows
    )


def measure_drift(
    reference: Reference | pd.DataFrame,
    current: pd.DataFrame,
    *,
    min_rows: int = MIN_ROWS,
    predictions: tuple[pd.Series, pd.Series] | None = None,
) -> DriftReport:
    """Drift of ``current`` (columns named as the features) against ``reference``.

    ``reference``: a version's :class:`Reference` (see :func:`.reference.load_reference`) or
    a DataFrame of reference rows. ``predictions``: the reference rows' predictions (see
    :func:`reference_predictions`) and the current ones, as Series named ``label`` (compared
    as categories) or ``value``.
    """
    if isinstance(reference, pd.DataFrame):
        reference = Reference.of_frame(reference)
    note = ""
    if reference.frame is not None:
        features = _sample_features(reference.frame, reference.kinds, current, min_rows)
        source, rows = "sample", len(reference.frame)
    elif reference.profile is not None:
        features = _profile_features(reference.profile, current, min_rows)
        source, rows = "profile", reference.profile.rows
    else:
        features, source, rows = [], "none", 0
        note = NO_REFERENCE
    features.sort(key=lambda feature: feature.name)
    return DriftReport(
        reference=source,
        reference_rows=rows,
        current_rows=len(current),
        min_rows=min_rows,
        features=features,
        dataset=_dataset(features),
        prediction=_prediction(predictions, min_rows) if predictions is not None else None,
        definitions=DEFINITIONS,
        note=note,
    )


def reference_predictions(pipeline: Pipeline, reference_frame: pd.DataFrame) -> pd.Series:
    """The version's answers for the reference rows, as the server gives them: ``label`` for
    a classifier, ``value`` for a regressor (same encoder, runner, postprocess, formatter)."""
    feeds = pipeline.encoder.encode_frame(reference_frame).feeds
    answers = pipeline.finish_columns(pipeline.infer(feeds))
    key = "label" if "label" in answers else "value"
    return pd.Series(answers[key], name=key)
