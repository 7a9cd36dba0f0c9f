"""Real models in a real registry for batch scoring: the demo's two (a DataFrame-trained
breast-cancer classifier, an image model of digits) plus an iris model trained on numpy."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pandas as pd
import pytest
import yaml
from batchtools import Models
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.cli.main import main
from modelyard.demo import prepare
from modelyard.registry import Registry


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    root = tmp_path_factory.mktemp("batch-models")
    demo = prepare(root)
    registry = Registry(demo.registry_url, demo.artifacts, create=False)
    iris = load_iris()
    model = LogisticRegression(max_iter=1000).fit(iris.data, iris.target)
    log_model(model, "iris_np", sample=iris.data[:20], registry=registry)
    registry.set_alias("iris_np", "production", 1, reason="test")
    registry.close()
    document = yaml.safe_load(demo.endpoints_file.read_text())
    document["endpoints"].append(
        {
            "id": "cancer-labels",
            "model": "breast_cancer:1",
            "pipeline": {"formatter": {"name": "classification", "args": {"probabilities": False}}},
        }
    )
    document["endpoints"].append(
        {"id": "cancer-strict", "model": "breast_cancer:1", "validation": {"profile": "reject"}}
    )
    endpoints = root / "batch-endpoints.yaml"
    endpoints.write_text(yaml.safe_dump(document, sort_keys=False))
    return Models(demo, endpoints)


@pytest.fixture
def registry(models: Models) -> Iterator[Registry]:
    store = models.registry()
    yield store
    store.close()


@pytest.fixture(scope="session")
def cancer_rows() -> pd.DataFrame:
    """The breast-cancer features with an ``id`` column, 569 rows."""
    frame = load_breast_cancer(as_frame=True).data
    return frame.assign(id=range(len(frame)))


@pytest.fixture
def cli(
    models: Models, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """``cli("batch", ...)`` runs ``modelyard`` on the models' registry: (code, out, err)."""
    monkeypatch.setenv("COLUMNS", "300")
    root = ["--registry", models.demo.registry_url, "--artifacts", models.demo.artifacts]

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["modelyard", *root, *args])
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
