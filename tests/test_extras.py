"""A feature whose extra is not installed says which ``pip install`` brings it, in one line.

Each test runs a real ``modelyard`` command or a real Python call in a subprocess where the
extra's libraries cannot be imported: a ``sitecustomize`` on ``PYTHONPATH`` puts a finder in
front of ``sys.meta_path`` that refuses them, as a serving install without them would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from modelyard.package.builder import build_package
from modelyard.registry import Registry

TRAIN = ("sklearn", "skl2onnx", "scipy", "pandas", "onnx", "joblib")
TRAIN_HINT = r'(pandas|scikit-learn|scipy|onnx|skl2onnx|joblib): pip install "modelyard\[train\]"'

_BLOCKER = """
import os, sys

_BLOCKED = set(os.environ["MODELYARD_TEST_BLOCKED"].split(","))


class _Absent:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Absent())
"""


def _without(
    tmp_path: Path, blocked: tuple[str, ...], *args: str
) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_BLOCKER)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "MODELYARD_TEST_BLOCKED": ",".join(blocked),
        "MODELYARD_HOME": str(tmp_path),
    }
    return subprocess.run(
        list(args), capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )


def _errors(stderr: str) -> list[str]:
    """The ``error:`` lines a command printed (progress output may come before them)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def _modelyard() -> str:
    return str(Path(sys.executable).parent / "modelyard")


def _python(code: str) -> tuple[str, ...]:
    """Run ``code``; it prints the error it caught as ``Class: message``."""
    wrapped = f"try:\n{code}\nexcept Exception as e:\n    print(f'{{type(e).__name__}}: {{e}}')"
    return (sys.executable, "-c", wrapped)


def test_blocker_really_hides_a_library(tmp_path: Path) -> None:
    done = _without(tmp_path, ("pandas",), *_python("    import pandas"))

    assert done.stdout == "ModuleNotFoundError: No module named 'pandas'\n"


