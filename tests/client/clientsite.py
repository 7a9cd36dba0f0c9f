"""The client tests' server: the demo's models, endpoints that fail on purpose, tokens.

One server process answers every client test: the demo's two endpoints, ``tight`` (413),
``dead-runner`` (503), ``stuck-runner`` (504 after the server's 2 s timeout), ``guarded``
(needs a predict token: 401) and ``ab`` (an A/B rollout, which takes rewards: 409 for a
second one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from modelyard.client import Retry
from modelyard.demo import Demo, prepare
from modelyard.registry import Registry
from serving.servertools import RunningServer, free_port, start_server

FAST_RETRY = Retry(attempts=3, deadline_s=10, backoff_s=0.01, max_backoff_s=0.05)
"""Retries that do not slow the tests down."""
SERVER_TIMEOUT_S = 2


@dataclass(frozen=True)
class Site:
    """The running server, the demo it serves, and a token of each role."""

    server: RunningServer
    demo: Demo
    admin_token: str
    predict_token: str

    @property
    def url(self) -> str:
        return self.server.url


def _http_runner(url: str) -> dict[str, object]:
    """A pipeline whose model runs behind ``url`` (20 s runner timeout: the server's 2 s
    decides)."""
    return {"runner": {"name": "http", "args": {"url": url, "output": "label", "timeout_s": 20}}}


def _endpoints(silent_port: int) -> list[dict[str, object]]:
    cancer = "breast_cancer@production"
    arms = {"control": "breast_cancer:1", "treatment": "breast_cancer:2"}
    return [
        {"id": "tight", "model": cancer, "limits": {"max_body_bytes": 4096, "max_instances": 2}},
        {"id": "dead-runner", "model": cancer,
         "pipeline": _http_runner(f"http://127.0.0.1:{free_port()}")},
        {"id": "stuck-runner", "model": cancer,
         "pipeline": _http_runner(f"http://127.0.0.1:{silent_port}")},
        {"id": "guarded", "model": cancer, "auth": {"predict": "required"}},
        {"id": "ab", "model": arms["control"],
         "traffic": {"strategy": "ab", "variants": arms, "weights": dict.fromkeys(arms, 50)}},
    ]  # fmt: skip


def start_site(home: Path, silent_port: int) -> Site:
    """Register the demo in ``home``, make the tokens and start the server."""
    demo = prepare(home / "demo")
    registry = Registry(demo.registry_url, demo.artifacts)
    registry.register(registry.fetch("breast_cancer@production"))  # version 2, for the A/B
    admin, _ = registry.tokens.create("client-tests-admin", "admin")
    predict, _ = registry.tokens.create("client-tests-predict", "predict")
    registry.close()
    document = yaml.safe_load(demo.endpoints_file.read_text())
    document["endpoints"] += _endpoints(silent_port)
    path = home / "endpoints.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return Site(start_server(demo, path, home, timeout_s=SERVER_TIMEOUT_S), demo, admin, predict)
