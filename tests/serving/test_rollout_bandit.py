"""A Thompson-sampling bandit on a real server, learning from feedback over HTTP."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest
from rollouttools import predict, serving, status

from modelyard.demo import Demo

pytestmark = pytest.mark.slow

WORSE, BETTER = "breast_cancer@production", "breast_cancer:2"
REWARD_RATE = {WORSE: 0.10, BETTER: 0.15}


def test_thompson_sampling_sends_most_late_traffic_to_the_better_arm(
    rollout_demo: Demo, tmp_path: Path
) -> None:
    endpoint = {
        "id": "bandit",
        "model": WORSE,
        "traffic": {"strategy": "bandit", "variants": [WORSE, BETTER], "algorithm": "thompson"},
    }
    rng = random.Random(7)
    arms: list[str] = []
    with serving(rollout_demo, tmp_path, [endpoint]) as server, httpx.Client(timeout=30) as client:
        for _ in range(100):
            feedback = []
            for _ in range(100):
                answer = predict(client, server.url, "bandit", rollout_demo.cancer_record)
                arm = answer.headers["x-variant"]
                arms.append(arm)
                reward = float(rng.random() < REWARD_RATE[arm])
                feedback.append({"request_id": answer.headers["x-request-id"], "reward": reward})
            sent = client.post(f"{server.url}/endpoints/bandit/feedback", json=feedback)
            assert sent.status_code == 200, sent.text
        document = status(server.url, "bandit")
    late = arms[-2000:]
    assert late.count(BETTER) >= 0.8 * len(late), late.count(BETTER)
    rewards = {v["name"]: v["rewards"] for v in document["variants"]}
    assert rewards[WORSE] + rewards[BETTER] == 10_000
    assert {v["name"]: v["requests"] for v in document["variants"]}[BETTER] == arms.count(BETTER)
