"""Representativeness: the evaluation data against the training profile stored in the package."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.evaluation.representativeness import compare_with_profile, psi
from modelyard.package.profile import profile_data


def test_data_like_the_training_data_differs_only_by_chance(imbalanced):
    report = compare_with_profile(profile_data(imbalanced.X("train")), imbalanced.X("test"))
    assert report.rule == "chi-square p < 0.05"
    # 30 tests at 5%: one or two false alarms are expected, not a wall of red
    assert len(report.differing) <= 3
    assert {f.name for f in report.features} == set(imbalanced.X("train").columns)
    assert all(f.p_value is not None and f.psi is not None for f in report.features)


def test_a_shifted_feature_is_named_with_its_statistic(imbalanced):
    test = imbalanced.X("test")
    test = test.assign(**{"mean radius": test["mean radius"] * 1.5})
    report = compare_with_profile(profile_data(imbalanced.X("train")), test)
    assert "mean radius" in report.differing
    shift = next(f for f in report.features if f.name == "mean radius")
    assert shift.p_value < 0.05
    assert shift.psi >= 0.1


def test_values_beyond_the_training_range_count_in_their_own_bin():
    train = pd.DataFrame({"x": np.linspace(0, 1, 200)})
    current = pd.DataFrame({"x": np.full(50, 5.0)})
    shift = compare_with_profile(profile_data(train), current).features[0]
    assert shift.differs and shift.p_value < 1e-6


def test_categorical_features_compare_top_categories_and_the_rest():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"city": rng.choice(["paris", "lyon", "nice"], 500, p=[0.6, 0.3, 0.1])})
    same = pd.DataFrame({"city": rng.choice(["paris", "lyon", "nice"], 200, p=[0.6, 0.3, 0.1])})
    other = pd.DataFrame({"city": rng.choice(["paris", "lille"], 200, p=[0.2, 0.8])})
    profile = profile_data(train)
    assert compare_with_profile(profile, same).differing == []
    shift = compare_with_profile(profile, other).features[0]
    assert shift.kind == "categorical" and shift.differs


def test_a_missing_column_differs_with_a_note(imbalanced):
    test = imbalanced.X("test").drop(columns=["mean area"])
    report = compare_with_profile(profile_data(imbalanced.X("train")), test)
    shift = next(f for f in report.features if f.name == "mean area")
    assert shift.differs and shift.note == "column absent from the evaluation data"


def test_large_profiles_are_judged_by_psi():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"x": rng.normal(size=5000)})
    current = pd.DataFrame({"x": rng.normal(0.05, 1, size=5000)})  # tiny but "significant" shift
    report = compare_with_profile(profile_data(train), current)
    assert report.rule == "PSI ≥ 0.1"
    assert report.differing == []


def test_psi_of_identical_shares_is_zero_and_grows_with_the_shift():
    ref = np.array([10.0, 20.0, 70.0])
    assert psi(ref, ref * 3) == pytest.approx(0.0)
    assert psi(ref, np.array([70.0, 20.0, 10.0])) > 1.0
