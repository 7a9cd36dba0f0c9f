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
Reading the request's frame and binary part is :mod:`modelyard.serving.v2_request`'s job.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

from modelyard import __version__
from modelyard.pipeline.dtypes import OIP, oip_datatype
from modelyard.pipeline.types import Arrays
from modelyard.serving import v2_request
from modelyard.serving.asgi import RequestHeaders
from modelyard.serving.errors import HttpError, too_many_instances, unsupported_media_type
from modelyard.serving.openapi import error_response
from modelyard.serving.predict_route import is_json
from modelyard.serving.served import ServedEndpoint
from modelyard.serving.variant import Answer, Job, Variant

HEADER_LENGTH = b"inference-header-content-length"
EXTENSIONS = ["binary_tensor_data"]
ACCEPTED_TYPES = "application/json, or application/octet-stream with binary tensors"


def server_metadata() -> dict[str, Any]:
    """``GET /v2``."""
    return {"name": "modelyard", "version": __version__, "extensions": EXTENSIONS}


def model_metadata(endpoint: ServedEndpoint, served: Variant) -> dict[str, Any]:
    """``GET /v2/models/{name}[/versions/{v}]``: the variant's runner tensors as V2 datatypes
    and shapes, and every version the endpoint serves."""
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
        "versions": endpoint.versions(),
        "platform": f"modelyard_{served.pipeline.manifest.format}",
        "inputs": tensors(signature.inputs),
        "outputs": tensors(signature.outputs),
    }


def add_routes(
    api: FastAPI, current: dict[str, ServedEndpoint], unready: Callable[[], list[str]]
) -> None:
    """Health, readiness and metadata routes (inference is on the raw ASGI path).

    ``unready`` names the variants whose required version is not loaded: while it names any,
    readiness answers 503 (the versions loaded still answer predictions)."""

    def served(name: str, version: str | None) -> tuple[ServedEndpoint, Variant]:
        found = current.get(name)
        if found is None:
            listing = ", ".join(sorted(current)) or "(none)"
            raise HTTPException(404, f"no model of that name; models: {listing}")
        if version is None:
            return found, found.primary
        variant = found.with_version(version)
        if variant is None:
            raise HTTPException(404, not_that_version(found))
        return found, variant

    @api.get("/v2", tags=["v2"], summary="Server metadata")
    async def metadata() -> dict[str, Any]:
        return server_metadata()

    @api.get("/v2/health/live", tags=["v2"], summary="The server process answers")
    async def live() -> dict[str, bool]:
        return {"live": True}

    @api.get(
        "/v2/health/ready", tags=["v2"], summary="Every endpoint is loaded",
        responses={503: error_response("a version the registry requires could not be loaded")},
    )  # fmt: skip
    async def ready() -> Any:
        missing = unready()
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            return JSONResponse({"ready": False, "error": missing[0] + more}, status_code=503)
        return {"ready": bool(current)}

    unknown: dict[int | str, dict[str, Any]] = {
        404: error_response("no such model, or not that version (the answer lists the models)")
    }

    @api.get("/v2/models/{name}", tags=["v2"], summary="Model metadata", responses=unknown)
    async def model(name: str) -> dict[str, Any]:
        return model_metadata(*served(name, None))

    @api.get(
        "/v2/models/{name}/versions/{version}", tags=["v2"], summary="Model metadata",
        responses=unknown,
    )  # fmt: skip
    async def model_version(name: str, version: str) -> dict[str, Any]:
        return model_metadata(*served(name, version))

    @api.get(
        "/v2/models/{name}/ready", tags=["v2"], summary="The model is loaded", responses=unknown
    )
    async def model_ready(name: str) -> dict[str, Any]:
        return {"name": served(name, None)[0].id, "ready": True}

    @api.get(
        "/v2/models/{name}/versions/{version}/ready", tags=["v2"], summary="Loaded",
        responses=unknown,
    )  # fmt: skip
    async def model_version_ready(name: str, version: str) -> dict[str, Any]:
        return {"name": served(name, version)[0].id, "ready": True}


def not_that_version(served: ServedEndpoint) -> str:
    """The 404 message for a version the endpoint does not serve."""
    versions = served.versions()
    listed = " and ".join(", ".join(versions).rsplit(", ", 1))
    only = " only" if len(versions) == 1 else ""
    return f"endpoint {served.id!r} serves version{'s' if len(versions) > 1 else ''} {listed}{only}"


def _bytes_tensor(array: np.ndarray) -> bytes:
    parts = []
    for value in array.ravel():
        raw = value if isinstance(value, bytes) else str(value).encode()
        parts.append(struct.pack("<I", len(raw)) + raw)
    return b"".join(parts)


def non_finite_output(name: str) -> HttpError:
    """422 for an output JSON cannot carry: never ``null`` in a 200 answer."""
    return HttpError(
        422,
        f"output {name!r} is not finite for this input, which JSON cannot carry; "
        "ask for it with binary_data to receive the IEEE values",
    )


class V2Codec:
    """V2 inference requests in (JSON, or JSON + binary tensors); V2 responses out."""

    tensors = True

    def decode(self, served: Variant, body: bytes, headers: RequestHeaders) -> Any:
        """The request document, with binary inputs already turned into arrays."""
        content_type = headers.content_type
        if not (
            is_json(content_type) or content_type.lower().startswith(b"application/octet-stream")
        ):
            raise unsupported_media_type(ACCEPTED_TYPES)
        return v2_request.parse(body, headers.extra)

    def validate(self, served: Variant, payload: Any) -> Job:
        """The ``tensor`` encoder checks names, datatypes, shapes and values; requested
        outputs must exist and the rows stay within the endpoint's instance limit."""
        if payload.get("outputs"):
            outputs = [spec.name for spec in served.pipeline.context.signature.outputs]
            v2_request.check_requested(payload, outputs)
        batch = served.tensor_encoder.encode(payload)
        if batch.rows > served.max_instances:
            raise too_many_instances(batch.rows, served.max_instances)
        return Job(batch, tensors=True)

    def encode(
        self, served: Variant, payload: Any, answer: Answer, request_id: str
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The V2 response; outputs asked for in binary follow the JSON header."""
        assert isinstance(answer, dict)
        outputs: Arrays = answer
        asked = {item["name"]: item for item in payload.get("outputs") or ()}
        documents = []
        binary = []
        for name in asked or outputs:
            array = outputs.get(name)
            if array is None:  # in the signature, but this endpoint's runner does not give it
                raise v2_request.bad_request(
                    f"/outputs: {name!r} is not produced by this endpoint's runner; "
                    f"outputs: {', '.join(outputs)}"
                )
            document: dict[str, Any] = {
                "name": name,
                "datatype": oip_datatype(array),
                "shape": list(array.shape),
            }
            if v2_request.wants_binary(payload, asked.get(name)):
                raw = _bytes_tensor(array) if array.dtype.kind in "OUS" else array.tobytes()
                document["parameters"] = {"binary_data_size": len(raw)}
                binary.append(raw)
            else:
                data = array.ravel()
                if data.dtype.kind == "f" and not np.isfinite(data).all():
                    raise non_finite_output(name)
                document["data"] = data.tolist() if data.dtype.kind in "OUS" else data
            documents.append(document)
        response = {
            "model_name": served.id,
            "model_version": served.version,
            "id": payload.get("id", request_id),
            "outputs": documents,
        }
        header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
        if not binary:
            return header, [(b"content-type", b"application/json")]
        return header + b"".join(binary), [
            (b"content-type", b"application/octet-stream"),
            (HEADER_LENGTH, str(len(header)).encode()),
        ]
