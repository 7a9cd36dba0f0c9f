"""Shared storage for several replicas: a real S3 API server and a real PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pgtools import fresh_schema, postgres_base_url
from s3tools import S3Server, s3_server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    """moto's S3 server, with this process and its children pointed at it through the
    environment for one module only (the rest of the suite never sees it)."""
    with s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    """An ``s3://`` artifact store in a new, empty bucket."""
    return s3.new_bucket()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema on the test server for a module's replicas."""
    base = postgres_base_url("the replica tests on PostgreSQL")
    with fresh_schema(base, "replicas_test") as url:
        yield url
