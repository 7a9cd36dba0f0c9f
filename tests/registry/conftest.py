"""Registry fixtures: the same store on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelyard.registry import Registry
from pgtools import fresh_schema, postgres_base_url
from tinypackage import make_package


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema on the test server, dropped afterwards."""
    base = postgres_base_url("the PostgreSQL registry tests")
    with fresh_schema(base, "registry_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The metadata store under test: a SQLite file in ``tmp_path``, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def artifacts(tmp_path: Path) -> str:
    """A local artifact folder."""
    return str(tmp_path / "artifacts")


@pytest.fixture
def registry(registry_url: str, artifacts: str, tmp_path: Path) -> Iterator[Registry]:
    """A registry on the store under test, with local artifacts."""
    store = Registry(registry_url, artifacts, cache_dir=tmp_path / "cache")
    yield store
    store.close()


@pytest.fixture
def package(tmp_path: Path) -> Callable[..., Path]:
    """Build a real package folder: ``package("fraud")``, distinct bytes on every call."""
    counter = iter(range(1_000_000))

    def build(name: str = "fraud", payload: bytes | None = None) -> Path:
        data = payload if payload is not None else f"weights {next(counter)}".encode()
        return make_package(tmp_path / "packages", name, data)

    return build
