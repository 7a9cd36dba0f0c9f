"""The demo's two endpoints, and the build context of an image serving them, made once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelyard.containerize import BuildContext, build_context
from modelyard.demo import Demo, prepare
from modelyard.registry import Registry


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
