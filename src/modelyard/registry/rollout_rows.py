"""Rollout rows to frozen values and back: the counters' JSON, states, events, credits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import cast

import orjson

from modelyard.registry.rollout_types import (
    ArmCounters,
    ArmRole,
    ArmState,
    RolloutEvent,
    RolloutState,
    RolloutStateName,
)
from modelyard.registry.schema import RolloutArmRow, RolloutEventRow, RolloutRow

_COUNTER_FIELDS = frozenset(spec.name for spec in fields(ArmCounters))


def encode_counters(counters: ArmCounters) -> str:
    """``counters`` as the JSON the arm rows hold (``latency`` as a list)."""
    return orjson.dumps(asdict(counters)).decode()


def decode_counters(text: str) -> ArmCounters:
    """The counters an arm row holds; fields this version does not know are ignored."""
    data = orjson.loads(text)
    values = {key: value for key, value in data.items() if key in _COUNTER_FIELDS}
    values["latency"] = tuple(values.get("latency", ()))
    return ArmCounters(**values)


def to_state(row: RolloutRow, arms: Sequence[RolloutArmRow]) -> RolloutState:
    """The detached value of a rollout's row and its arms' rows."""
    return RolloutState(
        endpoint=row.endpoint,
        strategy=row.strategy,
        digest=row.digest,
        primary=row.primary,
        state=cast(RolloutStateName, row.state),
        step=row.step,
        started_at=row.started_at,
        step_started_at=row.step_started_at,
        updated_at=row.updated_at,
        revision=row.revision,
        arms=tuple(
            ArmState(
                name=arm.name,
                ref=arm.ref,
                version=arm.version,
                role=cast(ArmRole, arm.role),
                weight=arm.weight,
                total=decode_counters(arm.total_json),
                step=decode_counters(arm.step_json),
            )
            for arm in arms
        ),
    )


def to_event(row: RolloutEventRow) -> RolloutEvent:
    """The detached value of one history row."""
    return RolloutEvent(
        id=row.id,
        endpoint=row.endpoint,
        at=row.at,
        actor=row.actor,
        action=row.action,
        from_state=cast(RolloutStateName | None, row.from_state),
        to_state=cast(RolloutStateName, row.to_state),
        step=row.step,
        reason=row.reason,
        figures=orjson.loads(row.figures_json),
    )


def credit(arm: RolloutArmRow, delta: ArmCounters) -> None:
    """Add ``delta`` to the arm's totals and to its current step's counters."""
    arm.total_json = encode_counters(decode_counters(arm.total_json).plus(delta))
    arm.step_json = encode_counters(decode_counters(arm.step_json).plus(delta))
