"""What the prediction log loses, and says it lost: a full buffer, a store that fails, a kill.

Each test runs its own real server (the settings differ) on the models of ``logtools``.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from logtools import READ_DEADLINE_S, build_registry, metric, read_log
from servertools import RunningServer, start_server
from v2_models import FLOWER

from modelyard.demo import Demo

FLOWERS = "flowers@production"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return build_registry(tmp_path_factory.mktemp("log-loss"))


def _serve(demo: Demo, workdir: Path, logging: dict[str, Any]) -> tuple[RunningServer, Demo]:
    """A server whose one endpoint, ``flowers``, logs to a copy of the registry database of
    this test's own (the models' files shared)."""
    database = workdir / "registry.db"
    shutil.copy(demo.registry_url.removeprefix("sqlite:///"), database)
    own = replace(demo, registry_url=f"sqlite:///{database}", endpoints_file=workdir / "e.yaml")
    endpoints = [{"id": "flowers", "model": FLOWERS, "logging": logging}]
    own.endpoints_file.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    return start_server(own, own.endpoints_file, workdir), own


def _send(url: str, request_ids: list[str], threads: int = 1) -> list[int]:
    """Predict once per id (``threads`` at a time); the statuses."""
    with httpx.Client(base_url=url, timeout=30) as client:

        def one(request_id: str) -> int:
            return client.post(
                "/endpoints/flowers/predict", json={"instances": [FLOWER]},
                headers={"x-request-id": request_id},
            ).status_code  # fmt: skip

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, request_ids))


def _until(check: Any) -> None:
    """Poll ``check`` until true, within the read deadline."""
    deadline = time.monotonic() + READ_DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def running(
    request: pytest.FixtureRequest, demo: Demo, tmp_path: Path
) -> Iterator[tuple[RunningServer, Demo]]:
    server, own = _serve(demo, tmp_path, request.param)
    yield server, own
    server.stop()


@pytest.mark.parametrize("running", [{"sample_rate": 1.0, "buffer": 100, "flush_every": 3600}],
                         indirect=True)  # fmt: skip
def test_a_full_buffer_drops_and_counts_without_failing_a_request(
    running: tuple[RunningServer, Demo],
) -> None:
    server, demo = running
    sent = [f"burst-{n}" for n in range(300)]
    assert _send(server.url, sent, threads=16) == [200] * len(sent)
    dropped = metric(server.url, "modelyard_prediction_log_dropped_total", endpoint="flowers")
    assert dropped == 200  # the buffer holds 100 until the (hour-long) flush
    server.stop()  # a graceful stop: the last flush writes what the buffer held
    assert '"message":"stopped"' in server.log_text()
    logged = set(read_log(demo, "flowers")["request_id"])
    assert logged <= set(sent)
    assert len(sent) - len(logged) == dropped


def test_a_failing_store_is_counted_logged_once_and_never_fails_a_request(
    demo: Demo, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log's folder should be")
    server, demo = _serve(demo, tmp_path, {"sample_rate": 1.0, "flush_every": 0.1,
                                     "store": f"parquet:{blocker / 'log'}"})  # fmt: skip
    try:
        for n in (1, 2):
            assert _send(server.url, [f"lost-{n}"]) == [200]
            _until(lambda n=n: metric(server.url, "modelyard_prediction_log_write_errors_total",
                                      endpoint="flowers") == n)  # fmt: skip
        assert metric(server.url, "modelyard_prediction_log_dropped_total", endpoint="flowers") == 2
        assert metric(server.url, "modelyard_prediction_log_written_total", endpoint="flowers") == 0
    finally:
        server.stop()
    assert server.log_text().count("prediction log write failed, records dropped") == 1


@pytest.mark.parametrize("running", [{"sample_rate": 1.0, "flush_every": 0.2}], indirect=True)
def test_a_killed_server_loses_at_most_what_it_buffered_since_its_last_flush(
    running: tuple[RunningServer, Demo],
) -> None:
    server, demo = running
    flushed = [f"early-{n}" for n in range(30)]
    assert _send(server.url, flushed) == [200] * len(flushed)
    _until(lambda: metric(server.url, "modelyard_prediction_log_written_total",
                          endpoint="flowers") == len(flushed))  # fmt: skip
    late = [f"late-{n}" for n in range(40)]
    assert _send(server.url, late, threads=8) == [200] * len(late)
    server.process.send_signal(signal.SIGKILL)
    assert server.process.wait(30) == -signal.SIGKILL
    logged = set(read_log(demo, "flowers")["request_id"])
    assert set(flushed) <= logged  # written before the kill: kept
    assert logged <= set(flushed) | set(late)  # whatever is missing was sent after that flush