def test_cli_command_without_train_extra_names_the_pip_command(tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    done = _without(tmp_path, TRAIN, _modelyard(), "--registry", registry, "demo", "--no-serve")

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = _errors(done.stderr)
    assert re.fullmatch(f"error: this command needs {TRAIN_HINT}", line), done.stderr


def test_python_api_without_train_extra_names_the_pip_command(tmp_path: Path) -> None:
    done = _without(tmp_path, TRAIN, *_python("    import modelyard\n    modelyard.log_model"))

    assert re.fullmatch(
        f"MissingExtraError: modelyard.log_model needs {TRAIN_HINT}\n", done.stdout
    ), done.stdout + done.stderr


def test_postgres_registry_without_driver_names_the_postgres_extra(tmp_path: Path) -> None:
    url = "postgresql+psycopg://modelyard@127.0.0.1:9/registry"
    done = _without(tmp_path, ("psycopg",), _modelyard(), "--registry", url, "models", "list")

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert _errors(done.stderr) == [
        'error: a postgresql registry needs psycopg: pip install "modelyard[postgres]"'
    ], done.stderr


def test_parquet_data_without_pyarrow_names_the_parquet_extra(tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    X.assign(target=y).to_parquet(tmp_path / "train.parquet")
    code = (
        "    import modelyard\n"
        "    from sklearn.datasets import load_iris\n"
        "    from sklearn.linear_model import LogisticRegression\n"
        "    X, y = load_iris(return_X_y=True, as_frame=True)\n"
        "    model = LogisticRegression(max_iter=500).fit(X, y)\n"
        f"    registry = modelyard.Registry('sqlite:///{tmp_path}/r.db', '{tmp_path}/artifacts')\n"
        "    modelyard.log_model(model, 'iris', sample=X.head(5), train_data='train.parquet',\n"
        "                        target='target', registry=registry)"
    )
    done = _without(tmp_path, ("pyarrow", "fastparquet"), *_python(code))

    assert done.stdout == (
        'MissingExtraError: reading Parquet needs pyarrow: pip install "modelyard[parquet]"\n'
    ), done.stderr


@pytest.mark.parametrize(
    ("blocked", "named"), [(("joblib", "sklearn"), "joblib"), (("sklearn",), "scikit-learn")]
)
def test_pickled_package_without_scikit_learn_names_the_train_extra(
    tmp_path: Path, blocked: tuple[str, ...], named: str
) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    build_package(model, "iris", tmp_path / "package", sample=pd.DataFrame(X).head(5),
                  format="sklearn")  # fmt: skip
    code = (
        "    from modelyard.package.loader import load_package\n"
        f"    load_package({str(tmp_path / 'package')!r})"
    )
    done = _without(tmp_path, blocked, *_python(code))

    assert done.stdout == (
        f'MissingExtraError: the sklearn format needs {named}: pip install "modelyard[train]"\n'
    ), done.stderr


def test_a_monitored_endpoint_without_the_monitor_extra_names_it(tmp_path: Path) -> None:
    import modelyard

    X, y = load_iris(return_X_y=True, as_frame=True)
    registry_url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = modelyard.Registry(registry_url, str(tmp_path / "artifacts"))
    modelyard.log_model(
        LogisticRegression(max_iter=500).fit(X, y), "iris", sample=X.head(5), registry=registry
    )
    registry.close()
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n"
        "  - id: iris\n"
        "    model: iris:1\n"
        "    logging: {sample_rate: 1.0}\n"
        "    monitoring: {drift_every: 1m}\n"
    )
    done = _without(
        tmp_path, ("scipy", "sklearn"), _modelyard(), "--registry", registry_url,
        "--artifacts", str(tmp_path / "artifacts"), "serve", "endpoints.yaml", "--port", "9",
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert _errors(done.stderr) == [
        "error: endpoint 'iris' has a monitoring: block, which needs scipy, scikit-learn: "
        'pip install "modelyard[monitor]"'
    ], done.stderr


def test_the_ray_engine_without_ray_names_the_ray_extra(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1.0]}).to_parquet(tmp_path / "rows.parquet")
    registry_url = f"sqlite:///{tmp_path}/r.db"
    Registry(registry_url, str(tmp_path / "artifacts")).close()
    done = _without(
        tmp_path, ("ray",), _modelyard(), "--registry", registry_url, "batch", "iris@production",
        "--input", "rows.parquet", "--output", "scores.parquet", "--engine", "ray",
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr == 'error: --engine ray needs ray: pip install "modelyard[ray]"\n'


MLFLOW_HINT = 'mlflow-skinny: pip install "modelyard[mlflow]"'


def test_import_command_without_mlflow_names_the_mlflow_extra(tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    done = _without(
        tmp_path, ("mlflow",), _modelyard(), "--registry", registry, "import", "mlflow",
        "models:/iris/1",
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert _errors(done.stderr) == [f"error: importing from MLflow needs {MLFLOW_HINT}"]


def test_import_mlflow_api_without_mlflow_names_the_mlflow_extra(tmp_path: Path) -> None:
    code = "    import modelyard\n    modelyard.import_mlflow('models:/iris/1')"
    done = _without(tmp_path, ("mlflow",), *_python(code))

    assert done.stdout == f"MissingExtraError: importing from MLflow needs {MLFLOW_HINT}\n"


def test_an_s3_artifact_store_without_s3fs_names_the_s3_extra(tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry(registry, str(tmp_path / "artifacts")).close()
    done = _without(
        tmp_path, ("s3fs",), _modelyard(), "--registry", registry,
        "--artifacts", "s3://models/registry", "models", "list",
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        'error: the s3:// artifact store needs s3fs: pip install "modelyard[s3]"\n'
    )


def test_a_store_whose_library_no_extra_installs_repeats_fsspecs_hint(tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry(registry, str(tmp_path / "artifacts")).close()
    done = _without(
        tmp_path, ("gcsfs",), _modelyard(), "--registry", registry,
        "--artifacts", "gs://models/registry", "models", "list",
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: the gs:// artifact store needs a library: "
        "Please install gcsfs to access Google Storage\n"
    )
