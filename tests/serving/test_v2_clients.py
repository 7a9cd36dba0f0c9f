"""Third-party Open Inference Protocol clients against a real server: tritonclient's HTTP
client (JSON and binary tensors) and the KServe SDK's v2 REST client."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from servertools import RunningServer
from v2_models import FLOWER, flower_inputs

if not os.environ.get("CI"):  # in CI the real client must be there: an ImportError fails
    pytest.importorskip("tritonclient.http", reason="pip install 'tritonclient[http]'")
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

KSERVE_PYTHON = os.environ.get("MODELYARD_KSERVE_PYTHON")


@pytest.fixture
def client(v2_server: RunningServer) -> Iterator[triton.InferenceServerClient]:
    connection = triton.InferenceServerClient(v2_server.url.removeprefix("http://"))
    yield connection
    connection.close()


def _probabilities(client: triton.InferenceServerClient, binary: bool, **kwargs: object) -> list:
    outputs = [triton.InferRequestedOutput("probabilities", binary_data=binary)]
    result = client.infer("flowers", flower_inputs(binary), outputs=outputs, **kwargs)  # type: ignore[arg-type]
    return result.as_numpy("probabilities").tolist()


def _native_probabilities(server: RunningServer) -> list[list[float]]:
    response = httpx.post(f"{server.url}/endpoints/flowers/predict", json={"instances": [FLOWER]})
    assert response.status_code == 200, response.text
    probabilities = response.json()["predictions"][0]["probabilities"]
    return [[probabilities["0"], probabilities["1"]]]


def test_a_string_column_gives_the_same_answer_as_json_and_binary_bytes(
    client: triton.InferenceServerClient, v2_server: RunningServer
) -> None:
    as_json = _probabilities(client, binary=False)
    as_binary = _probabilities(client, binary=True)
    assert as_json == as_binary
    np.testing.assert_allclose(as_json, _native_probabilities(v2_server), rtol=1e-6)


def test_the_colour_decides_the_answer_so_a_misread_one_would_show(
    client: triton.InferenceServerClient,
) -> None:
    outputs = [triton.InferRequestedOutput("label", binary_data=True)]
    labels = {
        colour: client.infer("flowers", flower_inputs(True, colour), outputs=outputs)
        .as_numpy("label")
        .tolist()
        for colour in ("red", "green", "blue")
    }
    assert labels == {"red": [0], "green": [1], "blue": [0]}


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_compressed_requests_are_answered_as_plain_ones(
    client: triton.InferenceServerClient, algorithm: str
) -> None:
    plain = _probabilities(client, binary=True)
    assert _probabilities(client, binary=True, request_compression_algorithm=algorithm) == plain


@pytest.mark.parametrize("binary", [False, True])
def test_an_unknown_requested_output_is_400_naming_the_known_ones(
    client: triton.InferenceServerClient, binary: bool
) -> None:
    outputs = [triton.InferRequestedOutput("nope", binary_data=binary)]
    with pytest.raises(InferenceServerException) as raised:
        client.infer("flowers", flower_inputs(binary), outputs=outputs)
    assert raised.value.status() == "400"
    assert raised.value.message() == (
        "malformed inference request: /outputs/0/name: no such output; "
        "outputs: label, probabilities"
    )


def test_the_classification_extension_is_refused_not_ignored(
    client: triton.InferenceServerClient,
) -> None:
    outputs = [triton.InferRequestedOutput("probabilities", class_count=1)]
    with pytest.raises(InferenceServerException) as raised:
        client.infer("flowers", flower_inputs(False), outputs=outputs)
    assert raised.value.status() == "400"
    assert raised.value.message() == (
        "malformed inference request: /outputs/0/parameters/classification: the classification "
        "extension is not supported; ask for the output itself"
    )


def _gappy(client: triton.InferenceServerClient, column: int, binary: bool) -> object:
    rows = np.ones((2, 30), dtype=np.float32)
    rows[1, column] = np.nan
    tensor = triton.InferInput("input", [2, 30], "FP32")
    tensor.set_data_from_numpy(rows, binary_data=binary)
    output = triton.InferRequestedOutput("probabilities", binary_data=True)
    return client.infer("gappy", [tensor], outputs=[output]).as_numpy("probabilities")


def test_nan_reaches_the_model_where_training_had_missing_values(
    client: triton.InferenceServerClient,
) -> None:
    probabilities = _gappy(client, column=0, binary=True)  # "mean radius" had gaps
    assert isinstance(probabilities, np.ndarray)
    assert probabilities.shape == (2, 2) and np.isfinite(probabilities).all()


def test_nan_is_422_naming_the_value_where_training_had_none(
    client: triton.InferenceServerClient,
) -> None:
    with pytest.raises(InferenceServerException) as raised:
        _gappy(client, column=23, binary=True)  # "worst area"
    assert raised.value.status() == "422"
    assert raised.value.message() == (
        "payload does not fit the signature: /inputs/0/data/53: expected finite numbers, "
        "got null or NaN, and the training data had no missing values here"
    )


def test_too_many_rows_are_413(v2_server: RunningServer) -> None:
    connection = triton.InferenceServerClient(v2_server.url.removeprefix("http://"))
    tensors = []
    for name, datatype, value in [
        ("length", "FP32", np.ones((3, 1), dtype=np.float32)),
        ("width", "FP32", np.ones((3, 1), dtype=np.float32)),
        ("colour", "BYTES", np.array([["red"]] * 3, dtype=object)),
    ]:
        tensor = triton.InferInput(name, [3, 1], datatype)
        tensor.set_data_from_numpy(value, binary_data=True)
        tensors.append(tensor)
    with pytest.raises(InferenceServerException) as raised:
        connection.infer("tight-flowers", tensors)
    connection.close()
    assert raised.value.status() == "413"
    assert raised.value.message() == "request has 3 instances, over the limit of 2"


def _kserve_python() -> str:
    if KSERVE_PYTHON:
        return KSERVE_PYTHON
    if os.environ.get("CI"):
        pytest.fail("MODELYARD_KSERVE_PYTHON is not set in CI: .ci/run must run setup-kserve.sh")
    pytest.skip(
        "MODELYARD_KSERVE_PYTHON is not set: run .ci/setup-kserve.sh and export "
        "MODELYARD_KSERVE_PYTHON=<its printed path> to test with the KServe SDK's v2 client"
    )


def test_the_kserve_v2_rest_client_gets_the_same_answers(v2_server: RunningServer) -> None:
    script = Path(__file__).with_name("kserve_client.py")
    run = subprocess.run(
        [_kserve_python(), str(script), v2_server.url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["json"] == found["binary"]
    np.testing.assert_allclose(
        found["json"]["probabilities"], _native_probabilities(v2_server), rtol=1e-6
    )
    assert found["unknown_output"] == (
        "400 malformed inference request: /outputs/0/name: no such output; "
        "outputs: label, probabilities"
    )
    assert found["nan"] == (
        "422 payload does not fit the signature: /inputs/0/data/23: expected finite numbers, "
        "got null or NaN, and the training data had no missing values here"
    )


@pytest.fixture
def demo_client(server: RunningServer) -> Iterator[triton.InferenceServerClient]:
    connection = triton.InferenceServerClient(server.url.removeprefix("http://"))
    yield connection
    connection.close()


@pytest.mark.parametrize("binary", [False, True])
def test_a_datatype_that_cannot_feed_the_input_is_422(
    demo_client: triton.InferenceServerClient, binary: bool
) -> None:
    tensor = triton.InferInput("input", [1, 30], "BOOL")
    tensor.set_data_from_numpy(np.ones((1, 30), dtype=bool), binary_data=binary)
    with pytest.raises(InferenceServerException) as raised:
        demo_client.infer("breast-cancer", [tensor])
    assert raised.value.status() == "422"
    assert raised.value.message() == (
        "payload does not fit the signature: /inputs/0/datatype: expected FP32, got BOOL"
    )


def _extreme(binary: bool) -> tuple[list[triton.InferInput], list[triton.InferRequestedOutput]]:
    tensor = triton.InferInput("input", [1, 30], "FP32")
    tensor.set_data_from_numpy(np.full((1, 30), 3e38, dtype=np.float32), binary_data=binary)
    return [tensor], [triton.InferRequestedOutput("probabilities", binary_data=binary)]


def test_a_non_finite_output_is_422_in_json_never_null(
    demo_client: triton.InferenceServerClient,
) -> None:
    inputs, outputs = _extreme(binary=False)
    with pytest.raises(InferenceServerException) as raised:
        demo_client.infer("breast-cancer", inputs, outputs=outputs)
    assert raised.value.status() == "422"
    assert raised.value.message() == (
        "output 'probabilities' is not finite for this input, which JSON cannot carry; "
        "ask for it with binary_data to receive the IEEE values"
    )


def test_a_non_finite_output_arrives_in_binary(demo_client: triton.InferenceServerClient) -> None:
    inputs, outputs = _extreme(binary=True)
    result = demo_client.infer("breast-cancer", inputs, outputs=outputs)
    probabilities = result.as_numpy("probabilities")
    assert probabilities is not None and probabilities.shape == (1, 2)
    assert not np.isfinite(probabilities).any()
