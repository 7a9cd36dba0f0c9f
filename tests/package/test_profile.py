"""The data profile holds the statistics monitoring compares production inputs with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.package.profile import profile_data


def test_numeric_feature_statistics() -> None:
    frame = pd.DataFrame({"x": [float(v) for v in range(1, 101)] + [np.nan] * 25})

    feature = profile_data(frame).features[0]

    assert (feature.count, feature.missing_rate) == (100, 0.2)
    assert feature.numeric is not None and feature.categorical is None
    assert (feature.numeric.min, feature.numeric.max, feature.numeric.mean) == (1.0, 100.0, 50.5)
    assert feature.numeric.std == pytest.approx(np.std(np.arange(1, 101), ddof=1))
    assert feature.numeric.quantiles["p50"] == 50.5
    assert feature.numeric.quantiles["p99"] == pytest.approx(99.01)
    assert list(feature.numeric.quantiles) == ["p01", "p05", "p25", "p50", "p75", "p95", "p99"]
    assert feature.numeric.histogram_counts == [10] * 10
    assert feature.numeric.histogram_edges[0] == 1.0 and len(feature.numeric.histogram_edges) == 11


def test_categorical_feature_keeps_the_top_twenty_shares() -> None:
    values = ["a"] * 50 + ["b"] * 30 + [f"rare{i}" for i in range(20)] + [None] * 10
    frame = pd.DataFrame({"c": pd.Series(values, dtype="category")})

    feature = profile_data(frame).features[0]

    assert feature.numeric is None and feature.categorical is not None
    assert feature.categorical.unique == 22
    assert len(feature.categorical.top) == 20
    assert feature.categorical.top["a"] == 0.5
    assert feature.categorical.top["b"] == 0.3
    assert feature.missing_rate == pytest.approx(10 / 110)


def test_profile_of_training_data_is_stored_per_feature(breast_cancer) -> None:
    profile = profile_data(breast_cancer.X_train)

    assert profile.rows == len(breast_cancer.X_train)
    assert [f.name for f in profile.features] == list(breast_cancer.X_train.columns)
    radius = profile.features[0]
    assert radius.numeric is not None
    assert radius.numeric.max == breast_cancer.X_train["mean radius"].max()


def test_a_single_row_has_zero_spread_not_nan() -> None:
    feature = profile_data(pd.DataFrame({"x": [3.0]})).features[0]

    assert feature.numeric is not None and feature.numeric.std == 0.0


def test_an_all_missing_column_has_no_statistics() -> None:
    feature = profile_data(pd.DataFrame({"x": [np.nan, np.nan]})).features[0]

    assert (feature.count, feature.missing_rate, feature.numeric) == (0, 1.0, None)
