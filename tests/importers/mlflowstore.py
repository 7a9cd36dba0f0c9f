"""A real MLflow tracking store (SQLite in a folder), filled as users fill theirs.

It holds what users bring: a scikit-learn model registered as ``iris`` version 1 (alias
``champion``) with a signature, an input example, parameters, metrics, a git commit and a
training dataset; a run whose model has no input example; an ONNX model; a pyfunc model; and
a folder written by ``mlflow.sklearn.save_model`` outside any run.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow.onnx
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from mlflow.models import infer_signature
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
SKLEARN_PIN = f"scikit-learn=={metadata.version('scikit-learn')}"
PARAMS = {"C": "0.5", "max_iter": "500"}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class Constant(mlflow.pyfunc.PythonModel):
    """A pyfunc python_model: a flavor an import refuses."""

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return [0] * len(model_input)


@dataclass(frozen=True)
class Store:
    """The tracking store and what was logged to it."""

    tracking_uri: str
    model: LogisticRegression
    X_test: pd.DataFrame
    run_id: str
    bare_run_id: str
    onnx_run_id: str
    pyfunc_run_id: str
    folder: Path


def _iris() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    data = load_iris(as_frame=True)
    X, y = data.data, data.target.rename("target")
    return X.iloc[::2], y.iloc[::2], X.iloc[1::2]


def _registered(model: LogisticRegression, X: pd.DataFrame, y: pd.Series) -> str:
    with mlflow.start_run() as run:
        mlflow.log_params(PARAMS)
        mlflow.log_metrics({"accuracy": 0.96, "log_loss": 0.12})
        mlflow.set_tags(
            {
                "mlflow.source.git.commit": COMMIT,
                "mlflow.source.git.branch": "main",
                "mlflow.source.git.repoURL": "https://ci:s3cret@git.example.com/team/iris.git",
            }
        )
        train = mlflow.data.from_pandas(X.assign(target=y), name="iris-train", targets="target")
        mlflow.log_input(train, context="training")
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(X, model.predict(X)),
            input_example=X.head(5),
            registered_model_name="iris",
            pip_requirements=[SKLEARN_PIN],
        )
    mlflow.MlflowClient().set_registered_model_alias("iris", "champion", "1")
    return str(run.info.run_id)


GIT_COMMIT = "mlflow.source.git.commit"


def _bare(model: LogisticRegression) -> str:
    """A run with no input example and no commit: MLflow tags the commit of the repository
        the test process was started from when there is one (the test runner's own script, inside
    a clone in CI), so the tag is removed."""
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model", pip_requirements=[SKLEARN_PIN])
    client = mlflow.MlflowClient()
    if GIT_COMMIT in client.get_run(run.info.run_id).data.tags:
        client.delete_tag(run.info.run_id, GIT_COMMIT)
    return str(run.info.run_id)


def _onnx(model: LogisticRegression, X: pd.DataFrame) -> str:
    rows = X.to_numpy(np.float32)
    proto = to_onnx(model, rows[:1], options={"zipmap": False})
    with mlflow.start_run() as run:
        mlflow.onnx.log_model(
            proto, name="model", input_example=rows[:5], pip_requirements=["onnxruntime"]
        )
    return str(run.info.run_id)


def _pyfunc() -> str:
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="model", python_model=Constant(), pip_requirements=[])
    return str(run.info.run_id)


def fill_store(root: Path) -> Store:
    """A tracking store in ``root``, named to MLflow only while it is filled."""
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    X, y, X_test = _iris()
    model = LogisticRegression(C=0.5, max_iter=500).fit(X, y)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in QUIET.items():
            patch.setenv(key, value)
        patch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
        patch.chdir(root)  # MLflow puts the artifacts of a new experiment beside the store
        # set_experiment writes MLFLOW_EXPERIMENT_ID into the environment: set here first, it
        # is removed again when the patch ends, not left to point later runs at this store
        patch.setenv("MLFLOW_EXPERIMENT_ID", "")
        mlflow.set_experiment("iris")
        folder = root / "saved"
        mlflow.sklearn.save_model(
            model, str(folder), input_example=X.head(5), pip_requirements=[SKLEARN_PIN]
        )
        store = Store(
            tracking_uri=tracking_uri,
            model=model,
            X_test=X_test,
            run_id=_registered(model, X, y),
            bare_run_id=_bare(model),
            onnx_run_id=_onnx(model, X),
            pyfunc_run_id=_pyfunc(),
            folder=folder,
        )
    return store
