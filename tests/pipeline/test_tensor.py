"""The tensor encoder: Open Inference Protocol inputs, checked against the signature."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.core.errors import PayloadError
from modelyard.pipeline import Pipeline
from modelyard.pipeline.spec import PipelineOverride


@pytest.fixture(scope="module")
def bc_tensor(bc_package) -> Pipeline:
    return Pipeline.from_package(
        bc_package, PipelineOverride.model_validate({"encoder": {"name": "tensor"}})
    )


def _request(data, shape, datatype="FP64", name="input"):
    return {"inputs": [{"name": name, "shape": shape, "datatype": datatype, "data": data}]}


def test_flat_row_major_data_is_reshaped_and_cast(bc_tensor, breast_cancer):
    rows = breast_cancer.X_test.head(3).to_numpy()
    batch = bc_tensor.encode(_request(rows.ravel().tolist(), [3, 30]))
    assert batch.rows == 3 and batch.feeds["input"].dtype == np.float32
    np.testing.assert_array_equal(batch.feeds["input"], rows.astype(np.float32))


def test_predictions_match_the_tabular_path(bc_tensor, bc_package, breast_cancer):
    rows = breast_cancer.X_test.head(4).to_numpy()
    tabular = Pipeline.from_package(bc_package).predict(rows.tolist())
    assert bc_tensor.predict(_request(rows.tolist(), [4, 30])) == tabular


@pytest.mark.parametrize(
    ("request_body", "problem"),
    [
        (
            _request([1.0] * 30, [1, 29]),
            {"pointer": "/inputs/0/shape", "expected": "[*, 30]", "got": "[1, 29]"},
        ),
        (
            _request([1.0] * 29, [1, 30]),
            {"pointer": "/inputs/0/data", "expected": "30 values", "got": "29 values"},
        ),
        (
            _request(["a"] * 30, [1, 30]),
            {"pointer": "/inputs/0/data/0", "expected": "numbers", "got": "string"},
        ),
        (
            _request([1.0] * 30, [1, 30], "BYTES"),
            {"pointer": "/inputs/0/datatype", "expected": "FP32", "got": "BYTES"},
        ),
        (
            _request([1.0] * 30, [1, 30], name="x"),
            {"pointer": "/inputs/0/name", "expected": "one of: input", "got": "an unknown name"},
        ),
        ({"inputs": []}, {"pointer": "/inputs", "expected": "tensor 'input'", "got": "missing"}),
        (
            {"instances": []},
            {"pointer": "/inputs", "expected": "array of named tensors", "got": "null"},
        ),
    ],
)
def test_bad_tensors_are_reported_by_pointer(bc_tensor, request_body, problem):
    with pytest.raises(PayloadError) as caught:
        bc_tensor.encode(request_body)
    assert caught.value.problems[0] == problem
