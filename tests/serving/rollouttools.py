"""Serving endpoints with several variants for the rollout tests: two versions of the
breast-cancer model, a flaky remote model, and real servers started on a file of endpoints."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml
from servertools import RunningServer, start_server

from modelyard.demo import Demo
from modelyard.package.io import read_manifest, write_manifest
from modelyard.package.manifest import ComponentSpec
from modelyard.registry import Registry


def write_endpoints(path: Path, endpoints: list[dict[str, Any]]) -> Path:
    """An endpoints file holding ``endpoints``."""
    path.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    return path


@contextlib.contextmanager
def serving(
    demo: Demo, workdir: Path, endpoints: list[dict[str, Any]], **options: float
) -> Iterator[RunningServer]:
    """A real server on ``endpoints`` (rollout ticks every 0.2 s unless said)."""
    path = write_endpoints(workdir / f"endpoints-{endpoints[0]['id']}.yaml", endpoints)
    options.setdefault("rollout_tick_s", 0.2)
    server = start_server(demo, path, workdir, **options)
    try:
        yield server
    finally:
        server.stop()


def predict(
    client: httpx.Client, url: str, endpoint: str, record: dict[str, float], **headers: str
) -> httpx.Response:
    """One native predict request."""
    return client.post(
        f"{url}/endpoints/{endpoint}/predict", json={"instances": [record]}, headers=headers
    )


def status(url: str, endpoint: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """``GET /endpoints/{id}/rollout``."""
    response = httpx.get(f"{url}/endpoints/{endpoint}/rollout", headers=headers, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def variant(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The status document's entry of variant ``name``."""
    found: dict[str, Any] = next(v for v in document["variants"] if v["name"] == name)
    return found


class FlakyModel:
    """A remote model (for the ``http`` runner) answering label 0, but failing with 500 on
    every ``fail_every``-th call: a share of failures no window of calls escapes."""

    def __init__(self, fail_every: int) -> None:
        calls = itertools.count(1)
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = orjson.loads(self.rfile.read(int(self.headers["content-length"])))
                with lock:
                    fail = next(calls) % fail_every == 0
                if fail:
                    self.send_response(500)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                answer = orjson.dumps({"predictions": [0] * len(body["instances"])})
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def register_remote_candidate(registry: Registry, workdir: Path, url: str) -> int:
    """A version of breast_cancer whose pipeline runs on the remote model at ``url``."""
    folder = workdir / "remote-candidate"
    shutil.copytree(registry.fetch("breast_cancer@production"), folder)
    manifest = read_manifest(folder)
    runner = ComponentSpec(name="http", args={"url": url, "output": "label"})
    pipeline = manifest.pipeline.model_copy(update={"runner": runner})
    write_manifest(folder, manifest.model_copy(update={"pipeline": pipeline}))
    return registry.register(folder).version
