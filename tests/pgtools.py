"""The test PostgreSQL server: its URL (a loud skip without one, a failure in CI) and fresh
schemas on it, so tests sharing the one server never see each other's tables."""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

POSTGRES_ENV = "MODELYARD_TEST_POSTGRES_URL"


def postgres_base_url(tests: str) -> str:
    """The server's URL; ``tests`` names what did not run when there is none."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = (
        f"{POSTGRES_ENV} is not set: {tests} did NOT run. "
        "Start a server with `.ci/start-postgres.sh` and export the line it prints."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires PostgreSQL. {message}")
    warnings.warn(message, UserWarning, stacklevel=1)  # listed in the warnings summary
    pytest.skip(message)


@contextlib.contextmanager
def fresh_schema(base: str, prefix: str) -> Iterator[str]:
    """A URL to a new, empty schema on the server at ``base``, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
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
