"""Reading an Open Inference Protocol request: its JSON document and its binary tensors.

The document's frame (``id``, ``parameters``, ``outputs``, the binary sizes) is checked here
and refused with 400 naming the field and the form it must take; the tensors themselves
(names, shapes, datatypes, values) are the ``tensor`` encoder's business (422). Messages point
at fields (``/outputs/0/name``), never repeat what was sent there.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from modelyard.pipeline.dtypes import OIP_NUMPY
from modelyard.serving.errors import HttpError, malformed_json

_OUTPUTS_FORM = 'an array of objects {"name": string, "parameters": object}'
# Tensor parameters of protocol extensions this server does not implement: answering as if
# they were absent would hand back something else than what the client asked for.
_UNSUPPORTED = {
    "shared_memory_region": "the shared memory extension is not supported; send the values "
    "in data or as binary tensor data",
    "classification": "the classification extension is not supported; ask for the output itself",
}


def bad_request(message: str) -> HttpError:
    """400 for a document that is not an inference request."""
    return HttpError(400, f"malformed inference request: {message}")


def _parameters(document: dict[str, Any], where: str, flag: str) -> dict[str, Any]:
    """``document["parameters"]`` (an object if present), its ``flag`` a boolean if present."""
    parameters = document.get("parameters")
    if parameters is None:
        return {}
    if type(parameters) is not dict:
        raise bad_request(f"{where}/parameters: expected an object")
    if flag in parameters and type(parameters[flag]) is not bool:
        raise bad_request(f"{where}/parameters/{flag}: expected true or false")
    for name, why in _UNSUPPORTED.items():
        if name in parameters:
            raise bad_request(f"{where}/parameters/{name}: {why}")
    return parameters


def _check_outputs(outputs: Any) -> None:
    if outputs is None:
        return
    if type(outputs) is not list:
        raise bad_request(f"/outputs: expected {_OUTPUTS_FORM}")
    for i, item in enumerate(outputs):
        if type(item) is not dict or type(item.get("name")) is not str:
            raise bad_request(f"/outputs/{i}: expected an object with a string name")
        _parameters(item, f"/outputs/{i}", "binary_data")


def parse(body: bytes, header_length: bytes | None) -> dict[str, Any]:
    """The request document; with a binary header length, its binary inputs as arrays."""
    if header_length is None:
        json_part, binary = body, None
    else:
        if not header_length.isdigit() or int(header_length) > len(body):
            raise bad_request(
                "Inference-Header-Content-Length must be a byte count within the body"
            )
        json_part, binary = body[: int(header_length)], body[int(header_length) :]
    try:
        request = orjson.loads(json_part)
    except orjson.JSONDecodeError as error:
        raise malformed_json(error) from None
    if type(request) is not dict:
        raise bad_request("the body must be a JSON object with 'inputs'")
    if "id" in request and type(request["id"]) is not str:
        raise bad_request("/id: expected a string")
    _parameters(request, "", "binary_data_output")
    _check_outputs(request.get("outputs"))
    inputs = request.get("inputs")
    if type(inputs) is list:
        for i, item in enumerate(inputs):
            if type(item) is dict and "parameters" in item:
                parameters = _parameters(item, f"/inputs/{i}", "binary_data")
                if binary is None and "binary_data_size" in parameters:
                    raise bad_request(
                        f"/inputs/{i}/parameters/binary_data_size: binary tensor data needs "
                        "the Inference-Header-Content-Length header"
                    )
    if binary is not None:
        _attach_binary(request, binary)
    return request


def _binary_tensor(item: dict[str, Any], chunk: bytes, where: str) -> np.ndarray | list[bytes]:
    """The values of one binary input: a flat array, or the strings of a BYTES tensor."""
    datatype = item.get("datatype")
    if datatype == "BYTES":
        values: list[bytes] = []
        offset = 0
        while offset + 4 <= len(chunk):
            (size,) = struct.unpack_from("<I", chunk, offset)
            if offset + 4 + size > len(chunk):
                break
            values.append(chunk[offset + 4 : offset + 4 + size])
            offset += 4 + size
        if offset != len(chunk):
            raise bad_request(f"{where}: binary BYTES must be 4-byte lengths each followed by text")
        return values
    dtype = OIP_NUMPY.get(datatype) if isinstance(datatype, str) else None
    if dtype is None:
        raise bad_request(f"{where}/datatype: expected a datatype of the protocol for binary data")
    if len(chunk) % dtype.itemsize:
        raise bad_request(f"{where}: binary data size must be a multiple of {dtype.itemsize} bytes")
    return np.frombuffer(chunk, dtype=dtype)


def _attach_binary(request: dict[str, Any], buffer: bytes) -> None:
    """Put each binary input's values in its ``data``, as the tensor encoder reads them."""
    offset = 0
    inputs = request.get("inputs")
    if type(inputs) is not list:
        return  # the tensor encoder names what ``inputs`` must be (422)
    for i, item in enumerate(inputs):
        if type(item) is not dict:
            continue
        where = f"/inputs/{i}"
        size = _parameters(item, where, "binary_data").get("binary_data_size")
        if size is None:
            continue
        if type(size) is not int or size < 0 or offset + size > len(buffer):
            raise bad_request(
                f"{where}/parameters/binary_data_size: expected a byte count within the body"
            )
        if "data" in item:
            raise bad_request(f"{where}: expected either data or binary_data_size, not both")
        item["data"] = _binary_tensor(item, buffer[offset : offset + size], where)
        offset += size
    if offset != len(buffer):
        raise bad_request(
            "the binary_data_size of the inputs must add up to the bytes after the JSON header"
        )


def check_requested(request: dict[str, Any], known: list[str]) -> None:
    """Refuse an output asked for that the model does not have, naming the known ones."""
    for i, item in enumerate(request.get("outputs") or ()):
        if item["name"] not in known:
            raise bad_request(f"/outputs/{i}/name: no such output; outputs: {', '.join(known)}")


def wants_binary(request: dict[str, Any], asked: dict[str, Any] | None) -> bool:
    """Whether an output (asked for as ``asked``, or not named) goes back in binary."""
    if asked is not None and "binary_data" in (asked.get("parameters") or {}):
        return bool(asked["parameters"]["binary_data"])
    return bool((request.get("parameters") or {}).get("binary_data_output", False))
