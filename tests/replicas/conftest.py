"""Shared storage for several replicas: a real S3 API server and a real PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from s3tools import S3Server, s3_server

POSTGRES_ENV = "MODELYARD_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """moto's S3 server, this session's processes pointed at it through the environment."""
    with s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    """An ``s3://`` artifact store in a new, empty bucket."""
    return s3.new_bucket()


def postgres_base_url() -> str:
    """The test server's URL; outside CI a loud skip without one, in CI a failure."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = (
        f"{POSTGRES_ENV} is not set: the replica tests on PostgreSQL did NOT run. "
        "Start a server with `.ci/start-postgres.sh` and export the line it prints."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires PostgreSQL. {message}")
    warnings.warn(message, UserWarning, stacklevel=1)  # listed in the warnings summary
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema on the test server, dropped afterwards."""
    base = postgres_base_url()
    schema = f"replicas_test_{uuid.uuid4().hex[:12]}"
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
