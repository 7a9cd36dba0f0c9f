"""``modelyard rollout`` against a real running server: the status it prints is the server's,
actions need an admin token and are recorded with its name, a promotion moves the primary's
alias, and the registry database read directly tells the same story."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rollouttools import predict, serving, status
from servertools import RunningServer, new_token

from modelyard.demo import Demo
from modelyard.registry import Registry

pytestmark = pytest.mark.slow

HOME = "e2e-home"
ADMIN_NAME = "rollout-tests-admin"  # the rollout_admin fixture's token
HOW_ADMIN = "create one with `modelyard token create NAME --role admin`"


def _ab(endpoint: str, model: str = "breast_cancer@production") -> dict[str, Any]:
    return {
        "id": endpoint,
        "model": model,
        "traffic": {
            "strategy": "ab",
            "variants": {"control": model, "treatment": "breast_cancer:2"},
            "weights": {"control": 50, "treatment": 50},
        },
    }


@pytest.fixture(scope="module")
def predict_token(rollout_demo: Demo) -> str:
    """A predict token (made before the server starts, which reads tokens at start)."""
    token = new_token(rollout_demo, "e2e-cli-predict", "predict")
    return token


@pytest.fixture(scope="module")
def cli_server(
    rollout_demo: Demo,
    rollout_admin: dict[str, str],
    predict_token: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    """A/B endpoints, one per test; ``e2e-cli-promote``'s primary follows ``@e2e-home`` (= 1)."""
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    registry.set_alias("breast_cancer", HOME, 1, reason="the promotion test's primary")
    registry.close()
    endpoints = [
        _ab("e2e-cli-status"),
        _ab("e2e-cli-steer"),
        _ab("e2e-cli-refused"),
        _ab("e2e-cli-promote", f"breast_cancer@{HOME}"),
    ]
    with serving(rollout_demo, tmp_path_factory.mktemp("cli-server"), endpoints) as server:
        yield server


