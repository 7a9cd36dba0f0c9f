"""The ``torchscript`` runner behind an endpoint: same answers alone, batched, in any batch."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

if os.environ.get("CI") != "true":  # in CI torch must be there: an ImportError fails
    pytest.importorskip("torch", reason="pip install 'modelyard[torch]'")
import torch

import modelyard
from modelyard.pipeline import Endpoint, Pipeline
from modelyard.pipeline.runners.torchscript import BLOCK_ROWS, TorchScriptRunner
from modelyard.pipeline.spec import EndpointSpec
from torchnets import linear_regressor, mlp_classifier

LABELS = {"0": "malignant", "1": "benign"}


@pytest.fixture(scope="module")
def classifier(breast_cancer) -> torch.jit.ScriptModule:
    return torch.jit.script(mlp_classifier(breast_cancer.X_train, breast_cancer.y_train))


@pytest.fixture
def endpoint(registry, breast_cancer, classifier) -> Iterator[Endpoint]:
    modelyard.log_model(
        classifier,
        "bc_torch",
        sample=breast_cancer.X_train.head(50),
        train_data=breast_cancer.frame("train"),
        target="target",
        pipeline={
            "postprocess": [{"name": "argmax"}, {"name": "label_map", "args": {"mapping": LABELS}}],
            "formatter": {"name": "classification"},
        },
        registry=registry,
    )
    serving = Endpoint(EndpointSpec(id="bc-torch", model="bc_torch:1"), registry)
    yield serving
    serving.close()


@pytest.fixture
def diabetes_pipeline(registry, diabetes) -> Iterator[Pipeline]:
    module = torch.jit.script(linear_regressor(diabetes.X_train, diabetes.y_train))
    version = modelyard.log_model(
        module,
        "diabetes_torch",
        sample=diabetes.X_train.head(30),
        pipeline={"formatter": {"name": "regression"}},
        registry=registry,
    )
    with Pipeline.from_version(version, registry) as pipeline:
        yield pipeline


def test_the_endpoint_serves_the_package_through_the_torchscript_runner(
    endpoint, breast_cancer
) -> None:
    assert isinstance(endpoint.pipeline.runner, TorchScriptRunner)
    answer = endpoint.predict(breast_cancer.X_test.head(2).to_dict(orient="records"))

    assert answer["model"] == {"name": "bc_torch", "version": 1}
    first = answer["predictions"][0]
    assert first["label"] in {"malignant", "benign"}
    assert set(first["probabilities"]) == {"malignant", "benign"}
    assert first["score"] == max(first["probabilities"].values())


def test_batched_requests_answer_what_single_requests_answer(endpoint, breast_cancer) -> None:
    records = breast_cancer.X_test.head(37).to_dict(orient="records")
    alone = [endpoint.predict([record]) for record in records]

    assert endpoint.predict_batch([[record] for record in records]) == alone
    together = endpoint.predict(records)["predictions"]
    assert together == [answer["predictions"][0] for answer in alone]


def test_labels_are_the_original_modules_most_probable_classes(
    endpoint, breast_cancer, classifier
) -> None:
    X = breast_cancer.X_test
    with torch.inference_mode():
        scores = classifier(torch.tensor(X.to_numpy(), dtype=torch.float32)).numpy()
    predictions = endpoint.predict(X.to_dict(orient="records"))["predictions"]

    assert [p["label"] for p in predictions] == [LABELS[str(i)] for i in scores.argmax(axis=1)]


@pytest.mark.parametrize("rows", [1, 2, BLOCK_ROWS - 1, BLOCK_ROWS, BLOCK_ROWS + 1, 50])
def test_a_rows_value_does_not_depend_on_the_batch_it_rides_in(
    diabetes_pipeline, diabetes, rows
) -> None:
    X = diabetes.X_test.head(60).to_numpy(np.float32)

    def values(size: int) -> np.ndarray:
        chunks = [X[i : i + size] for i in range(0, len(X), size)]
        return np.concatenate([diabetes_pipeline.infer({"input": c})["output_0"] for c in chunks])

    alone, batched = values(1), values(rows)

    np.testing.assert_array_equal(batched, alone)
