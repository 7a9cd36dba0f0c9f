"""Bandits: turning the arms' feedback rewards into traffic weights, once per tick.

Thompson sampling draws one value from each arm's Beta posterior per request and sends the
request to the highest. Drawing per request would put numpy on the request path; instead, at
each tick the share of many joint draws each arm wins becomes its weight, and requests are
routed by a weighted pick. That is *probability matching*: each arm gets the probability that
it is the best, which is exactly what Thompson sampling allocates in expectation; only the
posterior's refresh waits for the tick.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from modelyard.pipeline.traffic import BanditTraffic
from modelyard.registry.rollout_types import ArmCounters, RolloutState, Transition


def beta_params(counters: ArmCounters) -> tuple[float, float]:
    """Beta(alpha, beta) of an arm from Beta(1, 1): alpha gains each reward, beta its
    complement, so a fractional reward (0.7) counts exactly (0.7 to alpha, 0.3 to beta)."""
    return 1.0 + counters.reward_sum, 1.0 + counters.rewards - counters.reward_sum


def thompson_weights(
    params: Sequence[tuple[float, float]], rng: np.random.Generator, draws: int = 10_000
) -> list[float]:
    """Percents (summing to 100): the share of ``draws`` joint Beta draws each arm wins."""
    alphas = np.array([alpha for alpha, _ in params], dtype=float)
    betas = np.array([beta for _, beta in params], dtype=float)
    samples = rng.beta(alphas, betas, size=(draws, len(params)))
    wins = np.bincount(samples.argmax(axis=1), minlength=len(params))
    return [float(share) for share in wins * (100.0 / draws)]


def epsilon_greedy_weights(means: Sequence[float | None], epsilon: float) -> list[float]:
    """Percents: the best arms (highest mean; an arm without rewards yet counts as tied for
    best, so it gets tried) share ``100*(1-epsilon)``; the others share ``100*epsilon``
    equally. With no arm left to explore, the best arms share everything."""
    known = [mean for mean in means if mean is not None]
    top = max(known) if known else None
    best = [mean is None or mean == top for mean in means]
    explore = len(means) - sum(best)
    exploit = 100.0 * (1.0 - epsilon) if explore else 100.0
    return [exploit / sum(best) if is_best else 100.0 * epsilon / explore for is_best in best]


def bandit_transition(
    config: BanditTraffic, state: RolloutState, rng: np.random.Generator
) -> Transition | None:
    """The tick's new weights for a running bandit (not recorded in the history: it re-weighs
    every tick); ``None`` when the rollout is not running."""
    if state.state != "running":
        return None
    arms = [arm for arm in state.arms if arm.role == "variant"]
    if config.algorithm == "thompson":
        weights = thompson_weights([beta_params(arm.total) for arm in arms], rng)
    else:
        weights = epsilon_greedy_weights([arm.total.reward_mean for arm in arms], config.epsilon)
    return Transition(
        action="reweight",
        state="running",
        reason="rewards",
        weights={arm.name: weight for arm, weight in zip(arms, weights, strict=True)},
        record=False,
    )
