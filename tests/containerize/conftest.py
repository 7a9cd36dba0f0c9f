"""The demo's two endpoints, and the build context of an image serving them, made once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.containerize import BuildContext, build_context
from modelyard.demo import Demo, prepare
from modelyard.registry import Registry


def modelyard(
    *args: str, cwd: Path, bin_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``modelyard`` command (of ``bin_dir``'s environment, else this one)."""
    command = (bin_dir or Path(sys.executable).parent) / "modelyard"
    return subprocess.run(
        [str(command), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def containerize(demo: Demo, endpoints: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``modelyard containerize ENDPOINTS --out ctx`` in ``cwd``, refs resolved in the demo's
    registry."""
    return modelyard(
        "--registry", demo.registry_url, "containerize", endpoints, "--out", "ctx", cwd=cwd
    )


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo's registry: digits_is_3 (images) and breast_cancer (records), @production."""
    return prepare(tmp_path_factory.mktemp("containerize-demo"))


@pytest.fixture(scope="session")
def source(demo: Demo) -> Iterator[Registry]:
    """The registry the image is built from."""
    registry = Registry(demo.registry_url, demo.artifacts, create=False)
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def context(demo: Demo, source: Registry, tmp_path_factory: pytest.TempPathFactory) -> BuildContext:
    """The build context of the demo's endpoints file."""
    return build_context(demo.endpoints_file, tmp_path_factory.mktemp("image") / "ctx", source)
