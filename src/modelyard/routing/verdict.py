"""What the rewards say so far: each arm's mean with a 95% interval, and an A/B verdict.

Rewards are in [0, 1], and an arm keeps only their count, sum and sum of squares, which
is all a mean, a variance and these tests need. Rewards that are all 0 or 1 (labels, clicks)
are recognised from those sums alone: ``r² = r`` only for 0 and 1, so the sums of rewards
and of their squares are equal exactly when every reward is 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from modelyard.registry.rollout_types import ArmCounters, ArmState
from modelyard.routing.stats import Z_95, chi2_sf, normal_sf, t_quantile_95, t_two_sided_p

SRM_THRESHOLD = 0.001
"""A sample-ratio mismatch is flagged below this p-value (a broken split, not chance)."""


def _is_binary(c: ArmCounters) -> bool:
    return c.reward_sumsq == c.reward_sum


def _variance(c: ArmCounters) -> float | None:
    """The sample variance of the rewards (``None`` below two rewards)."""
    if c.rewards < 2:
        return None
    return max(0.0, (c.reward_sumsq - c.reward_sum**2 / c.rewards) / (c.rewards - 1))


def reward_summary(c: ArmCounters) -> tuple[float, tuple[float, float]] | None:
    """The mean reward and its 95% interval; ``None`` without rewards.

    0/1 rewards get Wilson's score interval (sound at 0%, 100% and small counts); other
    rewards get ``mean ± t·se``, clipped to [0, 1] where rewards live, or [0, 1] itself
    while a single reward gives no spread.
    """
    mean = c.reward_mean
    if mean is None:
        return None
    n = c.rewards
    if _is_binary(c):
        z2 = Z_95 * Z_95
        centre = (mean + z2 / (2 * n)) / (1 + z2 / n)
        half = Z_95 / (1 + z2 / n) * math.sqrt(mean * (1 - mean) / n + z2 / (4 * n * n))
        # at 0% or 100% one bound is the mean itself, which rounding may put a hair inside
        return mean, (min(mean, max(0.0, centre - half)), max(mean, min(1.0, centre + half)))
    variance = _variance(c)
    if variance is None:
        return mean, (0.0, 1.0)
    half = t_quantile_95(n - 1) * math.sqrt(variance / n)
    return mean, (max(0.0, mean - half), min(1.0, mean + half))


def _two_proportion_z(control: ArmCounters, other: ArmCounters) -> float | None:
    """The two-sided p-value of a pooled two-proportion z-test; ``None`` without spread."""
    pooled = (control.reward_sum + other.reward_sum) / (control.rewards + other.rewards)
    se = math.sqrt(pooled * (1 - pooled) * (1 / control.rewards + 1 / other.rewards))
    if se == 0:
        return None
    z = (other.reward_sum / other.rewards - control.reward_sum / control.rewards) / se
    return 2 * normal_sf(abs(z))


def _welch_t(control: ArmCounters, other: ArmCounters) -> float | None:
    """The two-sided p-value of Welch's t-test; ``None`` below two rewards or without spread."""
    v1, v2 = _variance(control), _variance(other)
    if v1 is None or v2 is None:
        return None
    s1, s2 = v1 / control.rewards, v2 / other.rewards
    if s1 + s2 == 0:
        return None
    t = (other.reward_sum / other.rewards - control.reward_sum / control.rewards) / math.sqrt(
        s1 + s2
    )
    df = (s1 + s2) ** 2 / (s1**2 / (control.rewards - 1) + s2**2 / (other.rewards - 1))
    return t_two_sided_p(t, df)


def _comparison(control: ArmState, other: ArmState, notes: list[str]) -> dict[str, Any]:
    c, o = control.total, other.total
    binary = _is_binary(c) and _is_binary(o)
    test = "two-proportion z" if binary else "welch t"
    result: dict[str, Any] = {
        "variant": other.name,
        "difference": None,
        "p_value": None,
        "test": test,
    }
    if not (c.rewards and o.rewards):
        notes.append(f"{other.name} vs {control.name}: both need rewards to be compared")
        return result
    result["difference"] = o.reward_sum / o.rewards - c.reward_sum / c.rewards
    result["p_value"] = _two_proportion_z(c, o) if binary else _welch_t(c, o)
    if result["p_value"] is None:
        notes.append(
            f"{other.name} vs {control.name}: no p-value yet (the {test} test needs "
            + ("rewards that are not all equal)" if binary else "two rewards each that vary)")
        )
    return result


def _sample_ratio(arms: Sequence[ArmState], notes: list[str]) -> float | None:
    """The chi-square goodness-of-fit p-value of the observed split against the weights."""
    weighted = [arm for arm in arms if arm.weight > 0]
    observed = sum(arm.total.requests for arm in weighted)
    if len(weighted) < 2 or observed == 0:
        notes.append("sample ratio: needs requests on two arms with a weight above 0")
        return None
    weights = sum(arm.weight for arm in weighted)
    statistic = 0.0
    for arm in weighted:
        expected = observed * arm.weight / weights
        statistic += (arm.total.requests - expected) ** 2 / expected
    return chi2_sf(statistic, len(weighted) - 1)


def _headline(comparisons: list[dict[str, Any]], others: list[ArmState]) -> dict[str, Any]:
    """The one comparison of a two-arm test, else the best rewarded challenger's."""
    if len(comparisons) == 1:
        return comparisons[0]
    rewarded = [
        (comparison, arm.total.reward_mean)
        for comparison, arm in zip(comparisons, others, strict=True)
        if arm.total.rewards
    ]
    if not rewarded:
        return {"difference": None, "p_value": None, "test": None}
    return max(rewarded, key=lambda pair: pair[1] or 0.0)[0]


def ab_verdict(
    arms: Sequence[ArmState], control: str, *, fixed_weights: bool = True
) -> dict[str, Any]:
    """Each variant's rewards against ``control``'s (the primary), the best so far, and a
    sample-ratio-mismatch check; figures not computable yet are ``None``, with ``notes``.

    The top-level ``challenger``/``difference``/``p_value``/``test`` are the one comparison
    of a two-arm test; with more arms, the best challenger's (highest mean among the others). The
    sample-ratio check needs ``fixed_weights``: a bandit's weights move every tick, so its
    requests are not one split to test.
    """
    variants = [arm for arm in arms if arm.role == "variant"]
    by_name = {arm.name: arm for arm in variants}
    notes: list[str] = []
    others = [arm for arm in variants if arm.name != control]
    comparisons = [_comparison(by_name[control], arm, notes) for arm in others]
    rewarded = [arm for arm in variants if arm.total.rewards]
    labels_only = bool(rewarded) and all(a.total.labelled == a.total.rewards for a in rewarded)
    best = max(rewarded, key=lambda arm: arm.total.reward_sum / arm.total.rewards, default=None)
    headline = _headline(comparisons, others)
    if fixed_weights:
        srm = _sample_ratio(variants, notes)
    else:
        srm = None
        notes.append("no sample-ratio check: the weights move with the rewards")
    return {
        "metric": "accuracy" if labels_only else "reward",
        "control": control,
        "best": best.name if best else None,
        "challenger": headline.get("variant"),
        "difference": headline["difference"],
        "p_value": headline["p_value"],
        "test": headline["test"],
        "comparisons": comparisons,
        "srm_p_value": srm,
        "srm_mismatch": None if srm is None else srm < SRM_THRESHOLD,
        "notes": notes,
    }
