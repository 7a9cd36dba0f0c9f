"""The Open Inference Protocol (V2, as KServe, Triton and MLServer speak it).

Each endpoint is a V2 model named by the endpoint id; its one version is the registry version
it serves now. Inputs and outputs are the runner's tensors (the signature's ``inputs`` and
``outputs``): V2 clients send tensors, so the request skips the endpoint's encoder and goes
through the ``tensor`` encoder, and the answer is the runner's raw outputs, micro-batched with
the native route's requests.

The binary tensor data extension is supported both ways, because ``tritonclient`` uses it by
default: a request whose ``Inference-Header-Content-Length`` header is set carries a JSON
header of that length followed by the raw tensors (``parameters.binary_data_size`` each);
outputs asked for with ``binary_data`` (or ``binary_data_output``) come back the same way.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, HTTPException

from modelyard import __version__
from modelyard.pipeline.dtypes import OIP, OIP_NUMPY, oip_datatype
from modelyard.pipeline.types import Arrays
from modelyard.serving.asgi import RequestHeaders
from modelyard.serving.errors import HttpError, malformed_json
from modelyard.serving.served import Answer, Job, ServedEndpoint

HEADER_LENGTH = b"inference-header-content-length"
EXTENSIONS = ["binary_tensor_data"]


def server_metadata() -> dict[str, Any]:
    """``GET /v2``."""
    return {"name": "modelyard", "version": __version__, "extensions": EXTENSIONS}


def model_metadata(served: ServedEndpoint) -> dict[str, Any]:
    """``GET /v2/models/{name}``: the runner's tensors as V2 datatypes and shapes."""
    signature = served.pipeline.context.signature

    def tensors(specs: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "datatype": OIP[s.dtype],
                "shape": [-1 if d is None else d for d in s.shape],
            }
            for s in specs
        ]

    return {
        "name": served.id,
        "versions": [served.version],
        "platform": f"modelyard_{served.pipeline.manifest.format}",
        "inputs": tensors(signature.inputs),
        "outputs": tensors(signature.outputs),
    }


def add_routes(api: FastAPI, current: dict[str, ServedEndpoint]) -> None:
    """Health, readiness and metadata routes (inference is on the raw ASGI path)."""

    def served(name: str, version: str | None) -> ServedEndpoint:
        found = current.get(name)
        if found is None:
            raise HTTPException(404, f"no model {name!r}; models: {', '.join(sorted(current))}")
        if version is not None and version != found.version:
            raise HTTPException(404, f"model {name!r} has version {found.version}, not {version}")
        return found

    @api.get("/v2", tags=["v2"], summary="Server metadata")
    async def metadata() -> dict[str, Any]:
        return server_metadata()

    @api.get("/v2/health/live", tags=["v2"], summary="The server process answers")
    async def live() -> dict[str, bool]:
        return {"live": True}

    @api.get("/v2/health/ready", tags=["v2"], summary="Every endpoint is loaded")
    async def ready() -> dict[str, bool]:
        return {"ready": bool(current)}

    @api.get("/v2/models/{name}", tags=["v2"], summary="Model metadata")
    async def model(name: str) -> dict[str, Any]:
        return model_metadata(served(name, None))

    @api.get("/v2/models/{name}/versions/{version}", tags=["v2"], summary="Model metadata")
    async def model_version(name: str, version: str) -> dict[str, Any]:
        return model_metadata(served(name, version))

    @api.get("/v2/models/{name}/ready", tags=["v2"], summary="The model is loaded")
    async def model_ready(name: str) -> dict[str, Any]:
        return {"name": served(name, None).id, "ready": True}

    @api.get("/v2/models/{name}/versions/{version}/ready", tags=["v2"], summary="Loaded")
    async def model_version_ready(name: str, version: str) -> dict[str, Any]:
        return {"name": served(name, version).id, "ready": True}


def _bad_request(message: str) -> HttpError:
    return HttpError(400, f"malformed inference request: {message}")


