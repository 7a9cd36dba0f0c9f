"""The metadata store itself: tables on first use, schema version, where defaults live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from modelyard.core.errors import ConflictError
from modelyard.registry import Registry
from modelyard.registry.schema import SCHEMA_VERSION

Build = Callable[..., Path]

TABLES = {
    "schema_info",
    "models",
    "versions",
    "version_tags",
    "aliases",
    "alias_events",
    "evaluations",
    "tokens",
    "rollouts",
    "rollout_arms",
    "rollout_events",
    "rollout_request_blocks",
    "rollout_requests",
    "rollout_feedback",
    "prediction_log",
    "prediction_log_columns",
    "prediction_log_endpoint_columns",
}


def test_tables_and_schema_version_are_created_on_first_use(
    registry_url: str, artifacts: str
) -> None:
    Registry(registry_url, artifacts).close()
    engine = create_engine(registry_url)
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, version FROM schema_info")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(1, SCHEMA_VERSION)]


def test_reopening_keeps_what_is_there(registry_url: str, artifacts: str, package: Build) -> None:
    Registry(registry_url, artifacts).register(package())
    assert Registry(registry_url, artifacts).get("fraud").version == 1


def test_a_database_of_another_schema_version_is_refused(registry_url: str, artifacts: str) -> None:
    Registry(registry_url, artifacts).close()
    engine = create_engine(registry_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE schema_info SET version = 99"))
    engine.dispose()
    expected = r"has schema version 99; this modelyard reads version 1$"
    with pytest.raises(ConflictError, match=expected):
        Registry(registry_url, artifacts)


def test_defaults_live_under_dot_modelyard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: Build
) -> None:
    monkeypatch.delenv("MODELYARD_REGISTRY_URL", raising=False)
    monkeypatch.delenv("MODELYARD_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    version = Registry().register(package())
    assert (tmp_path / ".modelyard" / "registry.db").is_file()
    assert (tmp_path / ".modelyard" / "artifacts" / "packages" / version.digest).is_dir()


def test_the_environment_overrides_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: Build
) -> None:
    monkeypatch.setenv("MODELYARD_REGISTRY_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    monkeypatch.setenv("MODELYARD_ARTIFACTS", str(tmp_path / "blobs"))
    version = Registry().register(package())
    assert (tmp_path / "elsewhere.db").is_file()
    assert (tmp_path / "blobs" / "packages" / version.digest).is_dir()
