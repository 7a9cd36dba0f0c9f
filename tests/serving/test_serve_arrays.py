"""Models trained on numpy arrays serve out of the box, like DataFrame-trained ones.

Each model is logged through ``modelyard.log_model`` into a real registry and served by a real
server process; rows (TF-Serving style), records and V2 tensors are sent over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import yaml
from servertools import RunningServer, start_server
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.demo import Demo
from modelyard.registry import Registry


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, np.ndarray]]:
    """One server with a numpy-trained and a DataFrame-trained logistic regression."""
    home = tmp_path_factory.mktemp("arrays")
    registry = Registry(f"sqlite:///{home / 'registry.db'}", str(home / "artifacts"))
    data = load_breast_cancer(as_frame=True)
    X, y = data.data.to_numpy(), data.target.to_numpy()
    from_arrays = LogisticRegression(max_iter=5000).fit(X, y)
    log_model(from_arrays, "lr_arrays", sample=X[:64], train_data=(X, y), registry=registry)
    from_frame = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    train = data.data.assign(target=y)
    log_model(
        from_frame, "lr_frame", sample=data.data.head(64), train_data=train, target="target",
        registry=registry,
    )  # fmt: skip
    endpoints = home / "endpoints.yaml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "endpoints": [
                    {"id": "arrays", "model": "lr_arrays:1"},
                    {"id": "frame", "model": "lr_frame:1"},
                    {  # variants of different signatures: x0.. and the dataset's names
                        "id": "arrays-ab",
                        "model": "lr_arrays:1",
                        "traffic": {
                            "strategy": "ab",
                            "variants": {"arrays": "lr_arrays:1", "frame": "lr_frame:1"},
                        },
                    },
                ]
            }
        )
    )
    site = Demo(registry.url, registry.artifacts_url, endpoints, home, {})
    registry.close()
    server = start_server(site, endpoints, home)
    yield server, X
    server.stop()


@pytest.mark.parametrize("endpoint", ["arrays", "frame"])
def test_rows_are_answered_like_the_trained_model(
    served: tuple[RunningServer, np.ndarray], endpoint: str
) -> None:
    server, X = served
    expected = LogisticRegression(max_iter=5000).fit(X, load_breast_cancer().target).predict(X[:3])
    response = httpx.post(
        f"{server.url}/endpoints/{endpoint}/predict", json={"instances": X[:3].tolist()}
    )
    assert response.status_code == 200, response.text
    labels = [prediction["label"] for prediction in response.json()["predictions"]]
    assert labels == expected.tolist()


def test_an_array_model_takes_records_named_x0_onwards(
    served: tuple[RunningServer, np.ndarray],
) -> None:
    server, X = served
    record = {f"x{i}": float(value) for i, value in enumerate(X[0])}
    response = httpx.post(f"{server.url}/endpoints/arrays/predict", json={"instances": [record]})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["label"] == 0


def test_an_array_model_names_a_bad_row_field(served: tuple[RunningServer, np.ndarray]) -> None:
    server, X = served
    row: list[object] = X[0].tolist()
    row[3] = "wide"
    response = httpx.post(f"{server.url}/endpoints/arrays/predict", json={"instances": [row]})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"pointer": "/instances/0/3", "expected": "number", "got": "string"}
    ]
    assert "wide" not in response.text


@pytest.mark.parametrize("endpoint", ["arrays", "frame"])
def test_v2_infer_takes_the_raw_tensor(
    served: tuple[RunningServer, np.ndarray], endpoint: str
) -> None:
    server, X = served
    body = {
        "inputs": [
            {"name": "input", "shape": [2, 30], "datatype": "FP32", "data": X[:2].ravel().tolist()}
        ]
    }
    response = httpx.post(f"{server.url}/v2/models/{endpoint}/infer", json=body)
    assert response.status_code == 200, response.text
    outputs = {output["name"]: output for output in response.json()["outputs"]}
    assert outputs["label"]["data"] == [0, 0]


def test_an_ab_test_between_an_array_and_a_frame_model_takes_rows_and_label_feedback(
    served: tuple[RunningServer, np.ndarray],
) -> None:
    server, X = served
    target = load_breast_cancer().target
    seen: dict[str, set[int]] = {}
    with httpx.Client(timeout=30) as client:
        for i in range(40):
            answer = client.post(
                f"{server.url}/endpoints/arrays-ab/predict", json={"instances": [X[i].tolist()]}
            )
            assert answer.status_code == 200, answer.text
            seen.setdefault(answer.headers["x-variant"], set()).add(
                answer.json()["predictions"][0]["label"]
            )
            feedback = client.post(
                f"{server.url}/endpoints/arrays-ab/feedback",
                json={"request_id": answer.headers["x-request-id"], "label": int(target[i])},
            )
            assert feedback.status_code == 200, feedback.text
        document = client.get(f"{server.url}/endpoints/arrays-ab/rollout").json()
    assert set(seen) == {"arrays", "frame"}
    labelled = {v["name"]: v["labelled"] for v in document["variants"]}
    assert sum(labelled.values()) == 40 and all(labelled.values())
    assert document["verdict"]["metric"] == "accuracy"
