"""A rollout's status as one JSON document: what ``modelyard rollout status --json`` prints
and ``GET /endpoints/{id}/rollout`` answers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from modelyard.registry.rollout_types import ArmCounters, ArmState, RolloutEvent, RolloutState
from modelyard.routing.histogram import quantile
from modelyard.routing.verdict import ab_verdict, reward_summary


def status_document(state: RolloutState, history: Sequence[RolloutEvent]) -> dict[str, Any]:
    """The rollout's state, each arm's figures (totals, and a canary's current step), the
    A/B or bandit verdict so far, and every transition; JSON-safe (``None``, never NaN)."""
    variants = [arm for arm in state.arms if arm.role == "variant"]
    canary = state.strategy == "canary"
    document = {
        "endpoint": state.endpoint,
        "strategy": state.strategy,
        "state": state.state,
        "step": state.step if canary else None,
        "started_at": state.started_at.isoformat(),
        "updated_at": state.updated_at.isoformat(),
        "variants": [_variant(arm, arm.total, canary) for arm in variants],
        "step_variants": [_variant(arm, arm.step, canary) for arm in variants] if canary else None,
        "shadows": [_shadow(arm) for arm in state.arms if arm.role == "shadow"],
        "verdict": (
            ab_verdict(state.arms, state.primary, fixed_weights=state.strategy == "ab")
            if state.strategy in ("ab", "bandit")
            else None
        ),
        "history": [_event(event) for event in history],
    }
    return _json_safe(document)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _milliseconds(counters: ArmCounters, q: float) -> float | None:
    seconds = quantile(counters.latency, q)
    return None if seconds is None else seconds * 1000.0


def _variant(arm: ArmState, counters: ArmCounters, canary: bool) -> dict[str, Any]:
    summary = reward_summary(counters)
    figures: dict[str, Any] = {
        "name": arm.name,
        "ref": arm.ref,
        "version": arm.version,
        "weight": arm.weight,
        "requests": counters.requests,
        "errors": counters.errors,
        "error_rate": _ratio(counters.errors, counters.requests),
        "p50_ms": _milliseconds(counters, 0.5),
        "p99_ms": _milliseconds(counters, 0.99),
        "reward_mean": summary[0] if summary else None,
        "reward_ci": list(summary[1]) if summary else None,
        "rewards": counters.rewards,
        "labelled": counters.labelled,
    }
    if canary and arm.name == "candidate":
        figures["agreement"] = _ratio(counters.labels_agreed, counters.labels_compared)
    return figures


def _shadow(arm: ArmState) -> dict[str, Any]:
    c = arm.total
    return {
        "ref": arm.ref,
        "version": arm.version,
        "percent": arm.weight,
        "mirrored": c.mirrored,
        "dropped": c.dropped,
        "errors": c.mirror_errors,
        "agreement": _ratio(c.labels_agreed, c.labels_compared),
        "mean_abs_diff": _ratio(c.absdiff_sum, c.values_compared),
        "max_abs_diff": c.absdiff_max if c.values_compared else None,
        "p50_ms": _milliseconds(c, 0.5),
        "p99_ms": _milliseconds(c, 0.99),
    }


def _event(event: RolloutEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "step": event.step,
        "reason": event.reason,
        "figures": event.figures,
    }


def _json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value
