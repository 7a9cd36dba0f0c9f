"""The drift statistics equal scipy's on the same raw data, with Evidently's choices.

The reference is the one a package stores (its ``reference.parquet``), read back through
:func:`load_reference`: what is measured in production is what is compared with scipy here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from drift_packages import classifier_package
from scipy import stats
from scipy.spatial import distance

from modelyard.evaluation import drift_stats
from modelyard.monitoring.reference import Reference, column_values, load_reference

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def stored(breast_cancer, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The reference a breast-cancer package stores (426 rows: KS and chi-square)."""
    folder = tmp_path_factory.mktemp("bc") / "pkg"
    return load_reference(classifier_package(folder, breast_cancer.X_train, breast_cancer.y_train))


def _shifted(breast_cancer, column: str) -> np.ndarray:
    values = breast_cancer.X_test[column].to_numpy()
    return values + 0.3 * values.std()


def test_stored_reference_is_the_training_data(stored: Reference, breast_cancer) -> None:
    assert stored.frame is not None
    pd.testing.assert_frame_equal(stored.frame, breast_cancer.X_train.reset_index(drop=True))


def test_ks_equals_scipy_ks_2samp(stored: Reference, breast_cancer) -> None:
    assert stored.frame is not None
    reference = stored.frame["mean radius"].to_numpy()
    current = _shifted(breast_cancer, "mean radius")

    result = drift_stats.ks(reference, current)

    expected = stats.ks_2samp(reference, current)
    assert result.statistic == pytest.approx(expected.statistic, abs=TOLERANCE)
    assert result.p_value == pytest.approx(expected.pvalue, abs=TOLERANCE)
    assert result.drifted == bool(expected.pvalue <= 0.05)


def test_wasserstein_equals_scipy_over_reference_std(stored: Reference, breast_cancer) -> None:
    assert stored.frame is not None
    reference = stored.frame["mean texture"].to_numpy()
    current = _shifted(breast_cancer, "mean texture")

    result = drift_stats.wasserstein(reference, current)

    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert result.statistic == pytest.approx(expected, abs=TOLERANCE)
    assert (result.p_value, result.threshold, result.drifted) == (None, 0.1, bool(expected >= 0.1))


def test_wasserstein_of_a_constant_reference_divides_by_the_floor() -> None:
    result = drift_stats.wasserstein(np.zeros(50), np.full(50, 0.01))

    assert result.statistic == pytest.approx(0.01 / 0.001, abs=TOLERANCE)


def test_chi_square_equals_scipy_chisquare_on_scaled_reference_counts(
    stored: Reference, breast_cancer
) -> None:
    assert stored.frame is not None
    # whole millimetres of mean radius, clipped to 10..20: eleven categories in both samples
    ref = column_values(stored.frame["mean radius"].clip(10, 20).round(), "categorical")
    cur = column_values(breast_cancer.X_test["mean radius"].clip(10, 20).round(), "categorical")

    result = drift_stats.chi_square(ref, cur)

    values = np.union1d(ref, cur)
    ref_counts = np.array([np.sum(ref == v) for v in values], dtype=float)
    cur_counts = np.array([np.sum(cur == v) for v in values], dtype=float)
    expected = stats.chisquare(cur_counts, ref_counts * len(cur) / len(ref))
    assert len(values) == 11
    assert result.statistic == pytest.approx(expected.statistic, abs=TOLERANCE)
    assert result.p_value == pytest.approx(expected.pvalue, abs=TOLERANCE)


def test_chi_square_of_a_value_unseen_in_the_reference_drifts() -> None:
    reference = np.array(["a"] * 50 + ["b"] * 50, dtype=object)
    current = np.array(["a"] * 50 + ["b"] * 49 + ["c"], dtype=object)

    result = drift_stats.chi_square(reference, current)

    assert (result.statistic, result.p_value, result.drifted) == (np.inf, 0.0, True)


