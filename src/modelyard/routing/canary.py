"""A progressive canary: the candidate takes ``steps`` percent in turn, and each step is
judged against the primary over the same interval, never against fixed limits alone.

A step is judged once its ``interval`` has passed and the candidate has answered
``min_requests`` (and, with ``min_agreement``, had answers compared with the primary's).
Any failed check rolls back; passing the last step promotes through the primary's alias;
too little evidence by the ``deadline`` leaves the rollout inconclusive for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelyard.pipeline.traffic import CanaryTraffic
from modelyard.registry.rollout_types import ArmCounters, RolloutState, Transition
from modelyard.routing.histogram import quantile
from modelyard.routing.promotion import promotion_move


def _weights(percent: float) -> dict[str, float]:
    return {"primary": 100.0 - percent, "candidate": percent}


@dataclass(frozen=True)
class _Check:
    """One check's outcome; ``passed`` is ``None`` when it was skipped (``text`` says why)."""

    name: str
    value: float | None
    limit: float
    passed: bool | None
    text: str

    def figures(self) -> dict[str, Any]:
        figures = {"value": self.value, "limit": self.limit, "passed": self.passed}
        return figures if self.passed is not None else {**figures, "note": self.text}


def _rate(counters: ArmCounters) -> float:
    return counters.errors / counters.requests if counters.requests else 0.0


def _error_rate(limit: float, c: ArmCounters) -> _Check:
    rate = _rate(c)
    ok = rate <= limit
    text = (
        f"error rate {rate:.3f} {'<=' if ok else '>'} max_error_rate {limit:g} "
        f"({c.errors} of {c.requests} requests)"
    )
    return _Check("max_error_rate", rate, limit, ok, text)


def _error_rate_increase(limit: float, p: ArmCounters, c: ArmCounters) -> _Check:
    increase = _rate(c) - _rate(p)
    ok = increase <= limit
    text = (
        f"error rate increase {increase:.3f} {'<=' if ok else '>'} max_error_rate_increase "
        f"{limit:g} (candidate {_rate(c):.3f}, primary {_rate(p):.3f})"
    )
    return _Check("max_error_rate_increase", increase, limit, ok, text)


def _latency_ratio(limit: float, p: ArmCounters, c: ArmCounters) -> _Check:
    primary, candidate = quantile(p.latency, 0.99), quantile(c.latency, 0.99)
    if primary is None or candidate is None:
        whose = "primary" if primary is None else "candidate"
        text = f"p99 latency ratio skipped: the {whose} has no latencies in this step"
        return _Check("max_latency_ratio", None, limit, None, text)
    ratio = candidate / primary
    ok = ratio <= limit
    text = (
        f"p99 latency ratio {ratio:.2f} {'<=' if ok else '>'} max_latency_ratio {limit:g} "
        f"(candidate {candidate * 1000:.2f} ms, primary {primary * 1000:.2f} ms)"
    )
    return _Check("max_latency_ratio", ratio, limit, ok, text)


def _agreement(limit: float, c: ArmCounters) -> _Check:
    if not (c.labels_compared or c.values_compared):
        text = "agreement not judged: no answers were compared with the primary's yet"
        return _Check("min_agreement", None, limit, None, text)
    if not c.labels_compared:
        text = (
            f"agreement skipped: only values were compared (mean absolute difference "
            f"{c.absdiff_sum / c.values_compared:.4g} over {c.values_compared} values)"
        )
        return _Check("min_agreement", None, limit, None, text)
    agreement = c.labels_agreed / c.labels_compared
    ok = agreement >= limit
    text = (
        f"agreement {agreement:.3f} {'>=' if ok else '<'} min_agreement {limit:g} "
        f"({c.labels_agreed} of {c.labels_compared} labels)"
    )
    return _Check("min_agreement", agreement, limit, ok, text)


def _checks(config: CanaryTraffic, p: ArmCounters, c: ArmCounters) -> list[_Check]:
    checks = []
    if config.max_error_rate is not None:
        checks.append(_error_rate(config.max_error_rate, c))
    if config.max_error_rate_increase is not None:
        checks.append(_error_rate_increase(config.max_error_rate_increase, p, c))
    if config.max_latency_ratio is not None:
        checks.append(_latency_ratio(config.max_latency_ratio, p, c))
    if config.min_agreement is not None:
        checks.append(_agreement(config.min_agreement, c))
    return checks


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def judge(config: CanaryTraffic, state: RolloutState, now: datetime) -> Transition | None:
    """What this tick decides for a canary: nothing yet (``None``), advance, promote, roll
    back, or inconclusive."""
    if state.state != "running":
        return None
    p, c = state.arm("primary").step, state.arm("candidate").step
    waited = (now - state.step_started_at).total_seconds()
    if waited < config.interval:
        return None
    step = state.step or 0
    base: dict[str, Any] = {
        "step": step,
        "percent": config.steps[step],
        "requests": {"primary": p.requests, "candidate": c.requests},
    }
    if c.requests < config.min_requests:
        return _wait_or_give_up(
            config,
            waited,
            f"the candidate answered {c.requests} of the {config.min_requests} requests "
            "a step needs",
            {**base, "min_requests": config.min_requests},
        )
    checks = _checks(config, p, c)
    figures = {**base, "checks": {check.name: check.figures() for check in checks}}
    failed = [check.text for check in checks if check.passed is False]
    if failed:
        return Transition(
            action="rollback",
            state="rolled_back",
            reason="; ".join(failed),
            weights=_weights(0.0),
            figures=figures,
        )
    unjudged = [check.text for check in checks if check.passed is None]
    if unjudged:  # a check that was asked for and could not be made is missing evidence
        return _wait_or_give_up(config, waited, "; ".join(unjudged), figures)
    return _passed(config, state, checks, figures)


def _passed(
    config: CanaryTraffic, state: RolloutState, checks: list[_Check], figures: dict[str, Any]
) -> Transition:
    """A passed step: on to the next one with its evidence, or after the last, promote."""
    step = state.step or 0
    evidence = "; ".join(check.text for check in checks) or "no checks set"
    passed = f"step {step + 1} of {len(config.steps)} at {config.steps[step]:g}% passed: "
    if step + 1 == len(config.steps):
        reason = f"canary of endpoint {state.endpoint}: last {passed}{evidence}"
        move = promotion_move(state.arm("primary"), state.arm("candidate"), reason)
        # The primary's alias now names the candidate's version: the primary answers again,
        # from that version once its reload has it (never the candidate's ref, which may
        # move on to a version no canary has judged).
        return Transition(
            action="promote",
            state="promoted",
            reason=reason,
            weights=_weights(0.0),
            figures=figures,
            alias_move=move,
        )
    return Transition(
        action="advance",
        state="running",
        reason=passed + evidence,
        step=step + 1,
        weights=_weights(config.steps[step + 1]),
        figures=figures,
        reset_step=True,
    )


def _wait_or_give_up(
    config: CanaryTraffic, waited: float, shortfall: str, figures: dict[str, Any]
) -> Transition | None:
    """Keep waiting for evidence until the deadline; then hand the rollout to a person."""
    if waited < config.deadline:
        return None
    return Transition(
        action="inconclusive",
        state="inconclusive",
        reason=f"not enough evidence by the deadline ({_duration(config.deadline)}): {shortfall}",
        figures={**figures, "waited_s": waited},
    )
