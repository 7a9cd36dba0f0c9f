"""A real MLflow tracking store (SQLite in a temporary folder), filled once per session.

See :mod:`mlflowstore` for what it holds. No network: MLflow's telemetry is switched off for
every test here.
"""

from __future__ import annotations

import pytest
from mlflowstore import QUIET, Store, fill_store


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in QUIET.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The session's tracking store."""
    return fill_store(tmp_path_factory.mktemp("mlflow"))