def test_jensen_shannon_equals_scipy_on_sturges_bins_natural_log(
    stored: Reference, breast_cancer
) -> None:
    assert stored.frame is not None
    reference = stored.frame["worst area"].to_numpy()
    current = _shifted(breast_cancer, "worst area")

    result = drift_stats.jensen_shannon(reference, current, "numeric")

    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
    ref_shares = np.histogram(reference, edges)[0] / len(reference)
    cur_shares = np.histogram(current, edges)[0] / len(current)
    expected = distance.jensenshannon(ref_shares, cur_shares)  # base e
    assert result.statistic == pytest.approx(expected, abs=TOLERANCE)
    assert result.drifted == bool(expected >= 0.1)


def test_jensen_shannon_of_categories_uses_one_bin_per_value() -> None:
    reference = np.array(["a"] * 60 + ["b"] * 40, dtype=object)
    current = np.array(["a"] * 20 + ["b"] * 50 + ["c"] * 30, dtype=object)

    result = drift_stats.jensen_shannon(reference, current, "categorical")

    expected = distance.jensenshannon([0.6, 0.4, 0.0], [0.2, 0.5, 0.3])
    assert result.statistic == pytest.approx(expected, abs=TOLERANCE)


def test_psi_fills_empty_shares_as_evidently() -> None:
    reference = np.array(["a"] * 60 + ["b"] * 40, dtype=object)
    current = np.array(["a"] * 20 + ["b"] * 50 + ["c"] * 30, dtype=object)

    result = drift_stats.psi(reference, current, "categorical")

    ref, cur = np.array([0.6, 0.4, 0.0001]), np.array([0.2, 0.5, 0.3])
    assert result.statistic == pytest.approx(np.sum((ref - cur) * np.log(ref / cur)), abs=1e-12)
    assert result.statistic == pytest.approx(2.8628689, abs=1e-6)  # stored value
    assert result.drifted is True


def test_psi_fill_is_a_millionth_of_a_tiny_smallest_share() -> None:
    shares = np.array([0.99995, 0.00005, 0.0])

    assert drift_stats.filled(shares).tolist() == [0.99995, 0.00005, 0.00005 / 10**6]


def test_z_test_equals_the_pooled_two_proportion_test() -> None:
    reference = np.array(["f"] * 300 + ["m"] * 300, dtype=object)
    current = np.array(["f"] * 260 + ["m"] * 340, dtype=object)

    result = drift_stats.z_test(reference, current)

    p1, p2, pooled = 0.5, 340 / 600, 640 / 1200
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (2 / 600))
    assert result.statistic == pytest.approx(z, abs=TOLERANCE)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), abs=TOLERANCE)
    assert result.drifted is True


def test_z_test_of_one_value_in_both_samples_does_not_drift() -> None:
    result = drift_stats.z_test(np.array(["a"] * 10), np.array(["a"] * 20))

    assert (result.p_value, result.drifted) == (1.0, False)


@pytest.mark.parametrize(
    ("reference_rows", "distinct", "kind", "method"),
    [
        (1000, 50, "numeric", "ks"),
        (1001, 50, "numeric", "wasserstein"),
        (1000, 3, "categorical", "chisquare"),
        (1000, 2, "categorical", "z"),
        (1001, 2, "categorical", "jensenshannon"),
        (1001, 30, "categorical", "jensenshannon"),
        (1000, 5, "numeric", "chisquare"),
        (1001, 5, "numeric", "jensenshannon"),
    ],
)
def test_method_follows_evidentlys_default_choice(
    reference_rows: int, distinct: int, kind: drift_stats.Kind, method: str
) -> None:
    reference = np.arange(reference_rows, dtype=float) % distinct
    current = np.arange(200, dtype=float) % distinct

    assert drift_stats.default_method(reference, current, kind) == method


def test_numbers_with_at_most_five_values_are_categorical() -> None:
    assert drift_stats.feature_kind(np.array([0.0, 1.0, 2.0, 3.0, 4.0] * 10)) == "categorical"
    assert drift_stats.feature_kind(np.arange(6, dtype=float)) == "numeric"
    assert drift_stats.feature_kind(np.array(["a", "b", "c", "d", "e", "f"])) == "categorical"