def _binary_tensor(item: dict[str, Any], chunk: bytes) -> np.ndarray | list[bytes]:
    """The values of one binary input: a flat array, or the strings of a BYTES tensor."""
    datatype = item.get("datatype")
    if datatype == "BYTES":
        values: list[bytes] = []
        offset = 0
        while offset + 4 <= len(chunk):
            (size,) = struct.unpack_from("<I", chunk, offset)
            values.append(chunk[offset + 4 : offset + 4 + size])
            offset += 4 + size
        return values
    dtype = OIP_NUMPY.get(datatype) if isinstance(datatype, str) else None
    if dtype is None or len(chunk) % dtype.itemsize:
        raise _bad_request(f"binary data of input {item.get('name')!r} does not fit {datatype}")
    return np.frombuffer(chunk, dtype=dtype)


def _attach_binary(request: dict[str, Any], buffer: bytes) -> None:
    """Put each binary input's values in its ``data``, as the tensor encoder reads them."""
    offset = 0
    for item in request.get("inputs") or []:
        if not isinstance(item, dict):
            continue
        parameters = item.get("parameters") or {}
        size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
        if size is None:
            continue
        if not isinstance(size, int) or size < 0 or offset + size > len(buffer):
            raise _bad_request(f"binary_data_size of input {item.get('name')!r} overruns the body")
        item["data"] = _binary_tensor(item, buffer[offset : offset + size])
        offset += size


def _wants_binary(request: dict[str, Any], name: str, asked: dict[str, Any]) -> bool:
    parameters = asked.get(name, {}).get("parameters") or {}
    if "binary_data" in parameters:
        return bool(parameters["binary_data"])
    return bool((request.get("parameters") or {}).get("binary_data_output", False))


def _bytes_tensor(array: np.ndarray) -> bytes:
    parts = []
    for value in array.ravel():
        raw = value if isinstance(value, bytes) else str(value).encode()
        parts.append(struct.pack("<I", len(raw)) + raw)
    return b"".join(parts)


class V2Codec:
    """V2 inference requests in (JSON, or JSON + binary tensors); V2 responses out."""

    tensors = True

    def decode(self, body: bytes, headers: RequestHeaders) -> Any:
        """The request document, with binary inputs already turned into arrays."""
        length = headers.extra
        try:
            if length is None:
                request = orjson.loads(body)
            else:
                if not length.isdigit() or int(length) > len(body):
                    raise _bad_request("Inference-Header-Content-Length overruns the body")
                request = orjson.loads(body[: int(length)])
        except orjson.JSONDecodeError as error:
            raise malformed_json(error) from None
        if not isinstance(request, dict):
            raise _bad_request("the body must be a JSON object with 'inputs'")
        if length is not None:
            _attach_binary(request, body[int(length) :])
        return request

    def validate(self, served: ServedEndpoint, payload: Any) -> Job:
        """The ``tensor`` encoder checks names, datatypes and shapes against the signature."""
        return Job(served.tensor_encoder.encode(payload), tensors=True)

    def encode(
        self, served: ServedEndpoint, payload: Any, answer: Answer, request_id: str
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The V2 response; outputs asked for in binary follow the JSON header."""
        assert isinstance(answer, dict)
        outputs: Arrays = answer
        asked = {
            item["name"]: item
            for item in payload.get("outputs") or []
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        }
        names = [name for name in asked if name in outputs] or list(outputs)
        documents = []
        binary = []
        for name in names:
            array = outputs[name]
            document: dict[str, Any] = {
                "name": name,
                "datatype": oip_datatype(array),
                "shape": list(array.shape),
            }
            if _wants_binary(payload, name, asked):
                raw = _bytes_tensor(array) if array.dtype.kind in "OUS" else array.tobytes()
                document["parameters"] = {"binary_data_size": len(raw)}
                binary.append(raw)
            else:
                data = array.ravel()
                document["data"] = data.tolist() if data.dtype.kind in "OUS" else data
            documents.append(document)
        response = {
            "model_name": served.id,
            "model_version": served.version,
            "id": payload.get("id") if isinstance(payload.get("id"), str) else request_id,
            "outputs": documents,
        }
        header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
        if not binary:
            return header, [(b"content-type", b"application/json")]
        return header + b"".join(binary), [
            (b"content-type", b"application/octet-stream"),
            (HEADER_LENGTH, str(len(header)).encode()),
        ]
