"""A person's actions on a rollout, and every refusal's one line."""

from __future__ import annotations

import pytest
from routingtools import arm, rollout

from modelyard.core.errors import ConflictError
from modelyard.registry.rollout_types import AliasMove, RolloutState, Transition
from modelyard.routing.actions import manual


def canary(state: str = "running") -> RolloutState:
    return rollout(
        "canary",
        [
            arm("primary", 75, ref="fraud@production", version=3),
            arm("candidate", 25, ref="fraud:4", version=4),
        ],
        state=state,  # type: ignore[arg-type]
        step=1,
    )


def ab(primary_ref: str = "fraud@production", b_ref: str = "fraud:5") -> RolloutState:
    return rollout(
        "ab",
        [
            arm("a", 50, ref=primary_ref, version=3),
            arm("b", 50, ref=b_ref, version=5),
            arm("fraud:6", 20, ref="fraud:6", version=6, role="shadow"),
        ],
        primary="a",
    )


def test_pause_keeps_the_weights_and_names_the_actor() -> None:
    transition = manual(canary(), "pause", actor="ana", reason="checking a dashboard")
    assert transition == Transition(
        action="pause", state="paused", reason="checking a dashboard", actor="ana"
    )


@pytest.mark.parametrize("state", ["paused", "inconclusive"])
def test_resume_restarts_the_step(state: str) -> None:
    transition = manual(canary(state), "resume", actor="ana", reason="more traffic now")
    assert transition == Transition(
        action="resume", state="running", reason="more traffic now", actor="ana", reset_step=True
    )


@pytest.mark.parametrize("state", ["running", "paused", "inconclusive"])
def test_abort_sends_everything_to_the_primary_and_stops_the_shadows(state: str) -> None:
    rolled = rollout("ab", list(ab().arms), primary="a", state=state)  # type: ignore[arg-type]
    transition = manual(rolled, "abort", actor="ana", reason="wrong experiment")
    assert transition.state == "aborted"
    assert transition.actor == "ana"
    assert transition.weights == {"a": 100.0, "b": 0.0, "fraud:6": 0.0}


def test_promote_of_a_canary_moves_the_alias_to_the_candidate_and_the_primary_answers() -> None:
    transition = manual(canary(), "promote", actor="ana", reason="looks good")
    assert transition == Transition(
        action="promote",
        state="promoted",
        reason="looks good",
        actor="ana",
        weights={"primary": 100.0, "candidate": 0.0},
        figures={"variant": "candidate", "version": 4},
        alias_move=AliasMove("fraud", "production", 4, "promoted by ana: looks good"),
    )


def test_promote_of_a_canary_accepts_the_candidates_name() -> None:
    transition = manual(canary(), "promote", actor="ana", reason="ok", variant="candidate")
    assert transition.alias_move is not None and transition.alias_move.version == 4


def test_promote_of_a_canary_refuses_another_variant() -> None:
    with pytest.raises(ConflictError) as error:
        manual(canary(), "promote", actor="ana", reason="ok", variant="primary")
    assert str(error.value) == (
        "endpoint fraud is a canary: the variant to promote is its candidate"
    )


def test_promote_of_an_ab_variant_moves_the_primarys_alias_to_it() -> None:
    transition = manual(ab(), "promote", actor="ana", reason="b wins", variant="b")
    assert transition.weights == {"a": 100.0, "b": 0.0, "fraud:6": 0.0}  # a, the primary
    assert transition.alias_move == AliasMove("fraud", "production", 5, "promoted by ana: b wins")


@pytest.mark.parametrize("variant", [None, "c", "fraud:6"])
def test_promote_without_a_known_variant_lists_the_variants(variant: str | None) -> None:
    with pytest.raises(ConflictError) as error:
        manual(ab(), "promote", actor="ana", reason="ok", variant=variant)
    assert str(error.value) == (
        "promoting the rollout of endpoint fraud needs the variant to promote: one of a, b"
    )


def test_promote_refuses_a_primary_ref_without_an_alias() -> None:
    with pytest.raises(ConflictError) as error:
        manual(ab(primary_ref="fraud:3"), "promote", actor="ana", reason="ok", variant="b")
    assert str(error.value) == (
        "cannot promote b: the primary's reference fraud:3 names no alias to move "
        "(expected name@alias)"
    )


def test_promote_refuses_a_variant_of_another_model() -> None:
    with pytest.raises(ConflictError) as error:
        manual(ab(b_ref="churn:5"), "promote", actor="ana", reason="ok", variant="b")
    assert str(error.value) == (
        "cannot promote b: it serves model churn, not fraud whose alias production the "
        "primary follows"
    )


def test_promote_refuses_a_variant_whose_version_is_unknown() -> None:
    unresolved = rollout(
        "ab",
        [arm("a", 50, ref="fraud@production"), arm("b", 50, ref="fraud@staging", version=None)],
        primary="a",
    )
    with pytest.raises(ConflictError) as error:
        manual(unresolved, "promote", actor="ana", reason="ok", variant="b")
    assert str(error.value) == "cannot promote b: its version is not resolved yet"


@pytest.mark.parametrize(
    ("action", "state", "message"),
    [
        ("pause", "paused", "it is paused, and pause expects it running"),
        ("pause", "inconclusive", "it is inconclusive, and pause expects it running"),
        ("resume", "running", "it is running, and resume expects it paused or inconclusive"),
        (
            "abort",
            "promoted",
            "it is promoted, and abort expects it running or paused or inconclusive",
        ),
        (
            "promote",
            "rolled_back",
            "it is rolled_back, and promote expects it running or paused or inconclusive",
        ),
        ("resume", "aborted", "it is aborted, and resume expects it paused or inconclusive"),
    ],
)
def test_an_action_from_the_wrong_state_is_refused(action: str, state: str, message: str) -> None:
    with pytest.raises(ConflictError) as error:
        manual(canary(state), action, actor="ana", reason="x")  # type: ignore[arg-type]
    assert str(error.value) == f"cannot {action} the rollout of endpoint fraud: {message}"


@pytest.mark.parametrize("action", ["pause", "resume", "abort", "promote"])
def test_a_single_strategy_refuses_every_action(action: str) -> None:
    single = rollout("single", [arm("primary", 100, ref="fraud@production")])
    with pytest.raises(ConflictError) as error:
        manual(single, action, actor="ana", reason="x")  # type: ignore[arg-type]
    assert str(error.value) == (
        f"endpoint fraud serves one version: there is no rollout to {action}"
    )


@pytest.mark.parametrize("state", ["promoted", "rolled_back", "aborted"])
@pytest.mark.parametrize("action", ["pause", "resume", "abort", "promote"])
def test_a_finished_rollout_refuses_every_action(state: str, action: str) -> None:
    with pytest.raises(ConflictError) as error:
        manual(canary(state), action, actor="ana", reason="x")  # type: ignore[arg-type]
    assert str(error.value).startswith(
        f"cannot {action} the rollout of endpoint fraud: it is {state}, and {action} expects"
    )
