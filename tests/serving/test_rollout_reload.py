"""Hot reload per variant on a real server: an A/B arm whose alias moves switches alone,
under load, without a failed request, and its rollout counters go on from where they were."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from rollouttools import predict, serving, status, variant

from modelyard.demo import Demo
from modelyard.registry import Registry

pytestmark = pytest.mark.slow

ENDPOINT = "e2e-reload"
NEXT = "e2e-next"
SENDERS = 4
DEADLINE_S = 60

AB = {
    "id": ENDPOINT,
    "model": "breast_cancer:1",
    "traffic": {
        "strategy": "ab",
        "variants": {"control": "breast_cancer:1", "treatment": f"breast_cancer@{NEXT}"},
        "weights": {"control": 50, "treatment": 50},
    },
}


class Load:
    """Threads sending predict requests until stopped; every answer's (status, variant,
    version) is kept."""

    def __init__(self, url: str, demo: Demo) -> None:
        self.answers: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._send, args=(url, demo)) for _ in range(SENDERS)
        ]
        for thread in self._threads:
            thread.start()

    def _send(self, url: str, demo: Demo) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                answer = predict(client, url, ENDPOINT, demo.cancer_record)
                seen = (
                    answer.status_code,
                    answer.headers.get("x-variant", "?"),
                    answer.headers.get("x-model-version", "?"),
                )
                with self._lock:
                    self.answers.append(seen)

    def until(self, enough: int) -> None:
        """Wait until ``enough`` answers came in all."""
        deadline = time.monotonic() + DEADLINE_S
        while len(self.answers) < enough:
            assert time.monotonic() < deadline, f"only {len(self.answers)} answers"
            time.sleep(0.01)

    def stop(self) -> list[tuple[int, str, str]]:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
        return list(self.answers)


def test_a_moved_alias_switches_only_its_variant_under_load_and_keeps_its_counts(
    rollout_demo: Demo, rollout_admin: dict[str, str], tmp_path: Path
) -> None:
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    registry.set_alias("breast_cancer", NEXT, 1, reason="the treatment starts on version 1")
    with serving(rollout_demo, tmp_path, [AB]) as server:
        load = Load(server.url, rollout_demo)
        try:
            load.until(200)
            before = status(server.url, ENDPOINT)
            moved_at = len(load.answers)
            registry.set_alias("breast_cancer", NEXT, 2, reason="the treatment moves on")
            reload = httpx.post(f"{server.url}/admin/reload", headers=rollout_admin, timeout=60)
            switched_at = len(load.answers)
            load.until(switched_at + 400)
        finally:
            answers = load.stop()
            registry.close()
        with httpx.Client(timeout=30) as client:
            after_switch = [
                predict(client, server.url, ENDPOINT, rollout_demo.cancer_record)
                for _ in range(100)
            ]
        after = status(server.url, ENDPOINT)
    assert reload.status_code == 200, reload.text
    assert reload.json() == {
        "switched": [{"endpoint": ENDPOINT, "variant": "treatment", "from": "1", "to": "2"}]
    }
    assert Counter(code for code, _, _ in answers) == {200: len(answers)}
    assert {(v, version) for _, v, version in answers[:moved_at]} <= {
        ("control", "1"),
        ("treatment", "1"),
    }
    late = {(a.headers["x-variant"], a.headers["x-model-version"]) for a in after_switch}
    assert late == {("control", "1"), ("treatment", "2")}
    assert variant(before, "treatment")["version"] == 1
    assert variant(after, "treatment")["version"] == 2
    assert variant(after, "control")["version"] == 1
    answered = Counter(v for _, v, _ in answers)
    answered.update(a.headers["x-variant"] for a in after_switch)
    for name in ("control", "treatment"):
        # one arm's counts across both versions: every answer it gave, none lost at the swap
        assert variant(after, name)["requests"] == answered[name]
        assert variant(after, name)["requests"] >= variant(before, name)["requests"]


def _ab(endpoint: str, model: str, control: str, treatment: str) -> dict[str, Any]:
    return {
        "id": endpoint,
        "model": model,
        "traffic": {
            "strategy": "ab",
            "variants": {"control": control, "treatment": treatment},
            "weights": {"control": 50, "treatment": 50},
        },
    }


def _figures(document: dict[str, Any]) -> tuple[str, list[tuple[str, int, float, int]], list[str]]:
    """State, (name, version, weight, requests) of each variant, and the history's actions."""
    variants = [(v["name"], v["version"], v["weight"], v["requests"]) for v in document["variants"]]
    return document["state"], variants, [event["action"] for event in document["history"]]


