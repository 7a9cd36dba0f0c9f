"""Real models in a real registry for batch scoring: the demo's two (a DataFrame-trained
breast-cancer classifier, an image model of digits) plus an iris model trained on numpy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.demo import Demo, prepare
from modelyard.registry import Registry


@dataclass(frozen=True)
class Models:
    """Where the models are, and an endpoints file with an override of the cancer pipeline."""

    demo: Demo
    endpoints_file: Path

    def registry(self) -> Registry:
        return Registry(self.demo.registry_url, self.demo.artifacts, create=False)


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
