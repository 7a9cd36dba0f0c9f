"""The status document of a rollout, as the CLI prints it and the server answers it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from routingtools import START, arm, rollout

from modelyard.registry.rollout_types import (
    LATENCY_BOUNDS_S,
    ArmCounters,
    RolloutEvent,
    RolloutState,
)
from modelyard.routing.histogram import bucket_index
from modelyard.routing.status import status_document


def latencies(*seconds: float) -> tuple[int, ...]:
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    for value in seconds:
        counts[bucket_index(value)] += 1
    return tuple(counts)


def canary_history() -> list[RolloutEvent]:
    return [
        RolloutEvent(
            id=1,
            endpoint="fraud",
            at=START + timedelta(minutes=1),
            actor="modelyard",
            action="advance",
            from_state="running",
            to_state="running",
            step=0,
            reason="step 1 of 3 at 5% passed: no checks set",
            figures={"checks": {"max_latency_ratio": {"value": float("nan")}}},
        )
    ]


def canary_state() -> RolloutState:
    bound = LATENCY_BOUNDS_S[10]
    return rollout(
        "canary",
        [
            arm(
                "primary",
                75,
                ref="fraud@production",
                version=3,
                total=ArmCounters(requests=300, errors=3, latency=latencies(*[bound] * 300)),
                step=ArmCounters(requests=30, latency=latencies(*[bound] * 30)),
            ),
            arm(
                "candidate",
                25,
                ref="fraud:4",
                version=4,
                total=ArmCounters(
                    requests=100, labels_compared=10, labels_agreed=9, latency=latencies(bound)
                ),
                step=ArmCounters(requests=10),
            ),
        ],
        step=1,
        updated_at=START + timedelta(minutes=1),
    )


def test_a_canary_status_has_totals_the_current_step_and_history() -> None:
    document = status_document(canary_state(), canary_history())
    ms = LATENCY_BOUNDS_S[10] * 1000
    assert document["endpoint"] == "fraud"
    assert document["strategy"] == "canary"
    assert document["state"] == "running"
    assert document["step"] == 1
    assert document["started_at"] == "2026-12-01T12:00:00+00:00"
    assert document["updated_at"] == "2026-12-01T12:01:00+00:00"
    assert document["variants"] == [
        {
            "name": "primary",
            "ref": "fraud@production",
            "version": 3,
            "weight": 75,
            "requests": 300,
            "errors": 3,
            "error_rate": 0.01,
            "p50_ms": pytest.approx(ms),
            "p99_ms": pytest.approx(ms),
            "reward_mean": None,
            "reward_ci": None,
            "rewards": 0,
            "labelled": 0,
        },
        {
            "name": "candidate",
            "ref": "fraud:4",
            "version": 4,
            "weight": 25,
            "requests": 100,
            "errors": 0,
            "error_rate": 0.0,
            "p50_ms": pytest.approx(ms),
            "p99_ms": pytest.approx(ms),
            "reward_mean": None,
            "reward_ci": None,
            "rewards": 0,
            "labelled": 0,
            "agreement": 0.9,
        },
    ]
    step = {v["name"]: v for v in document["step_variants"]}
    assert (step["primary"]["requests"], step["candidate"]["requests"]) == (30, 10)
    assert step["candidate"]["p99_ms"] is None
    assert step["candidate"]["agreement"] is None
    assert document["shadows"] == []
    assert document["verdict"] is None
    assert document["history"] == [
        {
            "at": "2026-12-01T12:01:00+00:00",
            "actor": "modelyard",
            "action": "advance",
            "from": "running",
            "to": "running",
            "step": 0,
            "reason": "step 1 of 3 at 5% passed: no checks set",
            "figures": {"checks": {"max_latency_ratio": {"value": None}}},
        }
    ]


def test_the_document_is_strict_json() -> None:
    document = status_document(canary_state(), canary_history())
    assert json.loads(json.dumps(document, allow_nan=False)) == json.loads(json.dumps(document))


def test_an_ab_status_has_rewards_with_intervals_and_a_verdict() -> None:
    a = ArmCounters(requests=100, rewards=100, reward_sum=30, reward_sumsq=30, labelled=100)
    b = ArmCounters(requests=100, rewards=100, reward_sum=45, reward_sumsq=45, labelled=100)
    state = rollout(
        "ab",
        [arm("a", 50, ref="fraud@production", total=a), arm("b", 50, ref="fraud:5", total=b)],
        primary="a",
        step=None,
    )
    document = status_document(state, [])
    assert document["step"] is None
    assert document["step_variants"] is None
    variant = document["variants"][1]
    assert variant["reward_mean"] == 0.45
    assert variant["reward_ci"] == [pytest.approx(0.3561, abs=1e-4), pytest.approx(0.5475, 1e-3)]
    assert (variant["rewards"], variant["labelled"]) == (100, 100)
    assert "agreement" not in variant
    assert document["verdict"]["metric"] == "accuracy"
    assert document["verdict"]["best"] == "b"
    assert document["verdict"]["difference"] == pytest.approx(0.15)


def test_a_bandit_status_has_a_verdict_too() -> None:
    state = rollout("bandit", [arm("m:1", 50), arm("m:2", 50)], primary="m:1")
    assert status_document(state, [])["verdict"]["control"] == "m:1"


def test_a_shadow_status_reports_mirroring_and_agreement() -> None:
    shadow = ArmCounters(
        mirrored=200,
        dropped=5,
        mirror_errors=2,
        labels_compared=190,
        labels_agreed=171,
        values_compared=190,
        absdiff_sum=3.8,
        absdiff_max=0.4,
        latency=latencies(0.002, 0.002, 0.05),
    )
    state = rollout(
        "shadow",
        [
            arm("primary", 100, ref="fraud@production", version=3),
            arm("fraud:4", 50, ref="fraud:4", version=4, role="shadow", total=shadow),
        ],
    )
    document = status_document(state, [])
    assert document["variants"][0]["name"] == "primary"
    assert document["verdict"] is None
    assert document["shadows"] == [
        {
            "ref": "fraud:4",
            "version": 4,
            "percent": 50,
            "mirrored": 200,
            "dropped": 5,
            "errors": 2,
            "agreement": 0.9,
            "mean_abs_diff": pytest.approx(0.02),
            "max_abs_diff": 0.4,
            "p50_ms": pytest.approx(LATENCY_BOUNDS_S[bucket_index(0.002)] * 1000),
            "p99_ms": pytest.approx(LATENCY_BOUNDS_S[bucket_index(0.05)] * 1000),
        }
    ]


def test_a_shadow_without_comparisons_has_no_agreement_figures() -> None:
    state = rollout(
        "shadow",
        [arm("primary", 100), arm("m:2", 100, role="shadow", total=ArmCounters(dropped=3))],
    )
    shadow = status_document(state, [])["shadows"][0]
    assert (shadow["agreement"], shadow["mean_abs_diff"], shadow["max_abs_diff"]) == (
        None,
        None,
        None,
    )
    assert (shadow["p50_ms"], shadow["p99_ms"]) == (None, None)
