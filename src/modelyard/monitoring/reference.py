"""What a model version compares live inputs with: its reference sample, or its profile.

A package written with training data keeps a seeded sample of its training rows
(:mod:`modelyard.package.reference`); it is read here only after every package file has
matched its recorded sha256. An older package has only the profile (10-bin histograms, top
categories): drift then falls back to what those allow (see :mod:`.drift`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from modelyard.core.extras import missing_extra
from modelyard.evaluation.drift_stats import Kind, feature_kind
from modelyard.package.io import verify_package
from modelyard.package.manifest import DataProfile, Manifest


@dataclass(frozen=True)
class Reference:
    """A version's reference: its sample of training rows (``None`` for older packages),
    its profile, and each feature's kind (Evidently's rule: numbers with more than 5
    distinct values in the reference are numeric, everything else categorical)."""

    frame: pd.DataFrame | None
    profile: DataProfile | None
    kinds: dict[str, Kind]

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> Reference:
        """A reference made of the rows of ``frame`` (no profile)."""
        return cls(frame, None, frame_kinds(frame))


def column_values(column: pd.Series, kind: Kind) -> np.ndarray:
    """A column's non-missing values as the statistics take them.

    Categories are text, except numbers with few values: those are compared as numbers at
    float32 precision, because the log holds what the encoder fed the model (a float32 tensor
    for most models: ``1.0``, ``0.10000000149``) while the reference keeps the training
    dtype (``1``, ``0.1``). As text they would never match, and every such feature would
    drift.
    """
    present = column.dropna()
    if kind == "categorical":
        if is_numeric_dtype(present.dtype) and not is_bool_dtype(present.dtype):
            return present.to_numpy(dtype=np.float32).astype(np.float64)
        return present.astype(str).to_numpy(dtype=object)
    return present.to_numpy(dtype=np.float64)


def frame_kinds(frame: pd.DataFrame) -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for name in frame.columns:
        present = frame[name].dropna()
        numeric = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
        kinds[str(name)] = (
            feature_kind(present.to_numpy(dtype=np.float64)) if numeric else "categorical"
        )
    return kinds


def _kinds_of_profile(profile: DataProfile) -> dict[str, Kind]:
    # Without rows the distinct count of a number is unknown: its histogram decides nothing.
    return {
        feature.name: "numeric" if feature.numeric is not None else "categorical"
        for feature in profile.features
        if feature.numeric is not None or feature.categorical is not None
    }


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError as error:
        raise missing_extra(error, "reading the reference sample") from None
    return pq.read_table(path).to_pandas()


def reference_of(folder: Path, manifest: Manifest) -> Reference:
    """The reference of a package whose files were already verified."""
    if manifest.reference is None:
        profile = (
            manifest.profile if manifest.profile and manifest.profile.source == "train" else None
        )
        return Reference(None, profile, _kinds_of_profile(profile) if profile else {})
    frame = _read_parquet(folder / manifest.reference.file)
    return Reference(frame, manifest.profile, frame_kinds(frame))


def load_reference(directory: str | Path, expected_digest: str | None = None) -> Reference:
    """The reference of a package folder, after checking every file against its sha256."""
    folder = Path(directory)
    return reference_of(folder, verify_package(folder, expected_digest))
