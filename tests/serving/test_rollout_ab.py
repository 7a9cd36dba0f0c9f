"""A/B tests on a real server: weighted split, stickiness, feedback, the verdict."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from rollouttools import predict, serving, status, variant
from scipy.stats import chisquare

from modelyard.demo import Demo

pytestmark = pytest.mark.slow

AB = {
    "id": "ab",
    "model": "breast_cancer@production",
    "traffic": {
        "strategy": "ab",
        "variants": {"control": "breast_cancer@production", "treatment": "breast_cancer:2"},
        "weights": {"control": 70, "treatment": 30},
        "sticky": "header:X-User-Id",
    },
}


VERDICT = {**AB, "id": "ab-verdict", "traffic": {**AB["traffic"], "sticky": None}}


@pytest.fixture(scope="module")
def ab_server(rollout_demo: Demo, tmp_path_factory: pytest.TempPathFactory):
    with serving(rollout_demo, tmp_path_factory.mktemp("ab"), [AB, VERDICT]) as server:
        yield server


def test_requests_without_a_key_split_by_the_weights(ab_server, rollout_demo: Demo) -> None:
    record = rollout_demo.cancer_record
    with httpx.Client(timeout=30) as client:
        seen = Counter(
            predict(client, ab_server.url, "ab", record).headers["x-variant"] for _ in range(2000)
        )
    assert set(seen) == {"control", "treatment"}
    _, p_value = chisquare([seen["control"], seen["treatment"]], [1400, 600])
    assert p_value > 0.001, seen


def test_every_answer_names_its_variant_and_version(ab_server, rollout_demo: Demo) -> None:
    with httpx.Client(timeout=30) as client:
        answers = [
            predict(client, ab_server.url, "ab", rollout_demo.cancer_record) for _ in range(50)
        ]
    versions = {"control": "1", "treatment": "2"}
    for answer in answers:
        name = answer.headers["x-variant"]
        assert answer.headers["x-model-version"] == versions[name]
        assert answer.json()["model"] == {"name": "breast_cancer", "version": int(versions[name])}


def test_the_same_key_always_reaches_the_same_variant(ab_server, rollout_demo: Demo) -> None:
    with httpx.Client(timeout=30) as client:
        seen = {
            predict(
                client, ab_server.url, "ab", rollout_demo.cancer_record, **{"X-User-Id": "user-42"}
            ).headers["x-variant"]
            for _ in range(1000)
        }
        spread = Counter(
            predict(
                client, ab_server.url, "ab", rollout_demo.cancer_record, **{"X-User-Id": f"u{i}"}
            ).headers["x-variant"]
            for i in range(400)
        )
    assert len(seen) == 1
    assert spread["control"] > spread["treatment"] > 50  # keys still split about 70/30
    # 1,000 requests of one key skew the split: the sample-ratio check says so
    assert status(ab_server.url, "ab")["verdict"]["srm_mismatch"] is True


def test_feedback_is_credited_to_the_variant_that_answered(ab_server, rollout_demo: Demo) -> None:
    before = status(ab_server.url, "ab")
    credited: Counter[str] = Counter()
    with httpx.Client(timeout=30) as client:
        items = []
        for i in range(60):
            answer = predict(client, ab_server.url, "ab", rollout_demo.cancer_record)
            reward = 1.0 if answer.headers["x-variant"] == "treatment" else 0.25
            credited[answer.headers["x-variant"]] += 1
            items.append({"request_id": answer.headers["x-request-id"], "reward": reward})
            assert i >= 0
        response = client.post(f"{ab_server.url}/endpoints/ab/feedback", json=items)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 60}
    after = status(ab_server.url, "ab")
    for name in ("treatment", "control"):
        gained = variant(after, name)["rewards"] - (variant(before, name)["rewards"] or 0)
        assert gained == credited[name]
    assert variant(after, "treatment")["reward_mean"] > variant(after, "control")["reward_mean"]


def test_the_status_gives_the_verdict_and_the_sample_ratio_check(
    ab_server, rollout_demo: Demo
) -> None:
    with httpx.Client(timeout=30) as client:
        items = []
        for i in range(200):
            answer = predict(client, ab_server.url, "ab-verdict", rollout_demo.cancer_record)
            won = answer.headers["x-variant"] == "treatment" or i % 4 == 0
            items.append({"request_id": answer.headers["x-request-id"], "reward": float(won)})
        sent = client.post(f"{ab_server.url}/endpoints/ab-verdict/feedback", json=items)
        assert sent.status_code == 200
    document = status(ab_server.url, "ab-verdict")
    verdict = document["verdict"]
    assert document["strategy"] == "ab" and document["state"] == "running"
    assert verdict["control"] == "control"
    assert verdict["difference"] > 0 and verdict["p_value"] < 0.05
    assert verdict["srm_p_value"] is not None and verdict["srm_mismatch"] is False
    low, high = variant(document, "treatment")["reward_ci"]
    assert low <= variant(document, "treatment")["reward_mean"] <= high


def test_feedback_errors_name_what_was_wrong(ab_server, rollout_demo: Demo) -> None:
    url = f"{ab_server.url}/endpoints/ab/feedback"
    with httpx.Client(timeout=30) as client:
        answer = predict(client, ab_server.url, "ab", rollout_demo.cancer_record)
        request_id = answer.headers["x-request-id"]
        unknown = client.post(url, json={"request_id": "never-sent", "reward": 1})
        too_big = client.post(url, json={"request_id": request_id, "reward": 1.5})
        both = client.post(url, json={"request_id": request_id, "reward": 1, "label": "1"})
        bad_label = client.post(url, json={"request_id": request_id, "label": "malignant"})
        first = client.post(url, json={"request_id": request_id, "label": 1})
        again = client.post(url, json={"request_id": request_id, "reward": 0})
    assert unknown.status_code == 404
    assert "'never-sent' is unknown to endpoint 'ab'" in unknown.json()["error"]
    assert too_big.status_code == 422 and "reward" in too_big.json()["error"]
    assert both.status_code == 422 and "exactly one of reward" in both.json()["error"]
    assert bad_label.status_code == 422
    assert bad_label.json()["error"] == "label 'malignant' is not one of the model's classes: 0, 1"
    assert first.status_code == 200, first.text
    assert again.status_code == 409 and request_id in again.json()["error"]


def test_a_feedback_body_over_the_limit_is_refused_before_it_is_read(ab_server) -> None:
    url = f"{ab_server.url}/endpoints/ab/feedback"
    body = b"[" + b",".join([b'{"request_id": "r", "reward": 1}'] * 150_000) + b"]"
    refused = httpx.post(url, content=body, headers={"content-type": "application/json"})
    assert refused.status_code == 413
    assert refused.json()["error"] == (
        f"request body of {len(body)} bytes is over the limit of 4194304 bytes"
    )


def test_a_chunked_feedback_body_is_refused_once_it_passes_the_limit(ab_server) -> None:
    sent = []

    def chunks():  # no content-length: the server counts as it reads
        for _ in range(100):
            sent.append(1)
            yield b" " * 65_536

    refused = httpx.post(
        f"{ab_server.url}/endpoints/ab/feedback",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert refused.status_code == 413
    assert "is over the limit of 4194304 bytes" in refused.json()["error"]
