"""The few distribution functions a rollout's verdict needs, in pure ``math``.

scipy would add about 140 MB to the serving install for four functions, so they are written
here and tested against ``scipy.stats`` to 1e-9 relative. The incomplete beta and gamma
functions follow Press, Teukolsky, Vetterling and Flannery, *Numerical Recipes* (3rd ed.,
2007), sections 6.2 (``gser``/``gcf``) and 6.4 (``betacf``), with the modified Lentz method
for the continued fractions.
"""

from __future__ import annotations

import math

_EPSILON = 1e-15
_TINY = 1e-300
_MAX_TERMS = 100_000  # the fractions need O(sqrt(a)) terms; this covers df in the millions

Z_95 = 1.959963984540054
"""The standard normal's 97.5th percentile: a two-sided 95% interval is ``mean ± Z_95·se``."""


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (real, > 0) degrees of freedom:
    ``I_x(df/2, 1/2)`` at ``x = df / (df + t²)``."""
    square = t * t
    # Both x and 1 - x are computed directly: for a small t and a large df, 1.0 - x
    # would lose the digits the symmetry below needs.
    return _beta_regularized(df / (df + square), square / (df + square), df / 2.0, 0.5)


def t_quantile_95(df: float) -> float:
    """The t such that ``t_two_sided_p(t, df) = 0.05`` (the 95% interval's half-width in
    standard errors), by bisection: the p-value falls as t grows."""
    low, high = 0.0, 1.0
    while t_two_sided_p(high, df) > 0.05:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if t_two_sided_p(middle, df) > 0.05:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square X with ``df`` degrees of freedom: ``Q(df/2, x/2)``."""
    return _gamma_upper_regularized(df / 2.0, x / 2.0) if x > 0 else 1.0


def _beta_regularized(x: float, complement: float, a: float, b: float) -> float:
    """``I_x(a, b)`` (``complement`` is ``1 - x``); the continued fraction converges fast for
    ``x < (a+1)/(a+b+2)``, the symmetry ``I_x(a, b) = 1 - I_{1-x}(b, a)`` covers the rest."""
    if x <= 0.0:
        return 0.0
    if complement <= 0.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _beta_regularized(complement, x, b, a)
    log_front = a * math.log(x) + b * math.log(complement) - _log_beta(a, b)
    return math.exp(log_front) * _beta_fraction(x, a, b) / a


def _log_beta(a: float, b: float) -> float:
    """``log B(a, b)``. With a large argument, ``lgamma(big) - lgamma(big + small)`` is a
    small difference of two large numbers; Stirling's series keeps its digits instead."""
    small, big = sorted((a, b))
    if big < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    ratio = -(big - 0.5) * math.log1p(small / big) - small * math.log(big + small) + small
    return math.lgamma(small) + ratio + _stirling_tail(big) - _stirling_tail(big + small)


def _stirling_tail(x: float) -> float:
    """``lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2)`` for ``x >= 10`` (to ~1e-12)."""
    inverse, square = 1.0 / x, 1.0 / (x * x)
    return inverse * (1 / 12 - square * (1 / 360 - square * (1 / 1260 - square / 1680)))


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of ``I_x(a, b)`` (Numerical Recipes' ``betacf``)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, _MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = c * d
            fraction *= step
        if abs(step - 1.0) < _EPSILON:
            return fraction
    raise ArithmeticError(f"incomplete beta did not converge (x={x}, a={a}, b={b})")


def _gamma_upper_regularized(a: float, x: float) -> float:
    """``Q(a, x) = 1 - P(a, x)``: the series for ``x < a + 1``, the continued fraction
    otherwise (Numerical Recipes' ``gser`` and ``gcf``)."""
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        shape = a
        for _ in range(_MAX_TERMS):
            shape += 1.0
            term *= x / shape
            total += term
            if abs(term) < abs(total) * _EPSILON:
                return 1.0 - total * math.exp(log_front)
        raise ArithmeticError(f"incomplete gamma series did not converge (a={a}, x={x})")
    b = x + 1.0 - a
    c, d = 1.0 / _TINY, 1.0 / b
    fraction = d
    for i in range(1, _MAX_TERMS):
        numerator = -i * (i - a)
        b += 2.0
        d = numerator * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + numerator / c
        c = c if abs(c) > _TINY else _TINY
        step = c * d
        fraction *= step
        if abs(step - 1.0) < _EPSILON:
            return math.exp(log_front) * fraction
    raise ArithmeticError(f"incomplete gamma fraction did not converge (a={a}, x={x})")
