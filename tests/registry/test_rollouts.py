"""Rollout state in the registry database: started once per configuration, counters folded in
by several processes, transitions judged and written in the same transaction.

Every test runs on a SQLite file and on a real PostgreSQL server (``registry_url``).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from modelyard.core.errors import ConflictError, NotFoundError
from modelyard.registry import Registry
from modelyard.registry.answer_blocks import NumberedAnswers
from modelyard.registry.rollout_types import (
    AliasMove,
    ArmCounters,
    ArmState,
    RolloutState,
    Transition,
)
from modelyard.registry.rollouts import StaleConfigurationError

Build = Callable[..., Path]

ROLLOUT_TABLES = (  # children first, so each drop leaves no dangling reference
    "rollout_feedback",
    "rollout_requests",
    "rollout_events",
    "rollout_arms",
    "rollouts",
)

CANARY_ARMS = (
    ArmState("primary", "fraud@production", 1, "variant", 95.0),
    ArmState("candidate", "fraud:2", 2, "variant", 5.0),
)
SHADOW_ARMS = (
    ArmState("primary", "fraud@production", 1, "variant", 100.0),
    ArmState("fraud:2", "fraud:2", 2, "shadow", 100.0),
)


def _start_canary(registry: Registry, digest: str = "a" * 64) -> RolloutState:
    return registry.rollouts.start("bc", "canary", digest, "primary", CANARY_ARMS)


def _answered(requests: int, errors: int = 0, bucket: int = 3) -> ArmCounters:
    latency = [0] * (bucket + 1)
    latency[bucket] = requests
    return ArmCounters(requests=requests, errors=errors, latency=tuple(latency))


def _refuse(state: RolloutState) -> Transition:
    raise ConflictError(f"cannot resume: the rollout is {state.state}")


def test_a_registry_made_before_rollouts_gains_their_tables_and_keeps_its_data(
    registry: Registry, registry_url: str, artifacts: str, package: Build
) -> None:
    registry.register(package("fraud"))
    registry.close()
    engine = create_engine(registry_url)
    with engine.begin() as connection:
        for table in ROLLOUT_TABLES:
            connection.execute(text(f"DROP TABLE {table}"))
    engine.dispose()

    reopened = Registry(registry_url, artifacts)
    try:
        assert _start_canary(reopened).revision == 1
        assert reopened.get("fraud").version == 1
    finally:
        reopened.close()


def test_start_writes_a_running_canary_at_step_zero_and_a_start_event(
    registry: Registry,
) -> None:
    state = _start_canary(registry)
    assert (state.endpoint, state.strategy, state.primary) == ("bc", "canary", "primary")
    assert (state.state, state.step, state.revision) == ("running", 0, 1)
    assert state.started_at == state.step_started_at == state.updated_at
    assert state.weights == {"primary": 95.0, "candidate": 5.0}
    assert [(a.name, a.version, a.total, a.step) for a in state.arms] == [
        ("primary", 1, ArmCounters(), ArmCounters()),
        ("candidate", 2, ArmCounters(), ArmCounters()),
    ]
    assert registry.rollouts.get("bc") == state
    [event] = registry.rollouts.history("bc")
    assert (event.action, event.from_state, event.to_state, event.step) == (
        "start",
        None,
        "running",
        0,
    )
    assert event.reason == "started"
    assert event.figures == {"digest": "a" * 64, "weights": {"primary": 95.0, "candidate": 5.0}}


def test_a_strategy_without_steps_has_no_step_and_keeps_its_shadows(registry: Registry) -> None:
    state = registry.rollouts.start("bc", "shadow", "b" * 64, "primary", SHADOW_ARMS)
    assert state.step is None
    assert state.weights == {"primary": 100.0}
    assert state.arm("fraud:2").role == "shadow" and state.arm("fraud:2").weight == 100.0


def test_a_restarted_server_resumes_the_rollout_with_the_same_digest(
    registry: Registry, registry_url: str, artifacts: str
) -> None:
    _start_canary(registry)
    before = registry.rollouts.sync("bc", {"candidate": _answered(7, errors=1)})
    again = Registry(registry_url, artifacts)
    try:
        resumed = _start_canary(again)
    finally:
        again.close()
    assert resumed == before
    assert resumed.arm("candidate").total == _answered(7, errors=1)
    assert len(registry.rollouts.history("bc")) == 1


def test_another_digest_starts_anew_and_forgets_requests_and_feedback(
    registry: Registry,
) -> None:
    _start_canary(registry)
    at = datetime.now(UTC)
    registry.rollouts.record_requests("bc", [("r1", "candidate", None, at)])
    registry.rollouts.add_feedback("bc", [("r1", "candidate", 1.0, None)], actor="app")
    registry.rollouts.sync(
        "bc", {}, decide=lambda s: Transition("pause", "paused", "looking", actor="ops")
    )

    state = _start_canary(registry, digest="c" * 64)
    assert (state.digest, state.state, state.step, state.revision) == ("c" * 64, "running", 0, 1)
    assert all(arm.total == ArmCounters() for arm in state.arms)
    assert registry.rollouts.find_request("bc", "r1") is None
    # The feedback is gone too: the same id may be fed back again in the new rollout.
    registry.rollouts.record_requests("bc", [("r1", "candidate", None, at)])
    registry.rollouts.add_feedback("bc", [("r1", "candidate", 0.0, None)], actor="app")
    actions = [
        (e.action, e.from_state, e.to_state, e.reason) for e in registry.rollouts.history("bc")
    ]
    assert actions == [
        ("start", None, "running", "started"),
        ("pause", "running", "paused", "looking"),
        ("start", "paused", "running", "configuration changed"),
    ]


def test_sync_adds_deltas_to_totals_and_step_and_records_versions(registry: Registry) -> None:
    _start_canary(registry)
    registry.rollouts.sync("bc", {"candidate": _answered(3)})
    state = registry.rollouts.sync(
        "bc",
        {"candidate": _answered(2, errors=1, bucket=5), "gone": _answered(9)},
        versions={"primary": 4},
    )
    candidate = state.arm("candidate")
    assert (
        candidate.total
        == candidate.step
        == ArmCounters(requests=5, errors=1, latency=(0, 0, 0, 3, 0, 2))
    )
    assert state.arm("primary").version == 4 and state.arm("primary").total == ArmCounters()
    assert state.revision == 1
    assert registry.rollouts.get("bc") == state


def test_a_replica_of_another_configuration_writes_nothing(registry: Registry) -> None:
    _start_canary(registry, digest="a" * 64)
    with pytest.raises(StaleConfigurationError, match="restarted under another configuration"):
        registry.rollouts.sync("bc", {"candidate": _answered(5)}, digest="b" * 64)
    state = registry.rollouts.sync("bc", {"primary": _answered(3)}, digest="a" * 64)
    assert (state.arm("primary").total.requests, state.arm("candidate").total.requests) == (3, 0)


def test_feedback_from_a_replica_of_another_configuration_is_refused(registry: Registry) -> None:
    _start_canary(registry, digest="a" * 64)
    with pytest.raises(StaleConfigurationError):
        registry.rollouts.add_feedback("bc", [("r1", "candidate", 1.0, None)], "app", "b" * 64)
    registry.rollouts.add_feedback("bc", [("r1", "candidate", 1.0, None)], "app", "a" * 64)
    assert registry.rollouts.get("bc").arm("candidate").total.rewards == 1  # type: ignore[union-attr]


def test_sync_of_an_unknown_endpoint_names_the_known_ones(registry: Registry) -> None:
    with pytest.raises(NotFoundError) as empty:
        registry.rollouts.sync("bc", {})
    assert str(empty.value) == "no rollout for endpoint 'bc'; rollouts: (none)"
    _start_canary(registry)
    registry.rollouts.start("iris", "shadow", "d" * 64, "primary", SHADOW_ARMS)
    with pytest.raises(NotFoundError) as error:
        registry.rollouts.sync("fraud", {"primary": _answered(1)})
    assert str(error.value) == "no rollout for endpoint 'fraud'; rollouts: bc, iris"
    assert registry.rollouts.get("fraud") is None
    assert [s.endpoint for s in registry.rollouts.list()] == ["bc", "iris"]


def test_a_transition_with_a_new_step_clears_the_step_counters_and_is_recorded(
    registry: Registry,
) -> None:
    started = _start_canary(registry)
    seen: list[RolloutState] = []

    def advance(state: RolloutState) -> Transition:
        seen.append(state)
        return Transition(
            "advance",
            "running",
            "step 0 passed",
            step=1,
            weights={"primary": 75.0, "candidate": 25.0},
            figures={"error_rate": 0.0},
            reset_step=True,
        )

    state = registry.rollouts.sync("bc", {"candidate": _answered(100)}, decide=advance)
    assert seen[0].arm("candidate").step.requests == 100  # judged on the sums just written
    assert (state.step, state.revision, state.weights) == (
        1,
        2,
        {"primary": 75.0, "candidate": 25.0},
    )
    assert state.arm("candidate").step == ArmCounters()
    assert state.arm("candidate").total.requests == 100
    assert state.step_started_at > started.step_started_at
    event = registry.rollouts.history("bc")[-1]
    assert (event.action, event.actor, event.from_state, event.to_state, event.step) == (
        "advance",
        "modelyard",
        "running",
        "running",
        1,
    )
    assert (event.reason, event.figures) == ("step 0 passed", {"error_rate": 0.0})


def test_an_unrecorded_transition_changes_only_the_weights(registry: Registry) -> None:
    registry.rollouts.start("bc", "bandit", "e" * 64, "primary", CANARY_ARMS)
    reweigh = Transition(
        "reweigh",
        "paused",
        "thompson",
        step=3,
        weights={"primary": 40.0, "candidate": 60.0},
        reset_step=True,
        record=False,
    )
    state = registry.rollouts.sync("bc", {"candidate": _answered(4)}, decide=lambda s: reweigh)
    assert state.weights == {"primary": 40.0, "candidate": 60.0}
    assert (state.state, state.step, state.revision) == ("running", None, 1)
    assert state.arm("candidate").step.requests == 4
    assert len(registry.rollouts.history("bc")) == 1


def test_a_decide_that_raises_writes_nothing(registry: Registry) -> None:
    before = _start_canary(registry)
    with pytest.raises(ConflictError, match=r"^cannot resume: the rollout is running$"):
        registry.rollouts.sync("bc", {"candidate": _answered(5)}, decide=_refuse)
    assert registry.rollouts.get("bc") == before
    assert len(registry.rollouts.history("bc")) == 1


def test_a_promotion_moves_the_alias_in_the_alias_history_with_its_evidence(
    registry: Registry, package: Build
) -> None:
    registry.register(package("fraud"))
    registry.register(package("fraud"))
    registry.set_alias("fraud", "production", 1, reason="first")
    _start_canary(registry)
    evidence = "canary passed 3 steps: error rate 0.2% vs 0.3%, p99 ratio 1.04"
    promote = Transition(
        "promote",
        "promoted",
        "last step passed",
        weights={"primary": 0.0, "candidate": 100.0},
        alias_move=AliasMove("fraud", "production", 2, evidence),
    )
    state = registry.rollouts.sync("bc", {}, decide=lambda s: promote)
    assert (state.state, state.revision, state.weights["candidate"]) == ("promoted", 2, 100.0)
    assert registry.aliases("fraud") == {"production": 2}
    move = registry.alias_history("fraud", "production")[-1]
    assert (move.from_version, move.to_version, move.actor, move.reason) == (
        1,
        2,
        "modelyard",
        evidence,
    )
    assert registry.rollouts.history("bc")[-1].action == "promote"


def test_a_promotion_to_a_missing_version_writes_nothing(
    registry: Registry, package: Build
) -> None:
    registry.register(package("fraud"))
    registry.set_alias("fraud", "production", 1, reason="first")
    before = _start_canary(registry)
    promote = Transition(
        "promote", "promoted", "done", alias_move=AliasMove("fraud", "production", 7, "ok")
    )
    with pytest.raises(NotFoundError, match=r"^model 'fraud' has no version 7; versions: 1$"):
        registry.rollouts.sync("bc", {"candidate": _answered(3)}, decide=lambda s: promote)
    assert registry.rollouts.get("bc") == before
    assert registry.aliases("fraud") == {"production": 1}
    assert len(registry.alias_history("fraud")) == 1


def sync_concurrently(
    url: str, artifacts: str, rounds: int, start: Barrier, results: Queue[Any]
) -> None:
    """Worker: one server replica folding its counters in, one request per round, and
    advancing the canary once the step holds 50 requests."""
    registry = Registry(url, artifacts)

    def advance(state: RolloutState) -> Transition | None:
        if state.step == 0 and state.arm("candidate").step.requests >= 50:
            return Transition("advance", "running", "step 0 passed", step=1, reset_step=True)
        return None

    start.wait()
    for _ in range(rounds):
        delta = ArmCounters(requests=1, errors=1, latency=(0, 1), reward_sum=0.5, rewards=1)
        registry.rollouts.sync("bc", {"candidate": delta}, decide=advance)
    registry.close()
    results.put(rounds)


def test_two_processes_syncing_at_once_sum_exactly_and_advance_once(
    registry: Registry, registry_url: str, artifacts: str
) -> None:
    _start_canary(registry)
    processes, rounds = 2, 40
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(
            target=sync_concurrently, args=(registry_url, artifacts, rounds, start, results)
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert done == [rounds] * processes

    candidate = registry.rollouts.get("bc")
    assert candidate is not None
    total = candidate.arm("candidate").total
    assert (total.requests, total.errors, total.latency, total.rewards) == (80, 80, (0, 80), 80)
    assert total.reward_sum == 40.0
    assert candidate.step == 1 and candidate.arm("candidate").step.requests == 30
    advances = [e for e in registry.rollouts.history("bc") if e.action == "advance"]
    assert len(advances) == 1


def test_requests_are_recorded_once_and_found_by_id(registry: Registry) -> None:
    _start_canary(registry)
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    registry.rollouts.record_requests(
        "bc", [("r1", "candidate", ["malignant", "benign"], at), ("r2", "primary", None, at)]
    )
    registry.rollouts.record_requests(
        "bc", [("r1", "primary", [0], at + timedelta(seconds=1)), ("r3", "primary", [1], at)]
    )
    registry.rollouts.record_requests("bc", [])
    assert registry.rollouts.find_request("bc", "r1") == ("candidate", ["malignant", "benign"], at)
    assert registry.rollouts.find_request("bc", "r2") == ("primary", None, at)
    assert registry.rollouts.find_request("bc", "r3") == ("primary", [1], at)
    assert registry.rollouts.find_request("bc", "r4") is None
    assert registry.rollouts.find_request("iris", "r1") is None


def test_server_numbered_requests_are_found_in_their_tick_s_block(registry: Registry) -> None:
    _start_canary(registry)
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    store = registry.rollouts
    store.record_block(
        "bc", "a1b2", _numbered((7, "primary", "benign"), (9, "candidate", None)), at
    )
    later = at + timedelta(seconds=1)
    store.record_block(
        "bc", "a1b2", _numbered((12, "primary", "benign"), (10, "candidate", 1)), later
    )
    assert store.find_request("bc", "a1b2-7") == ("primary", ["benign"], at)
    assert store.find_request("bc", "a1b2-9") == ("candidate", None, at)
    assert store.find_request("bc", "a1b2-10") == ("candidate", [1], later)
    assert store.find_request("bc", "a1b2-12") == ("primary", ["benign"], later)
    for unknown in ("a1b2-8", "a1b2-11", "a1b2-6", "a1b2-13", "ffff-7", "a1b2-x", "7"):
        assert store.find_request("bc", unknown) is None, unknown
    assert store.find_request("iris", "a1b2-7") is None


def _numbered(*answers: tuple[int, str, Any]) -> NumberedAnswers:
    numbered = NumberedAnswers()
    for answer in answers:
        assert numbered.add(*answer)
    return numbered


def test_an_answer_a_byte_code_cannot_hold_is_declined() -> None:
    numbered = NumberedAnswers()
    assert all(numbered.add(n, "primary", f"class-{n}") for n in range(255))
    assert not numbered.add(300, "primary", "class-256")  # a 256th label
    assert not numbered.add(301, "primary", ["a", "list"])  # not a dictionary key
    assert numbered.add(302, "primary", "class-7")  # a label already coded
    assert len(numbered) == 256


def test_feedback_credits_rewards_to_the_arm_totals_and_step(registry: Registry) -> None:
    _start_canary(registry)
    registry.rollouts.add_feedback(
        "bc",
        [
            ("r1", "candidate", 0.5, None),
            ("r2", "candidate", 1.0, "benign"),
            ("r3", "gone", 1.0, None),
        ],
        actor="app",
    )
    registry.rollouts.add_feedback("bc", [("r4", "primary", 0.0, "malignant")], actor="app")
    state = registry.rollouts.get("bc")
    assert state is not None
    expected = ArmCounters(rewards=2, reward_sum=1.5, reward_sumsq=1.25, labelled=1)
    assert state.arm("candidate").total == state.arm("candidate").step == expected
    assert state.arm("primary").total == ArmCounters(rewards=1, labelled=1)


def test_a_second_feedback_for_a_request_conflicts_and_writes_nothing(
    registry: Registry,
) -> None:
    _start_canary(registry)
    registry.rollouts.add_feedback("bc", [("r1", "candidate", 1.0, None)], actor="app")
    before = registry.rollouts.get("bc")
    message = r"^request 'r1' already has feedback; expected one feedback per request$"
    with pytest.raises(ConflictError, match=message):
        registry.rollouts.add_feedback(
            "bc", [("r2", "candidate", 1.0, None), ("r1", "candidate", 0.0, None)], actor="app"
        )
    with pytest.raises(ConflictError, match=message.replace("r1", "r5")):
        registry.rollouts.add_feedback(
            "bc", [("r5", "primary", 1.0, None), ("r5", "primary", 1.0, None)], actor="app"
        )
    assert registry.rollouts.get("bc") == before
    # r2 was not kept either: it can still be fed back.
    registry.rollouts.add_feedback("bc", [("r2", "primary", 1.0, None)], actor="app")


def test_feedback_for_an_unknown_endpoint_names_the_known_ones(registry: Registry) -> None:
    _start_canary(registry)
    with pytest.raises(NotFoundError, match=r"^no rollout for endpoint 'iris'; rollouts: bc$"):
        registry.rollouts.add_feedback("iris", [("r1", "primary", 1.0, None)], actor="app")


def test_prune_forgets_requests_and_feedback_older_than_the_window(registry: Registry) -> None:
    _start_canary(registry)
    now = datetime.now(UTC)
    old, recent = now - timedelta(hours=25), now - timedelta(hours=1)
    registry.rollouts.record_requests(
        "bc", [("old", "primary", None, old), ("recent", "primary", None, recent)]
    )
    registry.rollouts.record_block("bc", "cafe", _numbered((1, "primary", None)), old)
    registry.rollouts.add_feedback("bc", [("old", "primary", 1.0, None)], actor="app")
    assert registry.rollouts.prune("bc", now - timedelta(hours=24)) == 2  # request + block
    assert registry.rollouts.find_request("bc", "old") is None
    assert registry.rollouts.find_request("bc", "cafe-1") is None
    assert registry.rollouts.find_request("bc", "recent") is not None
    assert registry.rollouts.prune("bc", now + timedelta(seconds=1)) == 2  # request + feedback
