"""The image itself, where this machine can build one: built from the context with a real
container builder (docker, podman or buildah), then run (docker or podman) and asked to
predict, its health check reporting healthy.

Without a working builder these tests skip and say why (the docker CLI often exists without a
daemon); ``test_image_venv.py`` then carries the proof that the context serves."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from modelyard.containerize import BuildContext
from modelyard.demo import Demo
from nettools import free_port, wait_ready

pytestmark = pytest.mark.slow

BUILDERS = ("docker", "podman", "buildah")
RUNNERS = ("docker", "podman")
DEADLINE_S = 120


@dataclass(frozen=True)
class Builder:
    """A container tool that answered ``TOOL info``; ``why_not`` says what the others said."""

    tool: str | None
    why_not: str


def _find_builder() -> Builder:
    tried = []
    for tool in BUILDERS:
        path = shutil.which(tool)
        if path is None:
            tried.append(f"{tool}: not installed")
            continue
        probe = subprocess.run([path, "info"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return Builder(path, "")
        said = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        tried.append(f"{tool}: `{tool} info` failed ({said})")
    return Builder(None, "; ".join(tried))


@pytest.fixture(scope="module")
def image(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(tool, tag) of the image built from the context; skipped loudly without a builder."""
    builder = _find_builder()
    if builder.tool is None:
        pytest.skip(
            "NO CONTAINER BUILDER WORKS ON THIS MACHINE, the image was not built "
            f"({builder.why_not}); the context is proved by test_image_venv.py"
        )
    context: BuildContext = request.getfixturevalue("context")  # only once a builder works
    tag = f"modelyard-test-{uuid.uuid4().hex[:12]}"
    command = [builder.tool, "build", "-t", tag, str(context.path)]
    if builder.tool.endswith("buildah"):
        command = [builder.tool, "bud", "--format", "docker", "-t", tag, str(context.path)]
    elif builder.tool.endswith("podman"):
        command[2:2] = ["--format", "docker"]  # HEALTHCHECK is a docker-format instruction
    built = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    yield builder.tool, tag
    subprocess.run([builder.tool, "rmi", "-f", tag], capture_output=True, check=False)


def test_the_image_runs_as_its_non_root_user(image: tuple[str, str]) -> None:
    tool, tag = image
    inspect = [tool, "inspect", "--format", "{{.Config.User}}", tag]
    if tool.endswith("buildah"):
        inspect = [tool, "inspect", "--type", "image", "--format", "{{.Docker.Config.User}}", tag]
    inspected = subprocess.run(
        inspect,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert inspected.stdout.strip() == "modelyard"


def test_the_image_serves_and_reports_healthy(image: tuple[str, str], demo: Demo) -> None:
    tool, tag = image
    if not tool.endswith(RUNNERS):
        pytest.skip(f"{tool} builds images but does not run them; no docker or podman works here")
    port, name = free_port(), f"{tag}-run"
    process = subprocess.Popen(
        [tool, "run", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:8000", tag],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_ready(f"{url}/v2/health/ready", process, DEADLINE_S)
        response = httpx.post(
            f"{url}/endpoints/breast-cancer/predict",
            json={"instances": [demo.cancer_record]},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["model"]["name"] == "breast_cancer"
        assert _health(tool, name) == "healthy"
    finally:
        subprocess.run([tool, "stop", name], capture_output=True, check=False, timeout=60)
        process.wait(60)


def _health(tool: str, name: str) -> str:
    """The container's health status once it leaves ``starting`` (or the deadline passes)."""
    deadline = time.monotonic() + DEADLINE_S
    status = "starting"
    while status == "starting" and time.monotonic() < deadline:
        status = subprocess.run(
            [tool, "inspect", "--format", "{{.State.Health.Status}}", name],
            capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        time.sleep(0.5)
    return status
