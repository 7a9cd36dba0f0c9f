"""Progressive canaries on a real server: a failing candidate rolled back, a healthy one
promoted through the alias history, a killed server resuming at the same step."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from rollouttools import (
    FlakyModel,
    predict,
    register_remote_candidate,
    serving,
    status,
    write_endpoints,
)
from servertools import start_server

from modelyard.demo import Demo
from modelyard.registry import Registry

pytestmark = pytest.mark.slow

DEADLINE_S = 60


def _canary(endpoint: str, candidate: str, **checks: Any) -> dict[str, Any]:
    return {
        "id": endpoint,
        "model": "breast_cancer@production",
        "traffic": {
            "strategy": "canary",
            "candidate": candidate,
            "steps": checks.pop("steps", [50]),
            "interval": checks.pop("interval", "1s"),
            "min_requests": checks.pop("min_requests", 20),
            **checks,
        },
    }


def _until(
    url: str, endpoint: str, states: set[str], client: httpx.Client, send: Any
) -> dict[str, Any]:
    """Send requests (``send(client)``) until the rollout reaches one of ``states``."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for _ in range(20):
            send(client)
        document = status(url, endpoint)
        if document["state"] in states:
            return document
    raise AssertionError(f"rollout of {endpoint} never reached {states}: {status(url, endpoint)}")


def test_a_failing_candidate_is_rolled_back_and_no_request_fails_after(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    flaky = FlakyModel(fail_every=5)
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    candidate = register_remote_candidate(registry, tmp_path, flaky.url)
    endpoint = _canary("canary-flaky", f"breast_cancer:{candidate}", max_error_rate=0.05)
    failures: list[str] = []
    answers: list[str] = []

    def send(client: httpx.Client) -> None:
        answer = predict(client, server.url, "canary-flaky", rollout_demo.cancer_record)
        answers.append(answer.headers.get("x-variant", "?"))
        if answer.status_code != 200:
            failures.append(answer.headers.get("x-variant", "?"))

    try:
        with (
            serving(rollout_demo, tmp_path, [endpoint]) as server,
            httpx.Client(timeout=30) as client,
        ):
            document = _until(server.url, "canary-flaky", {"rolled_back", "promoted"}, client, send)
            assert document["state"] == "rolled_back"
            rolled_back_at = len(answers)
            for _ in range(200):
                send(client)
    finally:
        flaky.close()
        registry.close()
    event = document["history"][-1]
    assert event["action"] == "rollback" and event["to"] == "rolled_back"
    assert event["reason"].startswith("error rate ")
    assert "max_error_rate 0.05" in event["reason"]
    assert failures and set(failures) == {"candidate"}
    after = answers[rolled_back_at + 20 :]  # past the requests already routed at the switch
    assert set(after) == {"primary"}
    weights = {v["name"]: v["weight"] for v in document["variants"]}
    assert weights == {"primary": 100.0, "candidate": 0.0}


def test_a_healthy_candidate_is_promoted_through_the_alias_history(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    registry.set_alias("breast_cancer", "canary-home", 1, reason="a canary's primary")
    endpoint = _canary(
        "canary-good",
        "breast_cancer:2",
        steps=[20, 60],
        max_latency_ratio=5.0,
        min_agreement=0.99,  # every candidate answer is also run on the primary and compared
        agreement_percent=100,
    )
    endpoint["model"] = "breast_cancer@canary-home"

    def send(client: httpx.Client) -> None:
        assert (
            predict(client, server.url, "canary-good", rollout_demo.cancer_record).status_code
            == 200
        )

    with serving(rollout_demo, tmp_path, [endpoint]) as server, httpx.Client(timeout=30) as client:
        document = _until(server.url, "canary-good", {"promoted", "rolled_back"}, client, send)
        deadline = time.monotonic() + DEADLINE_S
        while True:  # the primary answers again, from the promoted version once reloaded
            last = predict(client, server.url, "canary-good", rollout_demo.cancer_record)
            assert last.headers["x-variant"] == "primary"
            if last.headers["x-model-version"] == "2" or time.monotonic() > deadline:
                break
    assert document["state"] == "promoted", document["history"]
    actions = [event["action"] for event in document["history"]]
    assert actions == ["start", "advance", "promote"]
    assert registry.aliases("breast_cancer")["canary-home"] == 2
    move = registry.alias_history("breast_cancer", "canary-home")[-1]
    assert (move.from_version, move.to_version) == (1, 2)
    assert move.reason == document["history"][-1]["reason"]
    assert "error rate" in move.reason and "agreement" in move.reason
    figures = document["history"][-1]["figures"]
    assert figures["checks"]["min_agreement"]["passed"] is True
    candidate = next(v for v in document["variants"] if v["name"] == "candidate")
    assert candidate["agreement"] == 1.0  # the same package: every label agrees
    assert last.headers["x-model-version"] == "2"
    registry.close()


def test_a_killed_server_resumes_the_rollout_at_the_same_step(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    endpoint = _canary("canary-resume", "breast_cancer:2", steps=[10, 50, 90], min_requests=10)
    path = write_endpoints(tmp_path / "endpoints.yaml", [endpoint])
    server = start_server(rollout_demo, path, tmp_path, rollout_tick_s=0.2)
    try:
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + DEADLINE_S
            while status(server.url, "canary-resume")["step"] == 0:
                assert time.monotonic() < deadline
                for _ in range(20):
                    predict(client, server.url, "canary-resume", rollout_demo.cancer_record)
        before = status(server.url, "canary-resume")
    finally:
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
    assert before["step"] == 1 and before["state"] == "running"
    again = start_server(rollout_demo, path, tmp_path, rollout_tick_s=0.2)
    try:
        after = status(again.url, "canary-resume")
    finally:
        again.stop()
    assert (after["state"], after["step"]) == ("running", 1)
    assert {v["name"]: v["weight"] for v in after["variants"]} == {
        "primary": 50.0,
        "candidate": 50.0,
    }
    assert [e["action"] for e in after["history"]] == ["start", "advance"]
