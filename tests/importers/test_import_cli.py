"""``modelyard import mlflow`` run as users run it: the installed command, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflowstore import COMMIT, QUIET, Store

from modelyard.importers.mlflow_source import URI_FORMS


def _modelyard(
    workdir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "modelyard"), *args]
    env = {**os.environ, **QUIET, "COLUMNS": "250", "MODELYARD_HOME": str(workdir), **(env or {})}
    for name in ("MODELYARD_REGISTRY_URL", "MLFLOW_TRACKING_URI", "MLFLOW_LOGGING_LEVEL"):
        env.pop(name, None)
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=workdir, timeout=240
    )


def _key_values(table: str) -> dict[str, str]:
    """The rows of the two-column tables a command printed, as key -> value."""
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.splitlines()]
    return {row[0]: row[1] for row in cells if len(row) == 2}


def _error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    return line


def test_import_registers_the_version_and_lineage_shows_where_it_came_from(
    mlflow_store: Store, tmp_path: Path
) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    done = _modelyard(
        tmp_path, "--registry", registry, "import", "mlflow", "models:/iris/1",
        "--tracking-uri", mlflow_store.tracking_uri, "--name", "flowers",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("registered flowers:1 (")
    assert done.stdout.rstrip().endswith(") from models:/iris/1")
    shown = _modelyard(tmp_path, "--registry", registry, "lineage", "flowers:1")
    assert shown.returncode == 0, shown.stderr
    rows = _key_values(shown.stdout)
    assert rows["imported from"] == "mlflow models:/iris/1"
    assert rows["mlflow run"] == mlflow_store.run_id
    assert rows["run metric accuracy"] == "0.96"
    assert (rows["git commit"], rows["dirty"], rows["param C"]) == (COMMIT, "unknown", "0.5")
    assert rows["training dataset"].startswith("iris-train (")


def test_a_successful_import_prints_only_its_own_line(mlflow_store: Store, tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    done = _modelyard(
        tmp_path, "--registry", registry, "import", "mlflow", "models:/iris@champion",
        "--tracking-uri", mlflow_store.tracking_uri,
        env={"MLFLOW_SQLALCHEMYSTORE_POOLCLASS": "NullPool"},  # MLflow logs its pool at INFO
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    [line] = done.stdout.splitlines()
    assert line.startswith("registered iris:1 (")


def test_sqlite_tracking_store_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    done = _modelyard(
        tmp_path, "import", "mlflow", "models:/iris/1", "--tracking-uri", "sqlite:///typo.db"
    )

    assert _error(done) == (
        "error: tracking URI sqlite:///typo.db names no file: expected the SQLite file of an "
        "existing MLflow tracking store (--tracking-uri)"
    )
    assert not (tmp_path / "typo.db").exists()


def test_unknown_registered_model_is_one_error_line(mlflow_store: Store, tmp_path: Path) -> None:
    done = _modelyard(
        tmp_path, "import", "mlflow", "models:/missing/1", "--tracking-uri",
        mlflow_store.tracking_uri,
    )  # fmt: skip

    assert _error(done) == (
        "error: MLflow has no model at models:/missing/1: expected a registered version or "
        "alias, or a run's model path, in the tracking store (--tracking-uri)"
    )


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://host/model", f"unknown model URI ftp://host/model: expected {URI_FORMS}"),
        ("no-such-folder", f"model URI no-such-folder is not a folder: expected {URI_FORMS}"),
    ],
)
def test_uri_of_no_known_form_is_one_error_line(tmp_path: Path, uri: str, message: str) -> None:
    assert _error(_modelyard(tmp_path, "import", "mlflow", uri)) == f"error: {message}"


def test_folder_without_mlmodel_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    assert _error(_modelyard(tmp_path, "import", "mlflow", "empty")) == (
        f"error: {tmp_path / 'empty'} holds no MLmodel file: expected a model saved by "
        "mlflow's log_model or save_model"
    )


def test_sample_value_unfit_for_the_signature_is_one_error_line(
    mlflow_store: Store, tmp_path: Path
) -> None:
    rows = mlflow_store.X_test.head(5).astype(object)
    rows.iloc[2, 1] = "x"
    rows.to_csv(tmp_path / "rows.csv", index=False)

    done = _modelyard(
        tmp_path, "import", "mlflow", str(mlflow_store.folder), "--name", "iris",
        "--sample", "rows.csv",
    )  # fmt: skip

    assert _error(done) == (
        "error: the sample column sepal width (cm) does not fit the MLflow signature: expected "
        "double values"
    )
