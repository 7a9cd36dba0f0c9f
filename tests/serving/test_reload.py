"""Hot reload: an alias move reaches the running server without failing a request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from servertools import start_server
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.demo import Demo
from modelyard.registry import Registry

MODEL = "cancer_reload"


@pytest.fixture(scope="module")
def registry(demo: Demo) -> Iterator[Registry]:
    """Two versions of a model of its own (so moving its alias disturbs no other test)."""
    store = Registry(demo.registry_url, demo.artifacts)
    data = load_breast_cancer(as_frame=True)
    train = data.data.assign(target=data.target.to_numpy())
    for c in (0.01, 1.0):
        model = LogisticRegression(C=c, max_iter=5000).fit(data.data, data.target)
        log_model(model, MODEL, sample=data.data.head(10), train_data=train, target="target",
                  registry=store)  # fmt: skip
    store.set_alias(MODEL, "production", 1, reason="test start")
    yield store
    store.close()


def _endpoints(tmp_path: Path) -> Path:
    path = tmp_path / "endpoints.yaml"
    path.write_text(yaml.safe_dump({"endpoints": [{"id": "live", "model": f"{MODEL}@production"}]}))
    return path


class Load:
    """Clients sending requests in a loop from threads, recording status and version."""

    def __init__(self, url: str, record: dict[str, float], clients: int = 4) -> None:
        self.url = f"{url}/endpoints/live/predict"
        self.payload = {"instances": [record]}
        self.results: list[tuple[int, str, float]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(clients)]

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                response = client.post(self.url, json=self.payload)
                self.results.append(
                    (response.status_code, response.headers.get("x-model-version", ""), started)
                )

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def wait_for(self, version: str, count: int, deadline_s: float = 60) -> None:
        """Return once ``count`` answers came from ``version`` (or fail at the deadline)."""
        give_up = time.monotonic() + deadline_s
        while sum(1 for _, v, _ in list(self.results) if v == version) < count:
            assert time.monotonic() < give_up, f"fewer than {count} answers from v{version}"
            time.sleep(0.01)


def test_admin_reload_switches_under_load_and_no_request_fails(
    demo: Demo, registry: Registry, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    registry.set_alias(MODEL, "production", 1, reason="test start")
    server = start_server(demo, _endpoints(tmp_path), tmp_path, reload_s=0)
    try:
        with Load(server.url, demo.cancer_record) as load:
            load.wait_for("1", 50)
            registry.set_alias(MODEL, "production", 2, reason="promote")
            switched_at = time.monotonic()
            reload = httpx.post(f"{server.url}/admin/reload", headers=admin_headers, timeout=60)
            answer = reload.json()
            answered_at = time.monotonic()
            load.wait_for("2", 50)
        assert answer == {
            "switched": [{"endpoint": "live", "variant": "primary", "from": "1", "to": "2"}]
        }
        assert {status for status, _, _ in load.results} == {200}
        assert all(v == "1" for _, v, started in load.results if started < switched_at)
        assert all(v == "2" for _, v, started in load.results if started > answered_at)
        again = httpx.post(f"{server.url}/admin/reload", headers=admin_headers)
        assert again.json() == {"switched": []}
    finally:
        server.stop()
    assert '"message":"closed old version"' in server.log_text()


def test_the_watcher_follows_an_alias_move_by_itself(
    demo: Demo, registry: Registry, tmp_path: Path
) -> None:
    registry.set_alias(MODEL, "production", 2, reason="test start")
    server = start_server(demo, _endpoints(tmp_path), tmp_path, reload_s=0.2)
    try:
        with Load(server.url, demo.cancer_record, clients=2) as load:
            load.wait_for("2", 20)
            registry.set_alias(MODEL, "production", 1, reason="back to v1")
            load.wait_for("1", 20)
        assert {status for status, _, _ in load.results} == {200}
    finally:
        server.stop()
