"""Tokens on a rollout's routes, and the canary's transitions as JSON log lines, on real
servers: feedback is guarded like predict, a person's actions need an admin token, and an
automatic rollback is one ``rollout transition`` line with its reason and figures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from rollouttools import FlakyModel, predict, register_remote_candidate, serving, status
from servertools import RunningServer, new_token

from modelyard.demo import Demo
from modelyard.registry import Registry

pytestmark = pytest.mark.slow

ENDPOINT = "e2e-auth"
HOW_ADMIN = "create one with `modelyard token create NAME --role admin`"
HOW_PREDICT = "create one with `modelyard token create NAME --role predict`"
DEADLINE_S = 60
NO_TOKEN_PREDICT = (
    "this route needs a bearer token of role predict or admin: send "
    f"'Authorization: Bearer <token>'; {HOW_PREDICT}"
)

GUARDED_AB = {
    "id": ENDPOINT,
    "model": "breast_cancer:1",
    "auth": {"predict": "required"},
    "traffic": {
        "strategy": "ab",
        "variants": {"control": "breast_cancer:1", "treatment": "breast_cancer:2"},
        "weights": {"control": 50, "treatment": 50},
    },
}


@pytest.fixture(scope="module")
def predict_headers(rollout_demo: Demo) -> dict[str, str]:
    """A predict token's header (made before the server starts, which reads tokens then)."""
    token = new_token(rollout_demo, "e2e-auth-predict", "predict")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def guarded(
    rollout_demo: Demo,
    rollout_admin: dict[str, str],
    predict_headers: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    with serving(rollout_demo, tmp_path_factory.mktemp("rollout-auth"), [GUARDED_AB]) as server:
        yield server


def _answered_id(server: RunningServer, demo: Demo, headers: dict[str, str]) -> str:
    """The request id of one answered prediction (which feedback names)."""
    with httpx.Client(timeout=30) as client:
        answer = predict(client, server.url, ENDPOINT, demo.cancer_record, **headers)
    assert answer.status_code == 200, answer.text
    return answer.headers["x-request-id"]


def _feedback(server: RunningServer, request_id: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/endpoints/{ENDPOINT}/feedback",
        json={"request_id": request_id, "reward": 1.0},
        headers=headers,
        timeout=30,
    )


def test_feedback_without_a_token_is_the_same_401_as_predict(
    guarded: RunningServer, rollout_demo: Demo, predict_headers: dict[str, str]
) -> None:
    request_id = _answered_id(guarded, rollout_demo, predict_headers)
    with httpx.Client(timeout=30) as client:
        refused_predict = predict(client, guarded.url, ENDPOINT, rollout_demo.cancer_record)
    refused = _feedback(guarded, request_id)
    unknown = _feedback(guarded, request_id, Authorization="Bearer not-a-token")
    assert refused_predict.status_code == refused.status_code == 401
    assert refused.json()["error"] == refused_predict.json()["error"] == NO_TOKEN_PREDICT
    assert refused.headers["www-authenticate"] == refused_predict.headers["www-authenticate"]
    assert unknown.status_code == 401
    assert unknown.json()["error"] == f"the bearer token is unknown or revoked; {HOW_PREDICT}"
    assert _feedback(guarded, request_id, **predict_headers).status_code == 200  # not spent


def test_feedback_with_a_predict_or_an_admin_token_is_accepted(
    guarded: RunningServer,
    rollout_demo: Demo,
    predict_headers: dict[str, str],
    rollout_admin: dict[str, str],
) -> None:
    figures = status(guarded.url, ENDPOINT, predict_headers)
    before = sum(v["rewards"] or 0 for v in figures["variants"])
    for headers in (predict_headers, rollout_admin):
        sent = _feedback(guarded, _answered_id(guarded, rollout_demo, headers), **headers)
        assert sent.status_code == 200, sent.text
        assert sent.json() == {"accepted": 1}
    figures = status(guarded.url, ENDPOINT, predict_headers)
    after = sum(v["rewards"] or 0 for v in figures["variants"])
    assert after == before + 2


def _act(server: RunningServer, action: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/admin/rollouts/{ENDPOINT}/{action}",
        json={"reason": "checking who may"},
        headers=headers,
        timeout=30,
    )


def test_the_status_route_needs_what_predict_needs(
    guarded: RunningServer, predict_headers: dict[str, str]
) -> None:
    url = f"{guarded.url}/endpoints/{ENDPOINT}/rollout"
    anonymous = httpx.get(url, timeout=30)
    answer = httpx.get(url, headers=predict_headers, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == NO_TOKEN_PREDICT
    assert answer.status_code == 200
    assert answer.json()["endpoint"] == ENDPOINT


def test_actions_need_an_admin_token(
    guarded: RunningServer, predict_headers: dict[str, str], rollout_admin: dict[str, str]
) -> None:
    anonymous = _act(guarded, "pause", {})
    predictor = _act(guarded, "pause", predict_headers)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == (
        "this route needs a bearer token of role admin: send "
        f"'Authorization: Bearer <token>'; {HOW_ADMIN}"
    )
    assert predictor.status_code == 403
    assert predictor.json()["error"] == (
        f"this route needs a token of role admin, not predict; {HOW_ADMIN}"
    )
    assert predictor.headers["www-authenticate"] == (
        'Bearer realm="modelyard", error="insufficient_scope", scope="admin"'
    )
    assert status(guarded.url, ENDPOINT, rollout_admin)["state"] == "running"
    paused = _act(guarded, "pause", rollout_admin)
    assert paused.status_code == 200, paused.text
    assert paused.json()["state"] == "paused"
    assert paused.json()["history"][-1]["actor"] == "rollout-tests-admin"


def test_an_automatic_rollback_is_one_json_log_line_with_its_reason_and_figures(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    flaky = FlakyModel(fail_every=2)
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    candidate = register_remote_candidate(registry, tmp_path, flaky.url)
    registry.set_alias("breast_cancer", "e2e-log-home", 1, reason="the canary's primary")
    endpoint = {
        "id": "e2e-log-canary",
        "model": "breast_cancer@e2e-log-home",
        "traffic": {
            "strategy": "canary",
            "candidate": f"breast_cancer:{candidate}",
            "steps": [50],
            "interval": "1s",
            "min_requests": 20,
            "max_error_rate": 0.05,
        },
    }
    try:
        with (
            serving(rollout_demo, tmp_path, [endpoint], log_format="json") as server,
            httpx.Client(timeout=30) as client,
        ):
            document = _until_finished(server, rollout_demo, client)
            lines = [
                orjson.loads(line) for line in server.log_text().splitlines() if line[:1] == "{"
            ]
    finally:
        flaky.close()
        registry.close()
    assert document["state"] == "rolled_back"
    event = document["history"][-1]
    transitions = [line for line in lines if line["message"] == "rollout transition"]
    assert len(transitions) == 1, transitions
    logged = transitions[0]
    assert logged["level"] == "info" and logged["logger"] == "modelyard.serving.rollouts"
    assert (logged["endpoint"], logged["strategy"], logged["action"]) == (
        "e2e-log-canary",
        "canary",
        "rollback",
    )
    assert (logged["state"], logged["step"]) == ("rolled_back", 0)
    assert logged["weights"] == {"primary": 100.0, "candidate": 0.0}
    assert logged["reason"] == event["reason"]
    assert "max_error_rate 0.05" in logged["reason"]
    assert logged["figures"] == event["figures"]
    check = logged["figures"]["checks"]["max_error_rate"]
    assert check["passed"] is False and check["limit"] == 0.05 and check["value"] > 0.05


def _until_finished(server: RunningServer, demo: Demo, client: httpx.Client) -> dict[str, Any]:
    """Send requests until the canary is rolled back or promoted; its status then."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for _ in range(20):
            predict(client, server.url, "e2e-log-canary", demo.cancer_record)
        document = status(server.url, "e2e-log-canary")
        if document["state"] in {"rolled_back", "promoted"}:
            return document
    raise AssertionError(f"the canary never finished: {status(server.url, 'e2e-log-canary')}")
