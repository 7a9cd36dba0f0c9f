"""Mean rewards with intervals, and the A/B verdict, checked against scipy on raw rewards."""

from __future__ import annotations

import numpy as np
import pytest
from routingtools import arm
from scipy import stats

from modelyard.registry.rollout_types import ArmCounters, ArmState
from modelyard.routing.verdict import ab_verdict, reward_summary

RELATIVE = 1e-9


def rewarded(
    rewards: list[float] | np.ndarray, *, labels: bool = False, requests: int = 0
) -> ArmCounters:
    values = np.asarray(rewards, dtype=float)
    return ArmCounters(
        requests=requests or len(values),
        rewards=len(values),
        reward_sum=float(values.sum()),
        reward_sumsq=float((values**2).sum()),
        labelled=len(values) if labels else 0,
    )


def variant(name: str, counters: ArmCounters, weight: float = 50.0) -> ArmState:
    return arm(name, weight, total=counters)


def test_no_rewards_have_no_summary() -> None:
    assert reward_summary(ArmCounters(requests=10)) is None


@pytest.mark.parametrize(("successes", "n"), [(0, 5), (3, 10), (10, 10), (412, 1000)])
def test_zero_one_rewards_get_wilsons_interval(successes: int, n: int) -> None:
    summary = reward_summary(rewarded([1.0] * successes + [0.0] * (n - successes)))
    assert summary is not None
    mean, (low, high) = summary
    expected = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    assert mean == successes / n
    assert low == pytest.approx(expected.low, rel=RELATIVE, abs=1e-15)
    assert high == pytest.approx(expected.high, rel=RELATIVE)


def test_fractional_rewards_get_a_t_interval() -> None:
    rewards = np.random.default_rng(1).beta(2, 5, size=40)
    summary = reward_summary(rewarded(rewards))
    assert summary is not None
    mean, (low, high) = summary
    expected = stats.t.interval(0.95, 39, loc=rewards.mean(), scale=stats.sem(rewards))
    assert mean == pytest.approx(rewards.mean(), rel=1e-12)
    assert (low, high) == pytest.approx(expected, rel=RELATIVE)


def test_a_t_interval_stays_within_the_rewards_range() -> None:
    summary = reward_summary(rewarded([0.9, 1.0, 0.99]))
    assert summary is not None
    assert summary[1][1] == 1.0


def test_a_single_fractional_reward_gives_the_whole_range() -> None:
    assert reward_summary(rewarded([0.7])) == (0.7, (0.0, 1.0))


def test_two_labelled_variants_are_compared_by_a_two_proportion_z_test() -> None:
    control = rewarded([1.0] * 120 + [0.0] * 880, labels=True)
    other = rewarded([1.0] * 160 + [0.0] * 840, labels=True)
    verdict = ab_verdict([variant("a", control), variant("b", other)], "a")
    pooled = 280 / 2000
    z = (0.16 - 0.12) / np.sqrt(pooled * (1 - pooled) * (2 / 1000))
    expected_p = 2 * stats.norm.sf(z)
    assert verdict["metric"] == "accuracy"
    assert verdict["control"] == "a"
    assert verdict["best"] == "b"
    assert verdict["test"] == "two-proportion z"
    assert verdict["difference"] == pytest.approx(0.04)
    assert verdict["p_value"] == pytest.approx(expected_p, rel=RELATIVE)
    assert verdict["comparisons"] == [
        {
            "variant": "b",
            "difference": verdict["difference"],
            "p_value": verdict["p_value"],
            "test": "two-proportion z",
        }
    ]
    assert verdict["srm_p_value"] == pytest.approx(1.0)
    assert verdict["srm_mismatch"] is False
    assert verdict["notes"] == []


def test_fractional_rewards_are_compared_by_welchs_t_test() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.beta(2, 5, size=60), rng.beta(3, 5, size=45)
    verdict = ab_verdict([variant("a", rewarded(a)), variant("b", rewarded(b))], "a")
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert verdict["metric"] == "reward"
    assert verdict["test"] == "welch t"
    assert verdict["difference"] == pytest.approx(b.mean() - a.mean(), rel=1e-12)
    assert verdict["p_value"] == pytest.approx(expected.pvalue, rel=RELATIVE)


