"""A real server whose endpoints log (and monitor) what they answer, for the monitoring page.

``shifted`` logs every request and recomputes drift every second; its traffic is drawn from
the breast-cancer population with two features moved by 3 standard deviations. Its log also
holds the history of the five 5-minute windows before: 100 answered rows each, the same two
features moved by :data:`HISTORY_SIGMAS` (written as the server's writer writes). ``unlogged``
serves the same model with no prediction log. ``modelyard ui`` over the same registry (no
server) is started on demand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pandas as pd
import yaml
from sklearn.datasets import load_breast_cancer

from modelyard.demo import Demo
from modelyard.monitoring.store import LogStore, open_store
from modelyard.registry import ModelVersion, Registry
from monitoring.drifttools import shift, traffic
from monitoring.labeltools import cancer_version, log_answers
from serving.servertools import RunningServer, start_server

POPULATION = load_breast_cancer(as_frame=True).frame
FEATURES = [str(c) for c in POPULATION.columns if c != "target"]
SHIFTED = ["mean texture", "worst smoothness"]
ROWS = 300
BATCH = 25
NAMES = {0: "malignant", 1: "benign"}
READ_DEADLINE_S = 30.0
WINDOW = timedelta(minutes=5)
"""The page's default window: the monitoring window (1h) cut in 12."""
HISTORY_SIGMAS = [0.0, 0.0, 1.0, 2.0, 3.0]
HISTORY_ROWS = 100


@dataclass
class Monitored:
    """The server, its registry and what was sent to ``shifted`` (rows and answers)."""

    demo: Demo
    server: RunningServer
    sent: pd.DataFrame
    answers: list[str]

    def settle(self) -> None:
        """Wait until the prediction log holds every request sent to ``shifted`` (the
        server's writer flushes every 0.1 s) and the server's background drift has read it
        (``modelyard_drift_rows`` counts them all)."""
        registry = Registry(self.demo.registry_url, self.demo.artifacts, create=False)
        try:
            log = open_store("registry", registry)
            deadline = time.monotonic() + READ_DEADLINE_S
            while (rows := self._sent_rows(log)) < len(self.sent):
                assert time.monotonic() < deadline, f"{rows} rows logged within the deadline"
                time.sleep(0.1)
        finally:
            registry.close()
        logged = len(self.sent) + HISTORY_ROWS * len(HISTORY_SIGMAS)
        line = f'modelyard_drift_rows{{endpoint="shifted",variant="primary"}} {logged}'
        while line not in httpx.get(f"{self.server.url}/metrics", timeout=30).text:
            assert time.monotonic() < deadline, "the server's drift read the log in time"
            time.sleep(0.2)

    @staticmethod
    def _sent_rows(log: LogStore) -> int:
        ids = log.read("shifted", columns=["request_id"])["request_id"]
        return int(ids.str.startswith("shifted-").sum())

    def send_labels(self) -> float:
        """The true label of every request sent to ``shifted``; the accuracy of its answers."""
        truth = [NAMES[int(t)] for t in self.sent["target"]]
        for i in range(0, len(truth), BATCH):
            sent = httpx.post(
                f"{self.server.url}/endpoints/shifted/feedback",
                json={"request_id": f"shifted-{i // BATCH}", "label": truth[i : i + BATCH]},
                timeout=60,
            )
            assert sent.status_code == 200, sent.text
        return sum(a == t for a, t in zip(self.answers, truth, strict=True)) / len(truth)


def _send(url: str, rows: pd.DataFrame) -> list[str]:
    answers = []
    inputs = rows[FEATURES].to_dict(orient="records")
    for i in range(0, len(inputs), BATCH):
        answer = httpx.post(
            f"{url}/endpoints/shifted/predict", json={"instances": inputs[i : i + BATCH]},
            headers={"x-request-id": f"shifted-{i // BATCH}"}, timeout=60,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        answers += [p["label"] for p in answer.json()["predictions"]]
    return answers


def _log_history(registry: Registry, version: ModelVersion) -> None:
    """Five past windows of ``shifted``'s log, each 30 s into its 5-minute window."""
    now = datetime.now(UTC)
    current = now - (now - datetime(1970, 1, 1, tzinfo=UTC)) % WINDOW
    for back, sigmas in zip(range(len(HISTORY_SIGMAS), 0, -1), HISTORY_SIGMAS, strict=True):
        rows = shift(traffic(POPULATION, HISTORY_ROWS, seed=10 + back), SHIFTED, sigmas)
        log_answers(
            registry, "shifted", version, rows[FEATURES], variant="primary",
            at=current - back * WINDOW + timedelta(seconds=30),
            ids=[f"history-{back}-{i}" for i in range(HISTORY_ROWS)],
        )  # fmt: skip


def start_monitored(home: Path) -> Monitored:
    """Register the model, serve both endpoints and send the shifted traffic."""
    registry = Registry(f"sqlite:///{home / 'registry.db'}", str(home / "artifacts"))
    version, _ = cancer_version(registry, home / "packages")
    _log_history(registry, version)
    demo = Demo(registry.url, registry.artifacts_url, home / "endpoints.yaml", home, {})
    registry.close()
    logged = {"sample_rate": 1.0, "flush_every": 0.1}
    monitored = {"drift_every": "1s", "window": "1h", "min_rows": 50}
    endpoints = [
        {"id": "shifted", "model": version.ref, "logging": logged, "monitoring": monitored},
        {"id": "unlogged", "model": version.ref},
    ]
    demo.endpoints_file.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    sent = shift(traffic(POPULATION, ROWS, seed=7), SHIFTED)
    server = start_server(demo, demo.endpoints_file, home)
    try:
        return Monitored(demo, server, sent, _send(server.url, sent))
    except BaseException:
        server.stop()
        raise
