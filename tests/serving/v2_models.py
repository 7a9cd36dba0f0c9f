"""Models for the Open Inference Protocol tests beyond the demo's, and a server serving them
(the ``v2_server`` fixture, shared by the serving tests through ``conftest.py``).

- **flowers**: two number columns and a ``colour`` string column, through a scikit-learn
  ``ColumnTransformer`` (scaler + one-hot encoder): one V2 input per column, ``colour`` a BYTES
  tensor. The colour decides the answer, so a colour read wrongly changes the probabilities.
- **gappy**: breast cancer with ``mean radius`` missing in some training rows, imputed inside
  the model; its profile says that feature may be missing, the 29 others may not.
- **digits**: the demo's "is it a 3?" model behind the ``image`` encoder (an image endpoint).
- **remote**: ``gappy``'s signature served by the ``http`` runner from a small HTTP service
  that answers probabilities only, so the endpoint has one of the signature's two outputs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tritonclient.http as triton
import yaml
from servertools import RunningServer, start_server
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import modelyard
from modelyard.demo import DIGITS_PIPELINE, Demo
from modelyard.registry import Registry

COLOURS = np.array(["red", "green", "blue"])
FLOWER = {"length": 5.1, "width": 3.5, "colour": "green"}
CLASSIFIER = {"formatter": {"name": "classification"}}


def flowers_frame() -> tuple[pd.DataFrame, pd.Series]:
    """Iris's two sepal columns plus a colour that tells the classes apart."""
    iris = load_iris(as_frame=True)
    features = iris.data.iloc[:, :2].set_axis(["length", "width"], axis=1)
    features["colour"] = COLOURS[iris.target.to_numpy()]
    return features, (iris.target == 1).astype(np.int64).rename("target")


def _log_flowers(registry: Registry) -> None:
    features, target = flowers_frame()
    model = make_pipeline(
        ColumnTransformer(
            [
                ("numbers", StandardScaler(), ["length", "width"]),
                ("colour", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
            ]
        ),
        LogisticRegression(),
    ).fit(features, target)
    version = modelyard.log_model(
        model, "flowers", sample=features.head(16), train_data=features.assign(target=target),
        target="target", pipeline=CLASSIFIER, registry=registry,
    )  # fmt: skip
    registry.set_alias("flowers", "production", version.version, reason="tests")


def _log_gappy(registry: Registry) -> None:
    cancer = load_breast_cancer(as_frame=True)
    features = cancer.data.copy()
    features.loc[features.index[::10], "mean radius"] = np.nan
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        features, cancer.target
    )
    version = modelyard.log_model(
        model, "gappy", sample=features.head(20),
        train_data=features.assign(target=cancer.target), target="target",
        pipeline=CLASSIFIER, registry=registry,
    )  # fmt: skip
    registry.set_alias("gappy", "production", version.version, reason="tests")


def _log_digits(registry: Registry) -> None:
    digits = load_digits(as_frame=True)
    target = (digits.target == 3).astype(np.int64).rename("target")
    model = LogisticRegression(max_iter=2000).fit(digits.data, target)
    version = modelyard.log_model(
        model, "digits", sample=digits.data.head(20),
        train_data=digits.data.assign(target=target), target="target",
        pipeline=DIGITS_PIPELINE, registry=registry,
    )  # fmt: skip
    registry.set_alias("digits", "production", version.version, reason="tests")


class _Probabilities(BaseHTTPRequestHandler):
    """A remote model in the Vertex AI style: the same probabilities for every instance."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        rows = json.loads(self.rfile.read(int(self.headers["content-length"])))["instances"]
        body = json.dumps({"predictions": [[0.25, 0.75]] * len(rows)}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def v2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server for ``flowers``, ``gappy`` and ``digits``, and ``tight-flowers`` with small
    body and instance limits."""
    root = tmp_path_factory.mktemp("v2-models")
    registry = Registry(
        f"sqlite:///{root / 'registry.db'}", str(root / "artifacts"), cache_dir=root / "cache"
    )
    try:
        _log_flowers(registry)
        _log_gappy(registry)
        _log_digits(registry)
    finally:
        registry.close()
    remote = ThreadingHTTPServer(("127.0.0.1", 0), _Probabilities)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    remote_url = f"http://127.0.0.1:{remote.server_address[1]}"
    endpoints = root / "endpoints.yaml"
    document = {
        "endpoints": [
            {"id": "flowers", "model": "flowers@production"},
            {"id": "gappy", "model": "gappy@production"},
            {"id": "digits", "model": "digits@production"},
            {
                "id": "remote",
                "model": "gappy@production",
                "pipeline": {
                    "runner": {
                        "name": "http",
                        "args": {"url": remote_url, "output": "probabilities"},
                    },
                    "postprocess": [{"name": "argmax"}],
                },
            },
            {
                "id": "tight-flowers",
                "model": "flowers@production",
                "limits": {"max_body_bytes": 2048, "max_instances": 2},
            },
        ]
    }
    endpoints.write_text(yaml.safe_dump(document, sort_keys=False))
    demo = Demo(f"sqlite:///{root / 'registry.db'}", str(root / "artifacts"), endpoints,
                Path(), {})  # fmt: skip
    running = start_server(demo, endpoints, root)
    yield running
    running.stop()
    remote.shutdown()
    remote.server_close()


def flower_inputs(binary: bool, colour: str = FLOWER["colour"]) -> list[triton.InferInput]:
    """The flower as tritonclient sends it: two FP32 inputs and a BYTES one, each [1, 1]."""
    tensors = []
    for name, datatype, value in [
        ("length", "FP32", np.array([[FLOWER["length"]]], dtype=np.float32)),
        ("width", "FP32", np.array([[FLOWER["width"]]], dtype=np.float32)),
        ("colour", "BYTES", np.array([[colour]], dtype=object)),
    ]:
        tensor = triton.InferInput(name, [1, 1], datatype)
        tensor.set_data_from_numpy(value, binary_data=binary)
        tensors.append(tensor)
    return tensors
