"""The alias move that promotes an arm: the primary's alias, moved to that arm's version.

A canary promoting itself and a person promoting an arm make the same move, refused the same
way when the primary's reference names no alias or the arm serves another model.
"""

from __future__ import annotations

from modelyard.core.errors import ConflictError
from modelyard.core.refs import parse_ref
from modelyard.registry.rollout_types import AliasMove, ArmState


def promotion_move(primary: ArmState, arm: ArmState, reason: str) -> AliasMove:
    """Move the alias in ``primary``'s ref (``name@alias``) to ``arm``'s version."""
    target = parse_ref(primary.ref)
    if target.alias is None:
        raise ConflictError(
            f"cannot promote {arm.name}: the primary's reference {primary.ref} names no alias "
            "to move (expected name@alias)"
        )
    model = parse_ref(arm.ref).name
    if model != target.name:
        raise ConflictError(
            f"cannot promote {arm.name}: it serves model {model}, not {target.name} whose "
            f"alias {target.alias} the primary follows"
        )
    if arm.version is None:
        raise ConflictError(f"cannot promote {arm.name}: its version is not resolved yet")
    return AliasMove(name=target.name, alias=target.alias, version=arm.version, reason=reason)
