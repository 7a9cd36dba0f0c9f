"""Real models, a real registry, real server processes on 127.0.0.1, real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from servertools import RunningServer, free_port, new_token, start_server
from v2_models import v2_server

__all__ = ["v2_server"]  # a session fixture of its module, shared from here

from modelyard.demo import Demo, prepare
from modelyard.pipeline import Endpoint, load_endpoints
from modelyard.registry import Registry


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo's two models, registered and aliased @production."""
    return prepare(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a runner stuck on it times out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def endpoints_file(demo: Demo, silent_port: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's endpoints plus ones for the error paths: tight limits, a dead runner, a
    runner that never answers."""
    document = yaml.safe_load(demo.endpoints_file.read_text())
    document["endpoints"] += [
        {
            "id": "tight",
            "model": "breast_cancer@production",
            "limits": {"max_body_bytes": 4096, "max_instances": 2},
        },
        {
            "id": "dead-runner",
            "model": "breast_cancer@production",
            "pipeline": {
                "runner": {
                    "name": "http",
                    "args": {"url": f"http://127.0.0.1:{free_port()}", "output": "label"},
                }
            },
        },
        {
            "id": "stuck-runner",
            "model": "breast_cancer@production",
            "pipeline": {
                "runner": {
                    "name": "http",
                    "args": {
                        "url": f"http://127.0.0.1:{silent_port}",
                        "output": "label",
                        "timeout_s": 20,
                    },
                }
            },
        },
    ]
    path = tmp_path_factory.mktemp("endpoints") / "endpoints.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def server(
    demo: Demo, endpoints_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server for the read-only tests (2 s request timeout, for the 504 path)."""
    running = start_server(demo, endpoints_file, tmp_path_factory.mktemp("server"), timeout_s=2)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def admin_headers(demo: Demo) -> dict[str, str]:
    """The header of an admin token in the demo's registry: admin routes need one.

    Servers read tokens at start, so a server started after this fixture knows it.
    """
    token = new_token(demo, "serving-tests-admin", "admin")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def in_process(demo: Demo) -> Iterator[dict[str, Endpoint]]:
    """The same endpoints loaded in this process: what an unbatched call answers."""
    registry = Registry(demo.registry_url, demo.artifacts)
    endpoints = load_endpoints(demo.endpoints_file, registry)
    yield endpoints
    for endpoint in endpoints.values():
        endpoint.close()
    registry.close()


@pytest.fixture(scope="session")
def rollout_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A demo registry of its own for the rollout tests (their state lives in it), with a
    second version of the breast-cancer model (the same package registered again)."""
    demo = prepare(tmp_path_factory.mktemp("rollout-demo"))
    registry = Registry(demo.registry_url, demo.artifacts)
    registry.register(registry.fetch("breast_cancer@production"))
    registry.close()
    return demo


@pytest.fixture(scope="session")
def rollout_admin(rollout_demo: Demo) -> dict[str, str]:
    """An admin token's header in the rollout registry (made before any rollout server)."""
    token = new_token(rollout_demo, "rollout-tests-admin", "admin")
    return {"Authorization": f"Bearer {token}"}
