"""Two server processes on one registry database share a rollout: counts, feedback, state."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from rollouttools import predict, status, write_endpoints
from servertools import start_server

from modelyard.demo import Demo

pytestmark = pytest.mark.slow

AB = {
    "id": "ab-shared",
    "model": "breast_cancer@production",
    "traffic": {
        "strategy": "ab",
        "variants": {"a": "breast_cancer@production", "b": "breast_cancer:2"},
    },
}


def _settled(url: str) -> dict:
    """The status once both replicas' counts are in (each writes its own every tick)."""
    deadline = time.monotonic() + 30
    while True:
        document = status(url, "ab-shared")
        if sum(v["requests"] for v in document["variants"]) >= 200:
            return document
        assert time.monotonic() < deadline, document
        time.sleep(0.1)


def test_two_replicas_add_up_their_counts_and_take_each_others_feedback(
    rollout_demo: Demo, tmp_path: Path, rollout_admin: dict[str, str]
) -> None:
    path = write_endpoints(tmp_path / "endpoints.yaml", [AB])
    first = start_server(rollout_demo, path, tmp_path, rollout_tick_s=0.2)
    second = start_server(rollout_demo, path, tmp_path, rollout_tick_s=0.2)
    try:
        with httpx.Client(timeout=30) as client:
            answered = [
                predict(client, server.url, "ab-shared", rollout_demo.cancer_record)
                for server in (first, second)
                for _ in range(100)
            ]
            # feedback for requests the first replica answered, given to the second: its
            # status route writes what it answered, as every tick does
            status(first.url, "ab-shared")
            items = [
                {"request_id": a.headers["x-request-id"], "reward": 1.0} for a in answered[:100]
            ]
            taken = client.post(f"{second.url}/endpoints/ab-shared/feedback", json=items)
            paused = client.post(
                f"{first.url}/admin/rollouts/ab-shared/pause",
                json={"reason": "looking at the figures"},
                headers=rollout_admin,
            )
            seen = [_settled(server.url) for server in (first, second)]
    finally:
        first.stop()
        second.stop()
    assert taken.status_code == 200, taken.text
    assert paused.status_code == 200, paused.text
    for document in seen:
        assert sum(v["requests"] for v in document["variants"]) == 200
        assert sum(v["rewards"] for v in document["variants"]) == 100
        assert document["state"] == "paused"
        assert document["history"][-1]["actor"] == "rollout-tests-admin"
        assert document["history"][-1]["reason"] == "looking at the figures"


def test_a_replica_left_on_another_configuration_is_told_so(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    old = {**AB, "id": "ab-moved"}
    new = {**old, "traffic": {**AB["traffic"], "weights": {"a": 70, "b": 30}}}
    first = start_server(
        rollout_demo, write_endpoints(tmp_path / "old.yaml", [old]), tmp_path, rollout_tick_s=0.2
    )
    second = start_server(
        rollout_demo, write_endpoints(tmp_path / "new.yaml", [new]), tmp_path, rollout_tick_s=0.2
    )
    try:
        with httpx.Client(timeout=30) as client:
            answered = predict(client, first.url, "ab-moved", rollout_demo.cancer_record)
            refused = client.get(f"{first.url}/endpoints/ab-moved/rollout")
            feedback = client.post(
                f"{first.url}/endpoints/ab-moved/feedback",
                json={"request_id": answered.headers["x-request-id"], "reward": 1.0},
            )
            current = status(second.url, "ab-moved")
    finally:
        first.stop()
        second.stop()
    expected = (
        "the rollout of endpoint 'ab-moved' was restarted under another configuration; "
        "expected this replica's endpoints file to match the others'"
    )
    assert answered.status_code == 200  # requests are still answered
    assert (refused.status_code, refused.json()["error"]) == (409, expected)
    assert (feedback.status_code, feedback.json()["error"]) == (409, expected)
    assert {v["name"]: v["weight"] for v in current["variants"]} == {"a": 70.0, "b": 30.0}
    assert [event["reason"] for event in current["history"]][-1] == "configuration changed"
