"""The Open Inference Protocol routes, driven by tritonclient's HTTP client."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest
from servertools import RunningServer

if not os.environ.get("CI"):  # in CI the real client must be there: an ImportError fails
    pytest.importorskip("tritonclient.http", reason="pip install 'tritonclient[http]'")
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from modelyard.demo import Demo
from modelyard.pipeline import Endpoint


@pytest.fixture
def client(server: RunningServer) -> Iterator[triton.InferenceServerClient]:
    connection = triton.InferenceServerClient(server.url.removeprefix("http://"))
    yield connection
    connection.close()


def _rows(demo: Demo, n: int = 3) -> np.ndarray:
    return np.asarray([list(demo.cancer_record.values())] * n, dtype=np.float32)


def test_health_and_server_metadata(client: triton.InferenceServerClient) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    metadata = client.get_server_metadata()
    assert metadata["name"] == "modelyard"
    assert "binary_tensor_data" in metadata["extensions"]


def test_model_metadata_lists_the_runner_tensors(client: triton.InferenceServerClient) -> None:
    assert client.is_model_ready("breast-cancer")
    assert client.is_model_ready("breast-cancer", "1")
    metadata = client.get_model_metadata("breast-cancer", "1")
    assert metadata["versions"] == ["1"]
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 30]}]
    assert [o["name"] for o in metadata["outputs"]] == ["label", "probabilities"]


@pytest.mark.parametrize("binary", [True, False])
def test_infer_answers_what_the_runner_answers(
    client: triton.InferenceServerClient, demo: Demo, in_process: dict[str, Endpoint], binary: bool
) -> None:
    rows = _rows(demo)
    tensor = triton.InferInput("input", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows, binary_data=binary)
    outputs = [
        triton.InferRequestedOutput(name, binary_data=binary) for name in ("label", "probabilities")
    ]
    result = client.infer("breast-cancer", [tensor], outputs=outputs, model_version="1")
    expected = in_process["breast-cancer"].pipeline.infer({"input": rows})
    np.testing.assert_array_equal(result.as_numpy("label"), expected["label"])
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), expected["probabilities"], rtol=1e-6
    )
    response = result.get_response()
    assert response["model_name"] == "breast-cancer"
    assert response["model_version"] == "1"


def test_infer_without_requested_outputs_returns_all(
    client: triton.InferenceServerClient, demo: Demo
) -> None:
    tensor = triton.InferInput("input", [1, 30], "FP32")
    tensor.set_data_from_numpy(_rows(demo, 1))
    result = client.infer("breast-cancer", [tensor])
    assert result.as_numpy("label").shape == (1,)
    assert result.as_numpy("probabilities").shape == (1, 2)


def test_a_wrong_tensor_is_reported_with_its_pointer(
    client: triton.InferenceServerClient, demo: Demo
) -> None:
    tensor = triton.InferInput("input", [1, 29], "FP32")
    tensor.set_data_from_numpy(_rows(demo, 1)[:, :29])
    with pytest.raises(InferenceServerException) as raised:
        client.infer("breast-cancer", [tensor])
    assert raised.value.message() == (
        "payload does not fit the signature: /inputs/0/shape: expected [*, 30], got [1, 29]"
    )


def test_an_unknown_model_or_version_is_reported(client: triton.InferenceServerClient) -> None:
    with pytest.raises(InferenceServerException) as raised:
        client.get_model_metadata("nope")
    assert raised.value.message() == (
        "no model of that name; models: breast-cancer, dead-runner, digits-is-3, stuck-runner, "
        "tight"
    )
    tensor = triton.InferInput("input", [1, 30], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 30), dtype=np.float32))
    with pytest.raises(InferenceServerException) as raised:
        client.infer("breast-cancer", [tensor], model_version="7")
    assert raised.value.message() == "endpoint 'breast-cancer' serves version 1 only"
