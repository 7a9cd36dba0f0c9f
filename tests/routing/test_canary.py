"""Judging a canary step: wait, advance, promote, roll back, or give up for a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from routingtools import START, arm, rollout

from modelyard.core.errors import ConflictError
from modelyard.pipeline.traffic import CanaryTraffic
from modelyard.registry.rollout_types import (
    LATENCY_BOUNDS_S,
    AliasMove,
    ArmCounters,
    RolloutState,
    Transition,
)
from modelyard.routing.canary import judge

LATER = START + timedelta(seconds=61)
AT_DEADLINE = START + timedelta(hours=1)


def config(**changes: Any) -> CanaryTraffic:
    return CanaryTraffic(strategy="canary", candidate="fraud:4", **changes)


def latencies(bucket: int, count: int) -> tuple[int, ...]:
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    counts[bucket] = count
    return tuple(counts)


HEALTHY = ArmCounters(requests=200, latency=latencies(10, 200))


def canary(
    primary: ArmCounters = HEALTHY,
    candidate: ArmCounters = HEALTHY,
    *,
    step: int = 0,
    primary_ref: str = "fraud@production",
    candidate_ref: str = "fraud:4",
    state: str = "running",
) -> RolloutState:
    return rollout(
        "canary",
        [
            arm("primary", 95, ref=primary_ref, version=3, step=primary),
            arm("candidate", 5, ref=candidate_ref, version=4, step=candidate),
        ],
        step=step,
        state=state,  # type: ignore[arg-type]
    )


def judged(state: RolloutState, settings: CanaryTraffic | None = None) -> Transition:
    transition = judge(settings or config(), state, LATER)
    assert transition is not None
    return transition


@pytest.mark.parametrize("state", ["paused", "inconclusive", "promoted", "rolled_back"])
def test_a_canary_that_is_not_running_is_not_judged(state: str) -> None:
    assert judge(config(), canary(state=state), LATER) is None


def test_a_step_is_not_judged_before_its_interval() -> None:
    failing = ArmCounters(requests=200, errors=100)
    assert judge(config(), canary(candidate=failing), START + timedelta(seconds=59)) is None


def test_too_few_requests_before_the_deadline_keep_waiting() -> None:
    few = ArmCounters(requests=40)
    assert judge(config(), canary(candidate=few), AT_DEADLINE - timedelta(seconds=1)) is None


def test_too_few_requests_by_the_deadline_are_inconclusive() -> None:
    transition = judge(config(), canary(candidate=ArmCounters(requests=40)), AT_DEADLINE)
    assert transition == Transition(
        action="inconclusive",
        state="inconclusive",
        reason="not enough evidence by the deadline (1h): the candidate answered 40 of the "
        "100 requests a step needs",
        figures={
            "step": 0,
            "percent": 5.0,
            "requests": {"primary": 200, "candidate": 40},
            "min_requests": 100,
            "waited_s": 3600.0,
        },
    )


def test_a_candidate_over_the_error_rate_is_rolled_back() -> None:
    transition = judged(canary(candidate=ArmCounters(requests=200, errors=40)))
    assert transition.action == "rollback"
    assert transition.state == "rolled_back"
    assert transition.reason == "error rate 0.200 > max_error_rate 0.01 (40 of 200 requests)"
    assert transition.weights == {"primary": 100.0, "candidate": 0.0}
    assert transition.figures["checks"] == {
        "max_error_rate": {"value": 0.2, "limit": 0.01, "passed": False}
    }


def test_an_error_rate_increase_over_the_primarys_is_rolled_back() -> None:
    settings = config(max_error_rate=None, max_error_rate_increase=0.005)
    primary = ArmCounters(requests=1000, errors=10)
    candidate = ArmCounters(requests=200, errors=4)
    transition = judged(canary(primary, candidate), settings)
    assert transition.action == "rollback"
    assert transition.reason == (
        "error rate increase 0.010 > max_error_rate_increase 0.005 (candidate 0.020, primary 0.010)"
    )


def test_an_error_rate_like_the_primarys_passes_the_increase_check() -> None:
    settings = config(max_error_rate=None, max_error_rate_increase=0.005)
    primary = ArmCounters(requests=1000, errors=20)
    candidate = ArmCounters(requests=200, errors=4)
    assert judged(canary(primary, candidate), settings).action == "advance"


def test_a_primary_without_requests_counts_as_error_free() -> None:
    settings = config(max_error_rate=None, max_error_rate_increase=0.005)
    candidate = ArmCounters(requests=200, errors=2)
    transition = judged(canary(ArmCounters(), candidate), settings)
    assert transition.reason == (
        "error rate increase 0.010 > max_error_rate_increase 0.005 (candidate 0.010, primary 0.000)"
    )


def test_a_slower_p99_than_the_ratio_allows_is_rolled_back() -> None:
    slow = ArmCounters(requests=200, latency=latencies(14, 200))
    transition = judged(canary(candidate=slow), config(max_latency_ratio=1.5))
    assert transition.action == "rollback"
    assert transition.reason == (
        "p99 latency ratio 2.44 > max_latency_ratio 1.5 (candidate 2.28 ms, primary 0.93 ms)"
    )
    assert transition.figures["checks"]["max_latency_ratio"]["value"] == pytest.approx(2.4414, 1e-4)


def test_a_latency_ratio_without_primary_latencies_waits_for_evidence() -> None:
    settings = config(max_latency_ratio=1.5)
    assert judge(settings, canary(primary=ArmCounters()), LATER) is None
    transition = judge(settings, canary(primary=ArmCounters()), AT_DEADLINE)
    assert transition is not None and transition.state == "inconclusive"
    assert transition.figures["checks"]["max_latency_ratio"] == {
        "value": None,
        "limit": 1.5,
        "passed": None,
        "note": "p99 latency ratio skipped: the primary has no latencies in this step",
    }


def test_a_candidate_that_disagrees_with_the_primary_is_rolled_back() -> None:
    disagrees = ArmCounters(requests=200, labels_compared=200, labels_agreed=180)
    transition = judged(canary(candidate=disagrees), config(min_agreement=0.95))
    assert transition.action == "rollback"
    assert transition.reason == "agreement 0.900 < min_agreement 0.95 (180 of 200 labels)"


def test_agreement_asked_of_a_model_without_labels_ends_inconclusive() -> None:
    values = ArmCounters(requests=200, values_compared=100, absdiff_sum=0.5)
    settings = config(min_agreement=0.95)
    assert judge(settings, canary(candidate=values), LATER) is None
    transition = judge(settings, canary(candidate=values), AT_DEADLINE)
    assert transition is not None and transition.state == "inconclusive"
    assert transition.reason == (
        "not enough evidence by the deadline (1h): agreement skipped: only values were "
        "compared (mean absolute difference 0.005 over 100 values)"
    )


def test_no_comparisons_keep_waiting_for_agreement_until_the_deadline() -> None:
    settings = config(min_agreement=0.95)
    assert judge(settings, canary(), LATER) is None
    transition = judge(settings, canary(), AT_DEADLINE)
    assert transition is not None
    assert transition.state == "inconclusive"
    assert transition.reason == (
        "not enough evidence by the deadline (1h): agreement not judged: no answers were "
        "compared with the primary's yet"
    )


def test_a_failed_check_rolls_back_even_while_agreement_is_still_unknown() -> None:
    failing = ArmCounters(requests=200, errors=40)
    assert judged(canary(candidate=failing), config(min_agreement=0.95)).action == "rollback"


def test_every_failed_check_is_named_in_the_one_line() -> None:
    failing = ArmCounters(requests=200, errors=40, latency=latencies(14, 200))
    transition = judged(canary(candidate=failing), config(max_latency_ratio=1.5))
    assert transition.reason == (
        "error rate 0.200 > max_error_rate 0.01 (40 of 200 requests); "
        "p99 latency ratio 2.44 > max_latency_ratio 1.5 (candidate 2.28 ms, primary 0.93 ms)"
    )


def test_a_passed_step_advances_to_the_next_with_its_evidence() -> None:
    candidate = ArmCounters(requests=200, errors=1, latency=latencies(10, 200))
    transition = judged(canary(candidate=candidate), config(max_latency_ratio=1.5))
    assert transition == Transition(
        action="advance",
        state="running",
        reason="step 1 of 3 at 5% passed: error rate 0.005 <= max_error_rate 0.01 "
        "(1 of 200 requests); p99 latency ratio 1.00 <= max_latency_ratio 1.5 "
        "(candidate 0.93 ms, primary 0.93 ms)",
        step=1,
        weights={"primary": 75.0, "candidate": 25.0},
        figures={
            "step": 0,
            "percent": 5.0,
            "requests": {"primary": 200, "candidate": 200},
            "checks": {
                "max_error_rate": {"value": 0.005, "limit": 0.01, "passed": True},
                "max_latency_ratio": {"value": 1.0, "limit": 1.5, "passed": True},
            },
        },
        reset_step=True,
    )


def test_a_step_without_checks_passes_on_traffic_alone() -> None:
    transition = judged(canary(), config(max_error_rate=None))
    assert transition.reason == "step 1 of 3 at 5% passed: no checks set"


def test_the_last_step_passed_promotes_through_the_primarys_alias() -> None:
    transition = judged(canary(step=2))
    reason = (
        "canary of endpoint fraud: last step 3 of 3 at 50% passed: error rate 0.000 <= "
        "max_error_rate 0.01 (0 of 200 requests)"
    )
    assert transition.action == "promote"
    assert transition.state == "promoted"
    assert transition.reason == reason
    assert transition.weights == {"primary": 100.0, "candidate": 0.0}  # its alias moved
    assert transition.alias_move == AliasMove("fraud", "production", 4, reason)


def test_promotion_refuses_a_primary_without_an_alias() -> None:
    with pytest.raises(ConflictError) as error:
        judge(config(), canary(step=2, primary_ref="fraud:3"), LATER)
    assert str(error.value) == (
        "cannot promote candidate: the primary's reference fraud:3 names no alias to move "
        "(expected name@alias)"
    )


def test_promotion_refuses_a_candidate_of_another_model() -> None:
    with pytest.raises(ConflictError) as error:
        judge(config(), canary(step=2, candidate_ref="churn:4"), LATER)
    assert str(error.value) == (
        "cannot promote candidate: it serves model churn, not fraud whose alias production "
        "the primary follows"
    )
