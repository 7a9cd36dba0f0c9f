"""The hand-written distribution functions agree with scipy.stats to 1e-9 relative."""

from __future__ import annotations

import pytest
from scipy import stats

from modelyard.routing.stats import Z_95, chi2_sf, normal_sf, t_quantile_95, t_two_sided_p

RELATIVE = 1e-9


def test_normal_survival_matches_scipy() -> None:
    for z in (-6.0, -1.0, 0.0, 0.5, 1.96, 3.0, 8.0, 20.0, 37.0):
        assert normal_sf(z) == pytest.approx(stats.norm.sf(z), rel=RELATIVE), z


def test_the_95_percent_normal_quantile_matches_scipy() -> None:
    assert pytest.approx(stats.norm.ppf(0.975), rel=1e-15) == Z_95


@pytest.mark.parametrize("df", [0.5, 1.0, 1.5, 2.0, 3.0, 7.3, 29.9, 100.0, 1234.5, 1e5, 1e6])
def test_student_t_two_sided_p_matches_scipy(df: float) -> None:
    for t in (0.0, 0.01, 0.5, 1.0, -1.96, 2.5, 4.0, 10.0, 50.0, 300.0):
        expected = 2 * stats.t.sf(abs(t), df)
        assert t_two_sided_p(t, df) == pytest.approx(expected, rel=RELATIVE), (df, t)


@pytest.mark.parametrize("df", [1.0, 2.0, 3.0, 5.0, 9.5, 30.0, 100.0, 1000.0, 1e5])
def test_the_95_percent_t_quantile_matches_scipy(df: float) -> None:
    assert t_quantile_95(df) == pytest.approx(stats.t.ppf(0.975, df), rel=RELATIVE)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 10, 30, 99, 500, 5000])
def test_chi_square_survival_matches_scipy(df: int) -> None:
    for x in (0.0, 0.001, 0.1, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 500.0, 1000.0, 6000.0):
        assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=RELATIVE), (df, x)


def test_an_input_the_fractions_cannot_settle_on_is_an_error_not_a_number() -> None:
    with pytest.raises(ArithmeticError) as error:
        chi2_sf(float("inf"), 3)
    assert str(error.value) == "incomplete gamma fraction did not converge (a=1.5, x=inf)"
