"""Registry fixtures: the same store on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from modelyard.registry import Registry
from tinypackage import make_package

POSTGRES_ENV = "MODELYARD_TEST_POSTGRES_URL"


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = (
        f"{POSTGRES_ENV} is not set: the PostgreSQL registry tests did NOT run. "
        "Start a server with `.ci/start-postgres.sh` and export the line it prints."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires PostgreSQL. {message}")
    warnings.warn(message, UserWarning, stacklevel=1)  # listed in the warnings summary
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema on the test server, dropped afterwards."""
    base = _postgres_base_url()
    schema = f"registry_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
