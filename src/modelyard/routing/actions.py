"""What a person may do to a rollout: pause, resume, abort, or promote an arm by hand.

Each action is allowed from a few states only, and a finished rollout (promoted, rolled
back, aborted) takes none: a new configuration starts a new rollout instead.
"""

from __future__ import annotations

from typing import Literal

from modelyard.core.errors import ConflictError
from modelyard.registry.rollout_types import RolloutState, RolloutStateName, Transition
from modelyard.routing.promotion import promotion_move

Action = Literal["pause", "resume", "abort", "promote"]

_ALLOWED_FROM: dict[str, tuple[RolloutStateName, ...]] = {
    "pause": ("running",),
    "resume": ("paused", "inconclusive"),
    "abort": ("running", "paused", "inconclusive"),
    "promote": ("running", "paused", "inconclusive"),
}


def manual(
    state: RolloutState,
    action: Action,
    *,
    actor: str,
    reason: str,
    variant: str | None = None,
) -> Transition:
    """The transition ``actor`` asks for; :class:`ConflictError` when the rollout's state (or
    strategy) does not allow it."""
    if state.strategy == "single":
        raise ConflictError(
            f"endpoint {state.endpoint} serves one version: there is no rollout to {action}"
        )
    allowed = _ALLOWED_FROM[action]
    if state.state not in allowed:
        raise ConflictError(
            f"cannot {action} the rollout of endpoint {state.endpoint}: it is {state.state}, "
            f"and {action} expects it {' or '.join(allowed)}"
        )
    if action == "pause":
        return Transition(action="pause", state="paused", reason=reason, actor=actor)
    if action == "resume":
        return Transition(
            action="resume", state="running", reason=reason, actor=actor, reset_step=True
        )
    if action == "abort":
        return Transition(
            action="abort",
            state="aborted",
            reason=reason,
            actor=actor,
            weights=_all_to(state, state.primary),
        )
    return _promote(state, actor=actor, reason=reason, variant=variant)


def _all_to(state: RolloutState, name: str) -> dict[str, float]:
    """Every arm's weight (shadows' too) when ``name`` takes all the traffic."""
    return {arm.name: 100.0 if arm.name == name else 0.0 for arm in state.arms}


def _promote(state: RolloutState, *, actor: str, reason: str, variant: str | None) -> Transition:
    if state.strategy == "canary":
        if variant not in (None, "candidate"):
            raise ConflictError(
                f"endpoint {state.endpoint} is a canary: the variant to promote is its candidate"
            )
        variant = "candidate"
    names = [arm.name for arm in state.arms if arm.role == "variant"]
    if variant not in names:
        raise ConflictError(
            f"promoting the rollout of endpoint {state.endpoint} needs the variant to promote: "
            f"one of {', '.join(names)}"
        )
    arm = state.arm(variant)
    move = promotion_move(state.arm(state.primary), arm, f"promoted by {actor}: {reason}")
    return Transition(
        action="promote",
        state="promoted",
        reason=reason,
        actor=actor,
        # the primary's alias now names the winner's version: the primary answers again
        weights=_all_to(state, state.primary),
        figures={"variant": variant, "version": arm.version},
        alias_move=move,
    )
