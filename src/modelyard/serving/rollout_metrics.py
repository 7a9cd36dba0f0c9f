"""Rollout series for ``/metrics``: weights, state, step, mirror agreement and rewards.

They come from the rollout state last read from the registry database, so unlike the
per-process request series they are the whole deployment's figures (every replica reports
the same values); a dashboard should take ``max`` across replicas, not ``sum``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from modelyard.registry.rollout_types import ROLLOUT_STATES, RolloutState


class RolloutCollector(Collector):
    """Reads ``states`` (endpoint id → last state) at each scrape."""

    def __init__(self, states: Mapping[str, RolloutState]) -> None:
        self._states = states

    def collect(self) -> Iterator[Metric]:
        arm = ["endpoint", "variant"]
        weight = GaugeMetricFamily(
            "modelyard_variant_weight_percent", "Share of traffic each variant takes.", labels=arm
        )
        state_gauge = GaugeMetricFamily(
            "modelyard_rollout_state", "1 for the state each endpoint's rollout is in.",
            labels=["endpoint", "strategy", "state"],
        )  # fmt: skip
        step = GaugeMetricFamily(
            "modelyard_rollout_step", "A canary's current step (0-based).", labels=["endpoint"]
        )
        rewards = CounterMetricFamily(
            "modelyard_variant_rewards", "Feedback rewards received, all replicas.", labels=arm
        )
        reward_sum = CounterMetricFamily(
            "modelyard_variant_reward_sum", "Sum of feedback rewards, all replicas.", labels=arm
        )
        mirrored = CounterMetricFamily(
            "modelyard_mirrored_requests", "Requests copied to a shadow (or a canary's primary).",
            labels=arm,
        )  # fmt: skip
        dropped = CounterMetricFamily(
            "modelyard_mirror_dropped_requests", "Copies dropped because the queue was full.",
            labels=arm,
        )  # fmt: skip
        mirror_errors = CounterMetricFamily(
            "modelyard_mirror_errors", "Copies that failed.", labels=arm
        )
        agreement = GaugeMetricFamily(
            "modelyard_agreement_ratio", "Share of compared labels equal to the primary's.",
            labels=arm,
        )  # fmt: skip
        absdiff = GaugeMetricFamily(
            "modelyard_mean_abs_difference",
            "Mean absolute difference of compared scores or values from the primary's.",
            labels=arm,
        )
        absdiff_max = GaugeMetricFamily(
            "modelyard_max_abs_difference",
            "Largest absolute difference of a compared score or value from the primary's.",
            labels=arm,
        )
        for endpoint, state in sorted(self._states.items()):
            for name in ROLLOUT_STATES:
                state_gauge.add_metric([endpoint, state.strategy, name], state.state == name)
            if state.step is not None:
                step.add_metric([endpoint], state.step)
            for item in state.arms:
                labels = [endpoint, item.name]
                total = item.total
                weight.add_metric(labels, item.weight)
                rewards.add_metric(labels, total.rewards)
                reward_sum.add_metric(labels, total.reward_sum)
                if total.mirrored or item.role == "shadow":
                    mirrored.add_metric(labels, total.mirrored)
                    dropped.add_metric(labels, total.dropped)
                    mirror_errors.add_metric(labels, total.mirror_errors)
                if total.labels_compared:
                    agreement.add_metric(labels, total.labels_agreed / total.labels_compared)
                if total.values_compared:
                    absdiff.add_metric(labels, total.absdiff_sum / total.values_compared)
                    absdiff_max.add_metric(labels, total.absdiff_max)
        yield from (
            weight, state_gauge, step, rewards, reward_sum, mirrored, dropped, mirror_errors,
            agreement, absdiff, absdiff_max,
        )  # fmt: skip