def test_a_split_far_from_the_weights_is_a_sample_ratio_mismatch() -> None:
    arms = [
        variant("a", ArmCounters(requests=5400), weight=50),
        variant("b", ArmCounters(requests=4600), weight=50),
        arm("shadow", 100, role="shadow", total=ArmCounters(requests=10_000)),
    ]
    verdict = ab_verdict(arms, "a")
    assert verdict["srm_p_value"] == pytest.approx(
        stats.chisquare([5400, 4600], [5000, 5000]).pvalue, rel=RELATIVE
    )
    assert verdict["srm_mismatch"] is True


def test_the_sample_ratio_leaves_out_arms_without_weight() -> None:
    arms = [
        variant("a", ArmCounters(requests=700), weight=70),
        variant("b", ArmCounters(requests=300), weight=30),
        variant("c", ArmCounters(requests=50), weight=0),
    ]
    assert ab_verdict(arms, "a")["srm_p_value"] == pytest.approx(1.0)


def test_without_rewards_or_requests_every_figure_is_none_with_notes() -> None:
    verdict = ab_verdict([variant("a", ArmCounters()), variant("b", ArmCounters())], "a")
    assert verdict == {
        "metric": "reward",
        "control": "a",
        "best": None,
        "challenger": "b",
        "difference": None,
        "p_value": None,
        "test": "two-proportion z",
        "comparisons": [
            {"variant": "b", "difference": None, "p_value": None, "test": "two-proportion z"}
        ],
        "srm_p_value": None,
        "srm_mismatch": None,
        "notes": [
            "b vs a: both need rewards to be compared",
            "sample ratio: needs requests on two arms with a weight above 0",
        ],
    }


def test_identical_zero_one_rewards_have_a_difference_but_no_p_value() -> None:
    zeros = rewarded([0.0] * 20)
    verdict = ab_verdict([variant("a", zeros), variant("b", zeros)], "a")
    assert verdict["difference"] == 0.0
    assert verdict["p_value"] is None
    assert verdict["notes"] == [
        "b vs a: no p-value yet (the two-proportion z test needs rewards that are not all equal)"
    ]


def test_welch_needs_two_rewards_per_variant() -> None:
    verdict = ab_verdict([variant("a", rewarded([0.5])), variant("b", rewarded([0.2, 0.4]))], "a")
    assert verdict["difference"] == pytest.approx(-0.2)
    assert verdict["p_value"] is None
    assert verdict["notes"] == [
        "b vs a: no p-value yet (the welch t test needs two rewards each that vary)"
    ]


def test_with_three_variants_the_headline_is_the_best_challenger() -> None:
    arms = [
        variant("a", rewarded([1.0] * 30 + [0.0] * 70), weight=34),
        variant("b", rewarded([1.0] * 20 + [0.0] * 80), weight=33),
        variant("c", rewarded([1.0] * 45 + [0.0] * 55), weight=33),
        variant("d", ArmCounters(), weight=0),
    ]
    verdict = ab_verdict(arms, "a")
    assert verdict["best"] == "c"
    assert [c["variant"] for c in verdict["comparisons"]] == ["b", "c", "d"]
    assert verdict["difference"] == pytest.approx(0.15)
    assert verdict["p_value"] == verdict["comparisons"][1]["p_value"]
    assert verdict["metric"] == "reward"


def test_with_no_rewarded_challenger_the_headline_is_empty() -> None:
    arms = [
        variant("a", rewarded([1.0, 0.0])),
        variant("b", ArmCounters()),
        variant("c", ArmCounters()),
    ]
    verdict = ab_verdict(arms, "a")
    assert (verdict["best"], verdict["difference"], verdict["p_value"], verdict["test"]) == (
        "a",
        None,
        None,
        None,
    )