def _admin_token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def modelyard(demo: Demo, *args: str) -> subprocess.CompletedProcess[str]:
    """``modelyard --registry ... ARGS`` as a user runs it (no server or token from the
    environment unless the arguments name them)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MODELYARD_SERVER", "MODELYARD_TOKEN")}
    command = [str(Path(sys.executable).with_name("modelyard"))]
    command += ["--registry", demo.registry_url, "--artifacts", str(demo.artifacts), *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False,
        env={**env, "COLUMNS": "200"},
    )  # fmt: skip


def _steady(document: dict[str, Any]) -> dict[str, Any]:
    """The status document but for when it was last written (every read writes it)."""
    return {key: value for key, value in document.items() if key != "updated_at"}


def _traffic(server: RunningServer, demo: Demo, endpoint: str, calls: int = 40) -> None:
    with httpx.Client(timeout=30) as client:
        for _ in range(calls):
            assert predict(client, server.url, endpoint, demo.cancer_record).status_code == 200


def test_status_through_the_server_is_the_status_route(
    cli_server: RunningServer, rollout_demo: Demo
) -> None:
    _traffic(cli_server, rollout_demo, "e2e-cli-status")
    route = status(cli_server.url, "e2e-cli-status")
    run = modelyard(
        rollout_demo, "rollout", "status", "e2e-cli-status", "--server", cli_server.url, "--json"
    )
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert _steady(printed) == _steady(route)
    assert sum(variant["requests"] for variant in printed["variants"]) == 40
    local = modelyard(rollout_demo, "rollout", "status", "e2e-cli-status", "--json")
    assert local.returncode == 0, local.stderr
    assert _steady(json.loads(local.stdout)) == _steady(route)


def _act(
    demo: Demo, server: RunningServer, action: str, endpoint: str, reason: str, *token: str
) -> subprocess.CompletedProcess[str]:
    options = ["--token", token[0]] if token else []
    return modelyard(
        demo, "rollout", action, endpoint, "--reason", reason, "--server", server.url, *options
    )


def test_actions_with_an_admin_token_are_recorded_with_its_name_and_the_reason(
    cli_server: RunningServer, rollout_demo: Demo, rollout_admin: dict[str, str]
) -> None:
    token = _admin_token(rollout_admin)
    steps = [
        ("pause", "p99 looks odd", "running → paused", "paused"),
        ("resume", "p99 is fine", "paused → running", "running"),
        ("abort", "the test is over", "running → aborted", "aborted"),
    ]
    for action, reason, moved, state in steps:
        run = _act(rollout_demo, cli_server, action, "e2e-cli-steer", reason, token)
        assert run.returncode == 0, run.stderr
        headline, added = run.stdout.splitlines()
        assert headline == f"rollout of 'e2e-cli-steer': {state}"
        assert added.endswith(f"  {ADMIN_NAME}  {action}: {moved}  {reason}")
        assert status(cli_server.url, "e2e-cli-steer")["state"] == state
    document = status(cli_server.url, "e2e-cli-steer")
    assert [(e["action"], e["actor"], e["reason"]) for e in document["history"][1:]] == [
        ("pause", ADMIN_NAME, "p99 looks odd"),
        ("resume", ADMIN_NAME, "p99 is fine"),
        ("abort", ADMIN_NAME, "the test is over"),
    ]
    assert {v["name"]: v["weight"] for v in document["variants"]} == {
        "control": 100.0,
        "treatment": 0.0,
    }
    _traffic(cli_server, rollout_demo, "e2e-cli-steer", calls=20)  # routed by the new weights
    after = status(cli_server.url, "e2e-cli-steer")
    assert [v["requests"] for v in after["variants"]] == [
        v["requests"] + (20 if v["name"] == "control" else 0) for v in document["variants"]
    ]
    local = modelyard(rollout_demo, "rollout", "status", "e2e-cli-steer", "--json")
    assert local.returncode == 0, local.stderr
    assert _steady(json.loads(local.stdout)) == _steady(status(cli_server.url, "e2e-cli-steer"))


def test_an_action_without_a_token_is_the_server_s_401_on_one_line(
    cli_server: RunningServer, rollout_demo: Demo
) -> None:
    before = status(cli_server.url, "e2e-cli-refused")
    run = _act(rollout_demo, cli_server, "pause", "e2e-cli-refused", "no token")
    assert run.returncode == 2
    assert run.stderr == (
        "error: this route needs a bearer token of role admin: send "
        f"'Authorization: Bearer <token>'; {HOW_ADMIN}\n"
    )
    assert run.stdout == ""
    assert _steady(status(cli_server.url, "e2e-cli-refused")) == _steady(before)


def test_an_action_with_a_predict_token_is_the_server_s_403_on_one_line(
    cli_server: RunningServer, rollout_demo: Demo, predict_token: str
) -> None:
    before = status(cli_server.url, "e2e-cli-refused")
    run = _act(rollout_demo, cli_server, "abort", "e2e-cli-refused", "wrong role", predict_token)
    assert run.returncode == 2
    assert (
        run.stderr == f"error: this route needs a token of role admin, not predict; {HOW_ADMIN}\n"
    )
    assert run.stdout == ""
    assert _steady(status(cli_server.url, "e2e-cli-refused")) == _steady(before)


def test_promoting_a_variant_moves_the_primary_s_alias(
    cli_server: RunningServer, rollout_demo: Demo, rollout_admin: dict[str, str]
) -> None:
    token = _admin_token(rollout_admin)
    run = modelyard(
        rollout_demo, "rollout", "promote", "e2e-cli-promote", "--variant", "treatment",
        "--reason", "treatment converts better", "--server", cli_server.url, "--token", token,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "rollout of 'e2e-cli-promote': promoted"
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    try:
        assert registry.aliases("breast_cancer")[HOME] == 2
        move = registry.alias_history("breast_cancer", HOME)[-1]
    finally:
        registry.close()
    assert (move.from_version, move.to_version) == (1, 2)
    assert move.reason == f"promoted by {ADMIN_NAME}: treatment converts better"
    listed = modelyard(rollout_demo, "alias", "history", f"breast_cancer@{HOME}")
    assert listed.returncode == 0, listed.stderr
    assert f"promoted by {ADMIN_NAME}: treatment converts better" in listed.stdout
    document = status(cli_server.url, "e2e-cli-promote")
    assert document["state"] == "promoted"
    event = document["history"][-1]
    assert (event["action"], event["actor"], event["reason"]) == (
        "promote",
        ADMIN_NAME,
        "treatment converts better",
    )
    # control, the primary, answers again: its alias now names treatment's version
    assert {v["name"]: v["weight"] for v in document["variants"]} == {
        "control": 100.0,
        "treatment": 0.0,
    }
    local = modelyard(rollout_demo, "rollout", "status", "e2e-cli-promote", "--json")
    assert local.returncode == 0, local.stderr
    assert _steady(json.loads(local.stdout)) == _steady(document)


def test_a_refused_action_or_an_unknown_endpoint_is_the_server_s_message_on_one_line(
    cli_server: RunningServer, rollout_demo: Demo, rollout_admin: dict[str, str]
) -> None:
    token = _admin_token(rollout_admin)
    before = status(cli_server.url, "e2e-cli-refused")
    refused = modelyard(
        rollout_demo, "rollout", "promote", "e2e-cli-refused", "--variant", "nobody",
        "--reason", "a typo", "--server", cli_server.url, "--token", token,
    )  # fmt: skip
    unknown = modelyard(
        rollout_demo, "rollout", "status", "e2e-nowhere", "--server", cli_server.url
    )
    too_long = _act(rollout_demo, cli_server, "pause", "e2e-cli-refused", "x" * 1001, token)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        "error: promoting the rollout of endpoint e2e-cli-refused needs the variant to promote: "
        "one of control, treatment\n"
    )
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == (
        "error: no endpoint of that name; endpoints: "
        "e2e-cli-promote, e2e-cli-refused, e2e-cli-status, e2e-cli-steer\n"
    )
    assert (too_long.returncode, too_long.stdout) == (2, "")
    assert too_long.stderr == "error: /reason: String should have at most 1000 characters\n"
    assert _steady(status(cli_server.url, "e2e-cli-refused")) == _steady(before)
