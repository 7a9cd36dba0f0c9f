"""Hostile Open Inference Protocol requests, as raw HTTP: each is a 4xx whose one line names the
field and the form it must take, never a 500, never the value that was sent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from servertools import RunningServer

SECRET = "zqxjboywrror"
MISFIT = "payload does not fit the signature: "
MALFORMED = "malformed inference request: "


def _input(**fields: Any) -> dict[str, Any]:
    return {"name": "input", "shape": [1, 30], "datatype": "FP32", "data": [1.0] * 30, **fields}


def _binary_input(size: int, **fields: Any) -> dict[str, Any]:
    """An input whose values follow the JSON header: no ``data``, a ``binary_data_size``."""
    tensor = {**_input(**fields), "parameters": {"binary_data_size": size}}
    del tensor["data"]
    return tensor


def infer(server: RunningServer, body: bytes, model: str = "breast-cancer",
          **headers: str) -> httpx.Response:  # fmt: skip
    return httpx.post(
        f"{server.url}/v2/models/{model}/infer", content=body, headers=headers, timeout=30
    )


def _error(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/json"
    assert response.json()["request_id"] == response.headers["x-request-id"]
    return response.status_code, response.json()["error"]


FRAME_CASES = [
    ({"inputs": [_input()], "outputs": 5},
     '/outputs: expected an array of objects {"name": string, "parameters": object}'),
    ({"inputs": [_input()], "outputs": [5]}, "/outputs/0: expected an object with a string name"),
    ({"inputs": [_input()], "outputs": [{"name": "label", "parameters": 5}]},
     "/outputs/0/parameters: expected an object"),
    ({"inputs": [_input()], "outputs": [{"name": "label", "parameters": {"binary_data": "y"}}]},
     "/outputs/0/parameters/binary_data: expected true or false"),
    ({"inputs": [_input()], "outputs": [{"name": SECRET}]},
     "/outputs/0/name: no such output; outputs: label, probabilities"),
    ({"inputs": [_input()], "parameters": [1]}, "/parameters: expected an object"),
    ({"inputs": [_input()], "parameters": "x"}, "/parameters: expected an object"),
    ({"inputs": [_input()], "parameters": {"binary_data_output": SECRET}},
     "/parameters/binary_data_output: expected true or false"),
    ({"inputs": [_input(parameters=5)]}, "/inputs/0/parameters: expected an object"),
    ({"inputs": [_input(parameters={"shared_memory_region": "r", "shared_memory_byte_size": 8})]},
     "/inputs/0/parameters/shared_memory_region: the shared memory extension is not supported; "
     "send the values in data or as binary tensor data"),
    ({"inputs": [_input()], "id": 5}, "/id: expected a string"),
    ({"inputs": [_binary_input(120)]},
     "/inputs/0/parameters/binary_data_size: binary tensor data needs the "
     "Inference-Header-Content-Length header"),
    ([1], "the body must be a JSON object with 'inputs'"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), FRAME_CASES)
def test_a_malformed_frame_is_400_naming_the_field(
    server: RunningServer, body: Any, message: str
) -> None:
    response = infer(server, json.dumps(body).encode())
    assert _error(response) == (400, MALFORMED + message)
    assert SECRET not in response.text


TENSOR_CASES = [
    (_input(datatype=[]), "/inputs/0/datatype: expected FP32, got array of 0"),
    (_input(datatype={}), "/inputs/0/datatype: expected FP32, got object"),
    (_input(datatype=SECRET), "/inputs/0/datatype: expected FP32, got an unknown datatype"),
    (_input(datatype="BOOL", data=[True] * 30), "/inputs/0/datatype: expected FP32, got BOOL"),
    (_input(datatype="BYTES", data=[1] * 30), "/inputs/0/datatype: expected FP32, got BYTES"),
    (_input(shape=[True, 30]),
     "/inputs/0/shape: expected [*, 30]: non-negative integers, got other dimensions"),
    (_input(shape=[-1, 30]),
     "/inputs/0/shape: expected [*, 30]: non-negative integers, got other dimensions"),
    (_input(shape="1x30"), "/inputs/0/shape: expected [*, 30]: an array of integers, got string"),
    (_input(shape=[1, 29]), "/inputs/0/shape: expected [*, 30], got [1, 29]"),
    (_input(shape=[0, 30], data=[]),
     "/inputs/0/shape: expected [*, 30] with at least one row, got [0, 30]"),
    (_input(shape=[2, 30]), "/inputs/0/data: expected 60 values, got 30 values"),
    (_input(shape=[2**63, 30]),
     "/inputs/0/data: expected 276701161105643274240 values, got 30 values"),
    (_input(data=[[1.0] * 29, [1.0]]),
     "/inputs/0/data: expected values flat or nested as the shape [1, 30], "
     "got arrays nested otherwise"),
    (_input(data=SECRET),
     "/inputs/0/data: expected array of values, flat or nested as the shape, got string"),
    (_input(data=[SECRET] * 30), "/inputs/0/data/0: expected numbers, got string"),
    (_input(data=[[1.0] * 29 + [True]]), "/inputs/0/data/0/29: expected numbers, got boolean"),
    (_input(data=[1.0] * 29 + [None]), "/inputs/0/data/29: expected numbers, got null"),
    (_input(data=[1e300] * 30),
     "/inputs/0/data/0: expected finite numbers, got an infinity or a number beyond float32"),
    (_input(datatype="INT64", data=[18446744073709551615] * 30),
     "/inputs/0/data: expected integers in the INT64 range, got an integer beyond the INT64 range"),
    (_input(datatype="INT64", data=[1e300] * 30),
     "/inputs/0/data/0: expected integers in the INT64 range, got number"),
    (_input(datatype="UINT8", data=[300] * 30),
     "/inputs/0/data: expected integers in the UINT8 range, got an integer beyond the UINT8 range"),
    (_input(datatype="UINT8", data=[-1] * 30),
     "/inputs/0/data: expected integers in the UINT8 range, got an integer beyond the UINT8 range"),
    (_input(name=SECRET),
     "/inputs/0/name: expected one of: input, got an unknown name; "
     "/inputs: expected tensor 'input', got missing"),
    (_input(name={"a": 1}),
     "/inputs/0/name: expected one of: input, got object; "
     "/inputs: expected tensor 'input', got missing"),
]  # fmt: skip


@pytest.mark.parametrize(("tensor", "message"), TENSOR_CASES)
def test_a_tensor_that_does_not_fit_is_422_naming_the_field(
    server: RunningServer, tensor: dict[str, Any], message: str
) -> None:
    response = infer(server, json.dumps({"inputs": [tensor]}).encode())
    assert _error(response) == (422, MISFIT + message)
    assert SECRET not in response.text


def test_an_input_given_twice_or_not_at_all_is_422(server: RunningServer) -> None:
    twice = infer(server, json.dumps({"inputs": [_input(), _input()]}).encode())
    assert _error(twice) == (
        422, MISFIT + "/inputs/1/name: expected one of: input, got a name given twice"
    )  # fmt: skip
    none = infer(server, json.dumps({"inputs": []}).encode())
    assert _error(none) == (422, MISFIT + "/inputs: expected tensor 'input', got missing")
    wrong = infer(server, json.dumps({"inputs": 5}).encode())
    assert _error(wrong) == (422, MISFIT + "/inputs: expected array of named tensors, got integer")


def test_narrower_and_wider_numbers_feed_a_float_input(server: RunningServer) -> None:
    answers = []
    for datatype in ("FP16", "FP64", "INT64", "UINT8"):
        body = {"inputs": [_input(datatype=datatype, data=[1] * 30)]}
        response = infer(server, json.dumps(body).encode())
        assert response.status_code == 200, response.text
        answers.append(response.json()["outputs"])
    assert all(answer == answers[0] for answer in answers)


def test_a_non_finite_output_is_422_naming_it_in_json(server: RunningServer) -> None:
    body = {"inputs": [_input(data=[3e38] * 30)], "outputs": [{"name": "probabilities"}]}
    response = infer(server, json.dumps(body).encode())
    assert _error(response) == (
        422,
        "output 'probabilities' is not finite for this input, which JSON cannot carry; "
        "ask for it with binary_data to receive the IEEE values",
    )


def test_a_non_finite_output_travels_in_binary(server: RunningServer) -> None:
    body = {
        "inputs": [_input(data=[3e38] * 30)],
        "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}}],
    }
    response = infer(server, json.dumps(body).encode())
    assert response.status_code == 200
    header = int(response.headers["inference-header-content-length"])
    assert len(response.content) - header == 8  # two float32 probabilities, NaN in IEEE


def _binary(header: dict[str, Any], tail: bytes, length: int | None = None) -> tuple[bytes, str]:
    encoded = json.dumps(header).encode()
    return encoded + tail, str(len(encoded) if length is None else length)


BINARY_CASES = [
    (_binary({"inputs": [_input()]}, b"xxxx"),
     "the binary_data_size of the inputs must add up to the bytes after the JSON header"),
    (_binary({"inputs": [{**_input(), "parameters": {"binary_data_size": 10**6}}]}, b"x" * 4),
     "/inputs/0/parameters/binary_data_size: expected a byte count within the body"),
    (_binary({"inputs": [{**_input(), "parameters": {"binary_data_size": "120"}}]}, b"x" * 120),
     "/inputs/0/parameters/binary_data_size: expected a byte count within the body"),
    (_binary({"inputs": [{**_input(), "parameters": {"binary_data_size": 120}}]}, b"x" * 120),
     "/inputs/0: expected either data or binary_data_size, not both"),
    (_binary({"inputs": [_binary_input(120, datatype=SECRET)]}, b"x" * 120),
     "/inputs/0/datatype: expected a datatype of the protocol for binary data"),
    (_binary({"inputs": [_binary_input(118)]},
             b"x" * 118),
     "/inputs/0: binary data size must be a multiple of 4 bytes"),
    (_binary({"inputs": [_binary_input(6, datatype="BYTES")]}, b"\x09\x00\x00\x00ab"),
     "/inputs/0: binary BYTES must be 4-byte lengths each followed by text"),
    (_binary({"inputs": [_input()]}, b"x", length=10**9),
     "Inference-Header-Content-Length must be a byte count within the body"),
    (_binary({"inputs": [_input()]}, b"", length=-3),
     "Inference-Header-Content-Length must be a byte count within the body"),
]  # fmt: skip


@pytest.mark.parametrize(("request_parts", "message"), BINARY_CASES)
def test_a_malformed_binary_request_is_400(
    server: RunningServer, request_parts: tuple[bytes, str], message: str
) -> None:
    body, length = request_parts
    response = infer(server, body, **{"inference-header-content-length": length})
    assert _error(response) == (400, MALFORMED + message)
    assert SECRET not in response.text


def test_binary_data_beside_inputs_that_are_not_an_array_is_422(server: RunningServer) -> None:
    body, length = _binary({"inputs": 5}, b"xxxx")
    response = infer(server, body, **{"inference-header-content-length": length})
    assert _error(response) == (
        422,
        MISFIT + "/inputs: expected array of named tensors, got integer",
    )


def test_a_json_header_shorter_than_said_is_400(server: RunningServer) -> None:
    body, length = _binary({"inputs": [_input()]}, b"")
    response = infer(server, body, **{"inference-header-content-length": str(int(length) - 3)})
    status, message = _error(response)
    assert status == 400 and message.startswith("malformed JSON: ")


def test_binary_bytes_must_be_utf8_text(v2_server: RunningServer) -> None:
    tensors = [
        {"name": "length", "shape": [1, 1], "datatype": "FP32", "data": [5.1]},
        {"name": "width", "shape": [1, 1], "datatype": "FP32", "data": [3.5]},
        {"name": "colour", "shape": [1, 1], "datatype": "BYTES",
         "parameters": {"binary_data_size": 6}},
    ]  # fmt: skip
    body, length = _binary({"inputs": tensors}, b"\x02\x00\x00\x00\xff\xfe")
    response = infer(v2_server, body, "flowers", **{"inference-header-content-length": length})
    assert _error(response) == (
        422, MISFIT + "/inputs/2/data: expected UTF-8 strings, got bytes that are not UTF-8"
    )  # fmt: skip


def test_bytes_sent_as_numbers_are_422(v2_server: RunningServer) -> None:
    tensors = [
        {"name": "length", "shape": [1, 1], "datatype": "FP32", "data": [5.1]},
        {"name": "width", "shape": [1, 1], "datatype": "FP32", "data": [3.5]},
        {"name": "colour", "shape": [1, 1], "datatype": "BYTES", "data": [7]},
    ]
    response = infer(v2_server, json.dumps({"inputs": tensors}).encode(), "flowers")
    assert _error(response) == (422, MISFIT + "/inputs/2/data/0: expected strings, got integer")


def test_null_is_422_where_training_had_no_gaps_and_nan_where_it_had(
    v2_server: RunningServer,
) -> None:
    for column, status in ((0, 200), (23, 422)):
        data: list[float | None] = [1.0] * 30
        data[column] = None
        response = infer(v2_server, json.dumps({"inputs": [_input(data=data)]}).encode(), "gappy")
        assert response.status_code == status, response.text
    assert response.json()["error"] == (
        MISFIT + "/inputs/0/data/23: expected finite numbers, "
        "got null or NaN, and the training data had no missing values here"
    )


def test_an_output_the_runner_does_not_give_is_400(v2_server: RunningServer) -> None:
    body = {"inputs": [_input()], "outputs": [{"name": "label"}]}
    response = infer(v2_server, json.dumps(body).encode(), "remote")
    assert _error(response) == (
        400,
        MALFORMED + "/outputs: 'label' is not produced by this endpoint's runner; "
        "outputs: probabilities",
    )
    everything = infer(v2_server, json.dumps({"inputs": [_input()]}).encode(), "remote")
    assert everything.status_code == 200
    assert [output["name"] for output in everything.json()["outputs"]] == ["probabilities"]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens_are_a_400_saying_so(server: RunningServer, token: str) -> None:
    body = json.dumps({"inputs": [_input(data=[1.0] * 29 + [float("nan")])]})
    status, error = _error(infer(server, body.replace("NaN", token).encode()))
    assert status == 400
    assert error.startswith("malformed JSON: ")
    assert error.endswith("; NaN and Infinity are not JSON: send a number or null")
