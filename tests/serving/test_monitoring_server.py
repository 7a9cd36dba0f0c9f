"""Drift and live performance computed by a real server in the background, read on /metrics.

Three breast-cancer endpoints log every request and recompute drift every second over the
last hour: one gets traffic with one feature shifted by 3 standard deviations, one with 60%
of its features shifted, one unshifted traffic (1,000 rows drawn seeded from the population
the reference came from). The unshifted endpoint then gets the true labels, and its gates
file asks for an accuracy no model reaches here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pandas as pd
import pytest
import yaml
from logtools import READ_DEADLINE_S, series
from servertools import RunningServer, start_server
from sklearn.datasets import load_breast_cancer

from modelyard.demo import Demo
from modelyard.registry import Registry
from monitoring.drifttools import shift, traffic
from monitoring.labeltools import cancer_version

pytestmark = pytest.mark.slow

ROWS = 1000
VARIANT = "primary"
"""A single-model endpoint's one variant."""
BATCH = 25
LOGGED = {"sample_rate": 1.0, "flush_every": 0.1}
MONITORED = {"drift_every": "1s", "window": "1h"}
NAMES = {0: "malignant", 1: "benign"}
POPULATION = load_breast_cancer(as_frame=True).frame
FEATURES = [str(c) for c in POPULATION.columns if c != "target"]
SHIFTED_60 = FEATURES[:18]


@dataclass
class Site:
    """The running server and, per endpoint, the rows sent and the labels answered."""

    demo: Demo
    server: RunningServer
    sent: dict[str, pd.DataFrame]
    answers: dict[str, list[str]]

    def page(self) -> str:
        return httpx.get(f"{self.server.url}/metrics", timeout=30).text


