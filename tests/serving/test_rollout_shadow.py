"""Shadows on a real server: the primary answers, copies are compared off the request path."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from rollouttools import predict, serving, status

from modelyard.demo import Demo

pytestmark = pytest.mark.slow

SHADOW = {
    "id": "shadowed",
    "model": "breast_cancer@production",
    "traffic": {"strategy": "shadow", "shadows": ["breast_cancer:2"], "percent": 100},
}


def test_the_primary_answers_and_the_shadow_agrees_with_it(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    with serving(rollout_demo, tmp_path, [SHADOW]) as server, httpx.Client(timeout=30) as client:
        answers = [
            predict(client, server.url, "shadowed", rollout_demo.cancer_record) for _ in range(200)
        ]
        deadline = time.monotonic() + 30
        while True:
            document = status(server.url, "shadowed")
            shadow = document["shadows"][0]
            if shadow["mirrored"] + shadow["dropped"] >= 200 or time.monotonic() > deadline:
                break
        metrics = client.get(f"{server.url}/metrics").text
    assert {a.headers["x-variant"] for a in answers} == {"primary"}
    assert {a.headers["x-model-version"] for a in answers} == {"1"}
    assert [v["name"] for v in document["variants"]] == ["primary"]
    assert shadow["ref"] == "breast_cancer:2" and shadow["version"] == 2
    assert shadow["mirrored"] + shadow["dropped"] == 200
    assert shadow["errors"] == 0
    assert shadow["agreement"] == 1.0  # the same package: every label agrees
    assert shadow["max_abs_diff"] == 0.0
    assert (
        'modelyard_mirrored_requests_total{endpoint="shadowed",variant="breast_cancer:2"}'
        in metrics
    )
    assert 'modelyard_agreement_ratio{endpoint="shadowed",variant="breast_cancer:2"} 1.0' in metrics


def test_a_shadow_never_fails_a_request_even_when_it_refuses_it(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    endpoint = {**SHADOW, "id": "shadow-refusing"}
    endpoint["traffic"] = {**SHADOW["traffic"], "shadows": ["digits_is_3@production"]}
    with serving(rollout_demo, tmp_path, [endpoint]) as server, httpx.Client(timeout=30) as client:
        answers = [
            predict(client, server.url, "shadow-refusing", rollout_demo.cancer_record)
            for _ in range(50)
        ]
        deadline = time.monotonic() + 30
        while (shadow := status(server.url, "shadow-refusing")["shadows"][0])["errors"] < 50:
            assert time.monotonic() < deadline, shadow
    assert {a.status_code for a in answers} == {200}
    assert shadow["agreement"] is None  # nothing could be compared