def test_a_restart_after_a_variant_reload_resumes_the_rollout(
    rollout_demo: Demo, rollout_admin: dict[str, str], tmp_path: Path
) -> None:
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    registry.set_alias("breast_cancer", "e2e-restart-next", 1, reason="the treatment's start")
    endpoint = _ab(
        "e2e-reload-restart", "breast_cancer:1", "breast_cancer:1", "breast_cancer@e2e-restart-next"
    )
    try:
        with serving(rollout_demo, tmp_path, [endpoint]) as server:
            with httpx.Client(timeout=30) as client:
                for _ in range(40):
                    predict(client, server.url, "e2e-reload-restart", rollout_demo.cancer_record)
            registry.set_alias("breast_cancer", "e2e-restart-next", 2, reason="moves on")
            reload = httpx.post(f"{server.url}/admin/reload", headers=rollout_admin, timeout=60)
            assert reload.status_code == 200 and len(reload.json()["switched"]) == 1
            before = status(server.url, "e2e-reload-restart")
        with serving(rollout_demo, tmp_path, [endpoint]) as again:
            after = status(again.url, "e2e-reload-restart")
    finally:
        registry.close()
    assert _figures(after) == _figures(before)


def test_a_restart_after_an_ab_promotion_keeps_it_promoted(
    rollout_demo: Demo, rollout_admin: dict[str, str], tmp_path: Path
) -> None:
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    registry.set_alias("breast_cancer", "e2e-promoted-home", 1, reason="the A/B's primary")
    home = "breast_cancer@e2e-promoted-home"
    endpoint = _ab("e2e-promote-restart", home, home, "breast_cancer:2")
    try:
        with serving(rollout_demo, tmp_path, [endpoint]) as server:
            promoted = httpx.post(
                f"{server.url}/admin/rollouts/e2e-promote-restart/promote",
                json={"reason": "treatment wins", "variant": "treatment"},
                headers=rollout_admin,
                timeout=30,
            )
            assert promoted.status_code == 200, promoted.text
            assert registry.aliases("breast_cancer")["e2e-promoted-home"] == 2
        with serving(rollout_demo, tmp_path, [endpoint]) as again:
            after = status(again.url, "e2e-promote-restart")
    finally:
        registry.close()
    assert after["state"] == "promoted"
    assert [event["action"] for event in after["history"]] == ["start", "promote"]
    # control, the primary, answers again: its alias now names treatment's version
    assert {v["name"]: v["weight"] for v in after["variants"]} == {
        "control": 100.0,
        "treatment": 0.0,
    }


def test_feedback_for_an_answer_of_the_old_version_is_credited_after_the_switch(
    rollout_demo: Demo, rollout_admin: dict[str, str], tmp_path: Path
) -> None:
    registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
    registry.set_alias("breast_cancer", "e2e-feedback-next", 1, reason="the treatment's start")
    endpoint = _ab(
        "e2e-reload-feedback", "breast_cancer:1", "breast_cancer:1",
        "breast_cancer@e2e-feedback-next",
    )  # fmt: skip
    try:
        with serving(rollout_demo, tmp_path, [endpoint]) as server, httpx.Client() as client:
            answers = [
                predict(client, server.url, "e2e-reload-feedback", rollout_demo.cancer_record)
                for _ in range(40)
            ]
            old = next(a for a in answers if a.headers["x-variant"] == "treatment")
            assert old.headers["x-model-version"] == "1"
            registry.set_alias("breast_cancer", "e2e-feedback-next", 2, reason="moves on")
            reload = client.post(f"{server.url}/admin/reload", headers=rollout_admin, timeout=60)
            assert len(reload.json()["switched"]) == 1
            label = old.json()["predictions"][0]["label"]
            sent = client.post(
                f"{server.url}/endpoints/e2e-reload-feedback/feedback",
                json={"request_id": old.headers["x-request-id"], "label": label},
            )
            document = status(server.url, "e2e-reload-feedback")
    finally:
        registry.close()
    assert sent.status_code == 200, sent.text
    treatment = variant(document, "treatment")
    assert (treatment["version"], treatment["rewards"], treatment["labelled"]) == (2, 1, 1)
    assert treatment["reward_mean"] == 1.0
    assert not variant(document, "control")["rewards"]