def _send(url: str, endpoint: str, rows: pd.DataFrame) -> list[str]:
    """``rows`` as requests of :data:`BATCH` instances (ids ``endpoint-i``); the labels."""
    answers = []
    inputs = rows[FEATURES].to_dict(orient="records")
    for i in range(0, len(inputs), BATCH):
        answer = httpx.post(
            f"{url}/endpoints/{endpoint}/predict", json={"instances": inputs[i : i + BATCH]},
            headers={"x-request-id": f"{endpoint}-{i // BATCH}"}, timeout=60,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        answers += [p["label"] for p in answer.json()["predictions"]]
    return answers


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("monitoring-server")
    registry = Registry(f"sqlite:///{home / 'registry.db'}", str(home / "artifacts"))
    version, _ = cancer_version(registry, home / "packages")
    demo = Demo(registry.url, registry.artifacts_url, home / "endpoints.yaml", home, {})
    registry.close()
    gates = home / "gates.yaml"
    gates.write_text(
        yaml.safe_dump(
            {
                "gates": [
                    {"metric": "accuracy", "min": 1.0},
                    {"metric": "accuracy", "min": 0.5, "on": "lower_bound"},  # needs intervals
                ]
            }
        )
    )
    endpoints = [
        {"id": "one", "model": version.ref, "logging": LOGGED, "monitoring": MONITORED},
        {"id": "many", "model": version.ref, "logging": LOGGED, "monitoring": MONITORED},
        {
            "id": "plain",
            "model": version.ref,
            "logging": LOGGED,
            "monitoring": {**MONITORED, "gates": str(gates)},
        },
        {
            "id": "sparse",
            "model": version.ref,
            "logging": LOGGED,
            "monitoring": {**MONITORED, "min_rows": 500},
        },
        {
            "id": "misgated",
            "model": version.ref,
            "logging": LOGGED,
            "monitoring": {**MONITORED, "gates": str(home / "missing.yaml")},
        },
    ]
    demo.endpoints_file.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    sent = {
        "one": shift(traffic(POPULATION, ROWS, seed=1), ["mean texture"]),
        "many": shift(traffic(POPULATION, ROWS, seed=2), SHIFTED_60),
        "plain": traffic(POPULATION, ROWS, seed=3),
        "misgated": traffic(POPULATION, ROWS // 5, seed=5),
        "sparse": shift(traffic(POPULATION, ROWS // 5, seed=6), FEATURES),
    }
    server = start_server(demo, demo.endpoints_file, home)
    try:
        answers = {name: _send(server.url, name, rows) for name, rows in sent.items()}
        yield Site(demo, server, sent, answers)
    finally:
        server.stop()


def _settled(site: Site, endpoint: str) -> str:
    """The first /metrics page whose drift of ``endpoint`` covers all the rows sent to it."""
    deadline = time.monotonic() + READ_DEADLINE_S
    while True:
        page = site.page()
        rows = series(page, "modelyard_drift_rows", endpoint=endpoint, variant=VARIANT)
        if rows and rows[0][1] == len(site.sent[endpoint]):
            return page
        assert time.monotonic() < deadline, f"{endpoint}: drift rows {rows} within the deadline"
        time.sleep(0.2)


def _drifted(page: str, endpoint: str) -> dict[str, float]:
    found = series(page, "modelyard_feature_drifted", endpoint=endpoint, variant=VARIANT)
    return {labels["feature"]: value for labels, value in found}


def _dataset(page: str, endpoint: str) -> float:
    ((_, value),) = series(page, "modelyard_dataset_drift", endpoint=endpoint, variant=VARIANT)
    return value


def test_one_feature_shifted_by_3_sigma_is_the_only_one_flagged(site: Site) -> None:
    page = _settled(site, "one")

    drifted = _drifted(page, "one")
    assert set(drifted) == set(FEATURES)
    assert {name for name, value in drifted.items() if value == 1} == {"mean texture"}
    assert _dataset(page, "one") == 0
    ((_, share),) = series(page, "modelyard_dataset_drift_share", endpoint="one")
    assert share == pytest.approx(1 / 30)
    ((labels, p_value),) = series(
        page, "modelyard_feature_drift", endpoint="one", feature="mean texture"
    )
    assert labels["method"] == "ks" and p_value < 0.05


def test_60_percent_of_features_shifted_flags_the_dataset(site: Site) -> None:
    page = _settled(site, "many")

    drifted = _drifted(page, "many")
    assert {name for name, value in drifted.items() if value == 1} == set(SHIFTED_60)
    assert _dataset(page, "many") == 1
    ((_, share),) = series(page, "modelyard_dataset_drift_share", endpoint="many")
    assert share == pytest.approx(0.6)


def test_1000_unshifted_rows_flag_nothing(site: Site) -> None:
    page = _settled(site, "plain")

    drifted = _drifted(page, "plain")
    assert len(drifted) == 30 and set(drifted.values()) == {0.0}
    assert _dataset(page, "plain") == 0
    ((labels, value),) = series(page, "modelyard_prediction_drifted", endpoint="plain")
    assert value == 0 and labels["method"] == "z"
    (computed,) = series(page, "modelyard_drift_computed_timestamp_seconds", endpoint="plain")
    assert abs(computed[1] - time.time()) < 60


def test_true_labels_show_the_live_metric_and_the_failed_gate(site: Site) -> None:
    _settled(site, "plain")  # every request is logged: each can be labelled
    truth = [NAMES[int(t)] for t in site.sent["plain"]["target"]]
    for i in range(0, ROWS, BATCH):
        sent = httpx.post(
            f"{site.server.url}/endpoints/plain/feedback",
            json={"request_id": f"plain-{i // BATCH}", "label": truth[i : i + BATCH]},
            timeout=60,
        )
        assert sent.status_code == 200, sent.text
    answers = site.answers["plain"]
    accuracy = sum(a == t for a, t in zip(answers, truth, strict=True)) / ROWS
    assert 0.9 < accuracy < 1.0

    labelled_at = time.time()

    deadline = time.monotonic() + READ_DEADLINE_S
    while True:  # figures computed after the last label arrived
        page = site.page()
        ((_, computed),) = series(
            page, "modelyard_drift_computed_timestamp_seconds", endpoint="plain"
        )
        if computed > labelled_at:
            break
        assert time.monotonic() < deadline, "no figures after the labels within the deadline"
        time.sleep(0.2)

    live = series(page, "modelyard_live_metric", endpoint="plain", variant=VARIANT)
    assert dict((labels["metric"], value) for labels, value in live)["accuracy"] == pytest.approx(
        accuracy, abs=1e-12
    )
    verdicts = series(page, "modelyard_live_gate_failed", endpoint="plain", variant=VARIANT)
    failed = sorted((labels["gate"], value) for labels, value in verdicts)
    assert [value for _, value in failed] == [1, 0] and "lower bound" in failed[1][0], failed
    assert not series(page, "modelyard_live_metric", endpoint="one")


def test_modelyard_monitor_reads_what_the_server_logged(site: Site) -> None:
    _settled(site, "one")
    command = [
        sys.executable, "-m", "modelyard.cli", "--registry", site.demo.registry_url,
        "--artifacts", site.demo.artifacts, "monitor", "one", "--json", "--since", "1h",
        "--endpoints", str(site.demo.endpoints_file),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["source"], report["rows"]) == ("log", ROWS)
    (version,) = report["versions"]
    assert (version["variant"], version["model"], version["version"]) == (VARIANT, "cancer", 1)
    drifted = [f["name"] for f in version["report"]["features"] if f["drifted"]]
    assert drifted == ["mean texture"] and version["report"]["dataset"]["drifted"] is False
    served = {
        labels["feature"]: value
        for labels, value in series(site.page(), "modelyard_feature_drift", endpoint="one")
    }
    assert {f["name"]: f["p_value"] for f in version["report"]["features"]} == served


def test_a_missing_gates_file_is_logged_and_drift_still_shown(site: Site) -> None:
    page = _settled(site, "misgated")

    assert _dataset(page, "misgated") == 0
    assert not series(page, "modelyard_live_metric", endpoint="misgated")
    missing = site.demo.endpoints_file.parent / "missing.yaml"
    assert (
        f"live performance of endpoint misgated not computed: {missing}: no such file"
        in site.server.log_text()
    )


def test_below_min_rows_nothing_is_judged_and_no_verdict_is_shown(site: Site) -> None:
    page = _settled(site, "sparse")  # every feature shifted, but 200 rows of the 500 needed

    assert not _drifted(page, "sparse")
    assert not series(page, "modelyard_feature_drift", endpoint="sparse")
    assert not series(page, "modelyard_dataset_drift", endpoint="sparse")
    assert not series(page, "modelyard_prediction_drifted", endpoint="sparse")
