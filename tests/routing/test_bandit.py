"""Bandit weights: Beta posteriors, Thompson probability matching, epsilon-greedy shares."""

from __future__ import annotations

import random

import numpy as np
import pytest
from routingtools import arm, rollout
from scipy.stats import beta as beta_distribution

from modelyard.pipeline.traffic import BanditTraffic
from modelyard.registry.rollout_types import ArmCounters
from modelyard.routing.bandit import (
    bandit_transition,
    beta_params,
    epsilon_greedy_weights,
    thompson_weights,
)
from modelyard.routing.picker import WeightedPicker

THOMPSON = BanditTraffic(strategy="bandit", variants=["m:1", "m:2"])
GREEDY = BanditTraffic(strategy="bandit", variants=["m:1", "m:2"], algorithm="epsilon_greedy")


def test_an_arm_without_rewards_is_beta_one_one() -> None:
    assert beta_params(ArmCounters()) == (1.0, 1.0)


def test_fractional_rewards_update_the_posterior_exactly() -> None:
    counters = ArmCounters(rewards=2, reward_sum=0.5 + 0.7)
    alpha, beta = beta_params(counters)
    assert alpha == pytest.approx(2.2)
    assert beta == pytest.approx(1.8)


def test_thompson_weights_are_each_arms_probability_of_being_best() -> None:
    params = [(3.0, 9.0), (5.0, 7.0)]
    weights = thompson_weights(params, np.random.default_rng(0), draws=200_000)
    assert sum(weights) == pytest.approx(100.0)
    # P(X2 > X1) by numerical integration of the two Beta densities.
    grid = np.linspace(0, 1, 20_001)
    first, second = (beta_distribution(a, b) for a, b in params)
    p_second = np.trapezoid(second.pdf(grid) * first.cdf(grid), grid)
    assert weights[1] / 100 == pytest.approx(p_second, abs=0.005)


def test_epsilon_greedy_gives_the_best_arm_all_but_epsilon() -> None:
    weights = epsilon_greedy_weights([0.10, 0.15, 0.12], 0.1)
    assert weights == pytest.approx([5.0, 90.0, 5.0])


def test_epsilon_greedy_counts_an_arm_without_rewards_as_tied_for_best() -> None:
    assert epsilon_greedy_weights([0.10, None, 0.30], 0.2) == pytest.approx([20.0, 40.0, 40.0])


def test_epsilon_greedy_with_every_arm_tied_shares_equally() -> None:
    assert epsilon_greedy_weights([None, None], 0.1) == pytest.approx([50.0, 50.0])
    assert epsilon_greedy_weights([0.2, 0.2, 0.2], 0.5) == pytest.approx([100 / 3] * 3)


def test_a_running_bandit_reweighs_without_a_history_event() -> None:
    state = rollout(
        "bandit",
        [
            arm("m:1", 50, total=ArmCounters(rewards=100, reward_sum=10)),
            arm("m:2", 50, total=ArmCounters(rewards=100, reward_sum=30)),
        ],
        primary="m:1",
    )
    transition = bandit_transition(GREEDY, state, np.random.default_rng(0))
    assert transition is not None
    assert (transition.action, transition.state, transition.reason) == (
        "reweight",
        "running",
        "rewards",
    )
    assert transition.record is False
    assert transition.weights == pytest.approx({"m:1": 10.0, "m:2": 90.0})


@pytest.mark.parametrize("state", ["paused", "inconclusive", "aborted", "promoted"])
def test_a_bandit_that_is_not_running_keeps_its_weights(state: str) -> None:
    arms = [arm("m:1", 50), arm("m:2", 50)]
    stopped = rollout("bandit", arms, state=state, primary="m:1")  # type: ignore[arg-type]
    assert bandit_transition(THOMPSON, stopped, np.random.default_rng(0)) is None


def _simulate(seed: int, config: BanditTraffic) -> float:
    """Routes 10,000 requests to Bernoulli arms (p = 0.10, 0.15), re-weighing every 100;
    returns the better arm's share of the last 2,000."""
    probabilities = {"m:1": 0.10, "m:2": 0.15}
    rewards = random.Random(seed)
    numpy_rng = np.random.default_rng(seed)
    state = rollout("bandit", [arm("m:1", 50), arm("m:2", 50)], primary="m:1")
    names = [a.name for a in state.arms]
    routing = random.Random(seed + 1)
    picker = WeightedPicker([50.0, 50.0], routing)
    totals = {name: ArmCounters() for name in names}
    better = 0
    for request in range(10_000):
        if request and request % 100 == 0:
            transition = bandit_transition(config, state, numpy_rng)
            assert transition is not None and transition.weights is not None
            picker = WeightedPicker([transition.weights[n] for n in names], routing)
        name = names[picker.pick()]
        reward = 1.0 if rewards.random() < probabilities[name] else 0.0
        totals[name] = totals[name].plus(
            ArmCounters(requests=1, rewards=1, reward_sum=reward, reward_sumsq=reward)
        )
        state = rollout("bandit", [arm(n, 0, total=totals[n]) for n in names], primary="m:1")
        if request >= 8_000 and name == "m:2":
            better += 1
    return better / 2_000


def test_thompson_sends_most_of_the_late_traffic_to_the_better_arm() -> None:
    assert _simulate(0, THOMPSON) >= 0.80


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_thompson_finds_the_better_arm_for_other_seeds_too(seed: int) -> None:
    assert _simulate(seed, THOMPSON) >= 0.80
