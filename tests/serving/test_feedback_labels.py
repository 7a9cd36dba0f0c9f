"""Labels through ``POST /endpoints/{id}/feedback`` on a real server with a prediction log.

Labels are kept for any endpoint, late ones too (the log knows the request), and joined with
the log they give exactly what ``modelyard evaluate`` gives on the same rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import yaml
from logtools import read_log, wait_for
from servertools import RunningServer, start_server

from modelyard.demo import Demo
from modelyard.registry import Registry
from monitoring.labeltools import Split, cancer_version, diabetes_version

pytestmark = pytest.mark.slow

LOGGED = {"sample_rate": 1.0, "flush_every": 0.1}
SHORT = {"strategy": "single", "feedback_window": "1s"}


class Site:
    """The server, its registry's address, and the data its models were trained on."""

    def __init__(self, demo: Demo, server: RunningServer, cancer: Split, diabetes: Split):
        self.demo, self.server, self.cancer, self.diabetes = demo, server, cancer, diabetes

    def predict(self, endpoint: str, rows: list[dict[str, Any]], request_id: str) -> None:
        answer = httpx.post(
            f"{self.server.url}/endpoints/{endpoint}/predict", json={"instances": rows},
            headers={"x-request-id": request_id}, timeout=30,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text

    def feedback(self, endpoint: str, body: Any) -> httpx.Response:
        return httpx.post(f"{self.server.url}/endpoints/{endpoint}/feedback", json=body, timeout=60)

    def logged(self, endpoint: str, count: int) -> pd.DataFrame:
        frame = wait_for(lambda: read_log(self.demo, endpoint), lambda f: len(f) >= count)
        assert len(frame) >= count, f"{endpoint}: {len(frame)} of {count} records logged"
        return frame

    def labels(self, endpoint: str) -> dict[tuple[str, int], str]:
        registry = Registry(self.demo.registry_url, self.demo.artifacts)
        try:
            return {(s.request_id, s.instance): s.label for s in registry.labels.since(endpoint)}
        finally:
            registry.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("feedback-labels")
    registry = Registry(f"sqlite:///{home / 'registry.db'}", str(home / "artifacts"))
    cancer_v, cancer = cancer_version(registry, home / "packages")
    registry.register(registry.fetch(cancer_v.ref))  # cancer:2, for the A/B test
    diabetes_v, diabetes = diabetes_version(registry, home / "packages")
    demo = Demo(registry.url, registry.artifacts_url, home / "endpoints.yaml", home, {})
    registry.close()
    endpoints = [
        {"id": "e2e", "model": cancer_v.ref, "logging": LOGGED},
        {"id": "cancer", "model": cancer_v.ref, "logging": LOGGED, "traffic": SHORT},
        {"id": "unlogged", "model": cancer_v.ref, "traffic": SHORT},
        {"id": "diabetes", "model": diabetes_v.ref, "logging": LOGGED, "traffic": SHORT},
        {
            "id": "ab",
            "model": cancer_v.ref,
            "logging": LOGGED,
            "traffic": {
                "strategy": "ab",
                "variants": {"control": "cancer:1", "treatment": "cancer:2"},
                "weights": {"control": 50, "treatment": 50},
            },
        },
    ]
    demo.endpoints_file.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    server = start_server(demo, demo.endpoints_file, home, rollout_tick_s=0.2)
    yield Site(demo, server, cancer, diabetes)
    server.stop()


def _records(split: Split, n: int | None = None) -> list[dict[str, float]]:
    rows = split.X("test") if n is None else split.X("test").head(n)
    return [{k: float(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]


def _past_the_window(site: Site, endpoint: str, request_id: str) -> None:
    """Answer ``request_id``, wait until it is logged and its 1 s feedback window is over."""
    site.predict(endpoint, _records(site.cancer, 1), request_id)
    answered = time.monotonic()
    wait_for(lambda: read_log(site.demo, endpoint), lambda f: (f["request_id"] == request_id).any())
    time.sleep(max(0.0, answered + 1.2 - time.monotonic()))  # the window is a span of time


def _modelyard(site: Site, *args: str) -> str:
    command = [
        sys.executable, "-m", "modelyard.cli", "--registry", site.demo.registry_url,
        "--artifacts", site.demo.artifacts, *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_labelled_predictions_give_what_modelyard_evaluate_gives(
    site: Site, tmp_path: Path
) -> None:
    records = _records(site.cancer)
    ids = [f"e2e-{i}" for i in range(len(records))]
    for request_id, record in zip(ids, records, strict=True):
        site.predict("e2e", [record], request_id)
    site.logged("e2e", len(ids))
    truth = site.cancer.test["target"].tolist()
    sent = site.feedback(
        "e2e", [{"request_id": i, "label": int(t)} for i, t in zip(ids, truth, strict=True)]
    )
    assert sent.status_code == 200 and sent.json() == {"accepted": len(ids)}

    monitor = ["monitor", "e2e", "--performance", "--json", "--since", "7d", "--window", "7d"]
    endpoints = ["--endpoints", str(site.demo.endpoints_file)]
    report = json.loads(_modelyard(site, *monitor, *endpoints))
    data = tmp_path / "test.csv"
    site.cancer.test.to_csv(data, index=False)
    out = tmp_path / "evaluation.json"
    _modelyard(
        site, "evaluate", "cancer:1", "--data", str(data), "--target", "target", "--json", str(out)
    )
    expected = json.loads(out.read_text())["evaluation"]
    (version,) = report["versions"]
    (window,) = version["windows"]
    assert window["labelled_rows"] == window["logged_rows"] == expected["rows"] == len(ids)
    assert window["metrics"].keys() == expected["metrics"].keys()
    for name, value in expected["metrics"].items():
        assert window["metrics"][name] == pytest.approx(value, abs=1e-9), name
    for name, interval in expected["intervals"].items():
        ours = window["intervals"][name]
        assert (ours["low"], ours["high"]) == pytest.approx(
            (interval["low"], interval["high"]), abs=1e-9
        ), name


def test_a_late_label_is_kept_when_the_log_holds_the_request(site: Site) -> None:
    _past_the_window(site, "cancer", "late-1")
    sent = site.feedback("cancer", {"request_id": "late-1", "label": "malignant"})
    assert sent.status_code == 200, sent.text
    assert site.labels("cancer")[("late-1", 0)] == "malignant"


def test_a_label_on_an_endpoint_without_a_rollout_is_kept(site: Site) -> None:
    site.predict("cancer", _records(site.cancer, 2), "pair-1")
    sent = site.feedback("cancer", {"request_id": "pair-1", "label": ["benign", "1"]})
    assert sent.status_code == 200, sent.text
    labels = site.labels("cancer")
    assert (labels[("pair-1", 0)], labels[("pair-1", 1)]) == ("benign", "1")


def test_a_second_label_replaces_the_first(site: Site) -> None:
    site.predict("cancer", _records(site.cancer, 1), "fixed-1")
    assert site.feedback("cancer", {"request_id": "fixed-1", "label": "benign"}).status_code == 200
    assert (
        site.feedback("cancer", {"request_id": "fixed-1", "label": "malignant"}).status_code == 200
    )
    assert site.labels("cancer")[("fixed-1", 0)] == "malignant"


def test_a_late_label_on_an_endpoint_without_a_log_is_unknown(site: Site) -> None:
    site.predict("unlogged", _records(site.cancer, 1), "gone-1")
    time.sleep(1.2)  # the feedback window (1 s) is a span of time
    sent = site.feedback("unlogged", {"request_id": "gone-1", "label": "benign"})
    assert sent.status_code == 404
    assert sent.json()["error"] == (
        "request id 'gone-1' is unknown to endpoint 'unlogged': not answered within its "
        "feedback window (1 s) nor in its prediction log"
    )


def test_an_unknown_request_id_is_refused(site: Site) -> None:
    sent = site.feedback("cancer", {"request_id": "never-sent", "label": "benign"})
    assert sent.status_code == 404
    assert "'never-sent' is unknown to endpoint 'cancer'" in sent.json()["error"]
    reward = site.feedback("cancer", {"request_id": "never-sent", "reward": 1})
    assert reward.status_code == 404
    assert reward.json()["error"].endswith("(1 s) (a reward needs that)")


def test_a_late_label_must_be_one_of_the_classes(site: Site) -> None:
    _past_the_window(site, "cancer", "late-2")
    sent = site.feedback("cancer", {"request_id": "late-2", "label": "maybe"})
    assert sent.status_code == 422
    assert sent.json()["error"] == (
        "label 'maybe' is not one of the model's classes: 0, 1, benign, malignant"
    )


def test_one_label_per_instance(site: Site) -> None:
    site.predict("cancer", _records(site.cancer, 2), "pair-2")
    sent = site.feedback("cancer", {"request_id": "pair-2", "label": "benign"})
    assert sent.status_code == 422
    assert sent.json()["error"] == (
        "request 'pair-2' had 2 instances: send one label per instance (a list when more than one)"
    )


def test_a_reward_needs_a_rollout(site: Site) -> None:
    site.predict("cancer", _records(site.cancer, 1), "reward-1")
    sent = site.feedback("cancer", {"request_id": "reward-1", "reward": 1})
    assert sent.status_code == 422
    assert sent.json()["error"] == (
        "endpoint 'cancer' runs no rollout to credit a reward to: send the request's label instead"
    )


def test_a_regressor_takes_numeric_labels_only(site: Site) -> None:
    row = {k: float(v) for k, v in site.diabetes.X("test").iloc[0].items()}
    answer = httpx.post(
        f"{site.server.url}/endpoints/diabetes/predict", json={"instances": [row]},
        headers={"x-request-id": "sugar-1"}, timeout=30,
    )  # fmt: skip
    assert answer.status_code == 200
    words = site.feedback("diabetes", {"request_id": "sugar-1", "label": "high"})
    assert words.status_code == 422
    assert words.json()["error"] == "a model without classes takes numeric labels (the true value)"
    number = site.feedback("diabetes", {"request_id": "sugar-1", "label": 151.5})
    assert number.status_code == 200, number.text
    assert site.labels("diabetes")[("sugar-1", 0)] == "151.5"


def test_a_rollout_credits_the_label_and_keeps_it(site: Site) -> None:
    site.predict("ab", _records(site.cancer, 1), "ab-1")
    sent = site.feedback("ab", {"request_id": "ab-1", "label": 1})
    assert sent.status_code == 200, sent.text
    assert site.labels("ab")[("ab-1", 0)] == "1"
    again = site.feedback("ab", {"request_id": "ab-1", "label": 0})
    assert again.status_code == 409 and "ab-1" in again.json()["error"]
    status = httpx.get(f"{site.server.url}/endpoints/ab/rollout", timeout=30).json()
    assert sum(v["labelled"] for v in status["variants"]) == 1


def test_the_openapi_document_says_what_the_route_takes(site: Site) -> None:
    document = httpx.get(f"{site.server.url}/openapi.json", timeout=30).json()
    route = document["paths"]["/endpoints/{endpoint_id}/feedback"]["post"]
    one = route["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
    label = one["oneOf"][1]["properties"]["label"]["anyOf"][0]
    assert label == {"anyOf": [{"type": "string"}, {"type": "number"}]}
    assert "nor logged" in route["responses"]["404"]["description"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "send one feedback object, or a list of 1 to 10000"),
        (
            {"request_id": "x", "reward": 1, "label": "benign"},
            "/: send exactly one of reward (a number in [0, 1]) or label",
        ),
        ([{"request_id": "x"}], "/0: send exactly one of reward (a number in [0, 1]) or label"),
    ],
)
def test_a_body_that_is_not_feedback_is_refused_naming_the_place(
    site: Site, body: object, message: str
) -> None:
    sent = site.feedback("e2e", body)

    assert sent.status_code == 422
    assert sent.json()["error"] == message
