"""Reload follows versions (not only digests), and a failed reload says why without paths."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from servertools import RunningServer, start_server
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from modelyard.api import package_model
from modelyard.demo import Demo
from modelyard.registry import Registry

MODEL = "cancer_twice"
ADMIN: dict[str, str] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, RunningServer]]:
    """v1 and v2 of one model from the same package bytes, v3 from other bytes; a server on
    ``MODEL@production`` (= v1) that checks the registry only when asked (with the admin token
    in ``ADMIN``)."""
    home = tmp_path_factory.mktemp("reload-versions")
    registry = Registry(f"sqlite:///{home / 'registry.db'}", str(home / "artifacts"))
    data = load_breast_cancer(as_frame=True)
    for name, c in (("same", 1.0), ("other", 0.01)):
        model = LogisticRegression(C=c, max_iter=5000).fit(data.data, data.target)
        package_model(model, MODEL, home / name, sample=data.data.head(10))
    for name in ("same", "same", "other"):
        registry.register(home / name)
    registry.set_alias(MODEL, "production", 1, reason="start")
    token, _ = registry.tokens.create("reload-tests", "admin")
    ADMIN["Authorization"] = f"Bearer {token}"
    endpoints = home / "endpoints.yaml"
    endpoints.write_text(
        yaml.safe_dump({"endpoints": [{"id": "twice", "model": f"{MODEL}@production"}]})
    )
    server = start_server(
        Demo(registry.url, registry.artifacts_url, endpoints, home, {}), endpoints, home
    )
    yield registry, server
    server.stop()
    registry.close()


def _version_served(server: RunningServer) -> str:
    record = load_breast_cancer(as_frame=True).data.iloc[0].to_dict()
    response = httpx.post(f"{server.url}/endpoints/twice/predict", json={"instances": [record]})
    assert response.status_code == 200, response.text
    return response.headers["x-model-version"]


def test_identical_bytes_registered_again_are_switched_to_as_a_new_version(
    site: tuple[Registry, RunningServer],
) -> None:
    registry, server = site
    assert registry.get(f"{MODEL}:1").digest == registry.get(f"{MODEL}:2").digest
    assert _version_served(server) == "1"

    registry.set_alias(MODEL, "production", 2, reason="same bytes, new number")
    answer = httpx.post(f"{server.url}/admin/reload", headers=ADMIN, timeout=60)

    assert answer.status_code == 200
    assert answer.json() == {
        "switched": [{"endpoint": "twice", "variant": "primary", "from": "1", "to": "2"}]
    }
    deadline = time.monotonic() + 30
    while _version_served(server) != "2":
        assert time.monotonic() < deadline, "x-model-version never became 2"


def test_a_failed_reload_names_the_version_and_no_server_path(
    site: tuple[Registry, RunningServer],
) -> None:
    registry, server = site
    broken = registry.get(f"{MODEL}:3")
    folder = registry.fetch(broken)
    moved = folder.with_name(folder.name + ".away")
    shutil.move(folder, moved)
    registry.set_alias(MODEL, "production", 3, reason="points at a missing package")
    try:
        answer = httpx.post(f"{server.url}/admin/reload", headers=ADMIN, timeout=60)
    finally:
        shutil.move(moved, folder)
        registry.set_alias(MODEL, "production", 2, reason="back")

    assert answer.status_code == 503
    assert answer.json() == {
        "error": f"reload failed: {MODEL}:3 (package {broken.digest[:12]}) has no "
        "manifest.json: expected a model package folder"
    }
    assert str(Path(registry.artifacts_url).parent) not in answer.text
    assert _version_served(server) in {"1", "2"}
