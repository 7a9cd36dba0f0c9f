"""Hand-built rollout states for the routing tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from modelyard.registry.rollout_types import (
    ArmCounters,
    ArmState,
    RolloutState,
    RolloutStateName,
)

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def arm(
    name: str,
    weight: float,
    *,
    ref: str | None = None,
    version: int | None = 1,
    role: str = "variant",
    total: ArmCounters | None = None,
    step: ArmCounters | None = None,
) -> ArmState:
    """An arm; its ref defaults to ``model:VERSION``."""
    return ArmState(
        name=name,
        ref=ref or f"model:{version}",
        version=version,
        role=role,  # type: ignore[arg-type]
        weight=weight,
        total=total or ArmCounters(),
        step=step or ArmCounters(),
    )


def rollout(
    strategy: str,
    arms: list[ArmState],
    *,
    state: RolloutStateName = "running",
    step: int | None = None,
    primary: str = "primary",
    **changes: Any,
) -> RolloutState:
    """A rollout of ``arms`` started at :data:`START`, its step started then too."""
    value = RolloutState(
        endpoint="fraud",
        strategy=strategy,
        digest="d1",
        primary=primary,
        state=state,
        step=step,
        started_at=START,
        step_started_at=START,
        updated_at=START,
        revision=1,
        arms=tuple(arms),
    )
    return replace(value, **changes)
