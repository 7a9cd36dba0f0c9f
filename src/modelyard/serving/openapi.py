"""The OpenAPI document: FastAPI's for the admin routes, plus one real path per endpoint.

The predict routes are raw ASGI (for speed), so FastAPI cannot see them; their paths are added
here, each with a request schema generated from the signature of the model it serves now
(columns and dtypes for tabular models, image bodies for image models, named tensors for V2),
so ``/docs`` shows the fields a client must send. The document is rebuilt when a hot reload
changes a version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from modelyard import __version__
from modelyard.package.manifest import ColumnSpec, Signature, TensorSpec
from modelyard.pipeline.dtypes import OIP
from modelyard.pipeline.encoders.image import ImageEncoder
from modelyard.pipeline.encoders.tabular import TabularEncoder
from modelyard.pipeline.types import Encoder
from modelyard.serving import auth
from modelyard.serving.served import ServedEndpoint

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "float32": {"type": ["number", "null"]},
    "float64": {"type": ["number", "null"]},
    "int32": {"type": "integer"},
    "int64": {"type": "integer"},
    "uint8": {"type": "integer", "minimum": 0, "maximum": 255},
    "bool": {"type": "boolean"},
    "string": {"type": "string"},
}
_ERROR = {
    "type": "object",
    "required": ["error", "request_id"],
    "properties": {
        "error": {"type": "string", "description": "what was wrong, in one line"},
        "request_id": {"type": "string"},
        "problems": {
            "type": "array",
            "description": "422 only: every offending field, never its value",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string", "description": "JSON pointer (RFC 6901)"},
                    "expected": {"type": "string"},
                    "got": {"type": "string"},
                },
            },
        },
        "endpoints": {"type": "array", "items": {"type": "string"}, "description": "404 only"},
    },
}
_ERRORS = {
    "400": "malformed JSON or multipart body",
    "404": "no such endpoint (the answer lists them)",
    "413": "body over the byte limit, or too many instances",
    "422": "payload does not fit the model's signature",
    "503": "the model runner failed (see the log for the request id)",
    "504": "no answer within the server's timeout",
}


def _column_schema(column: ColumnSpec) -> dict[str, Any]:
    return {**_JSON_TYPES[column.dtype], "title": column.name}


def _instances(items: dict[str, Any], max_instances: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["instances"],
        "properties": {
            "instances": {"type": "array", "minItems": 1, "maxItems": max_instances, "items": items}
        },
    }


def tabular_schema(columns: list[ColumnSpec], max_instances: int) -> dict[str, Any]:
    """Instances as records (by column name) or rows (in column order)."""
    record = {
        "type": "object",
        "title": "record",
        "properties": {column.name: _column_schema(column) for column in columns},
        "required": [column.name for column in columns],
    }
    row = {
        "type": "array",
        "title": "row (columns in signature order)",
        "prefixItems": [_column_schema(column) for column in columns],
        "minItems": len(columns),
        "maxItems": len(columns),
    }
    return _instances({"oneOf": [record, row]}, max_instances)


def _tensor_item(spec: TensorSpec) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"const": spec.name},
            "datatype": {"const": OIP[spec.dtype]},
            "shape": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0},
                "description": "expected " + str([-1 if d is None else d for d in spec.shape]),
            },
            "data": {"type": "array", "description": "row-major values, flat or nested"},
            "parameters": {"type": "object"},
        },
    }


def tensors_schema(inputs: Iterable[TensorSpec]) -> dict[str, Any]:
    """An Open Inference Protocol request naming the signature's input tensors."""
    return {
        "type": "object",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "inputs": {"type": "array", "items": {"oneOf": [_tensor_item(s) for s in inputs]}},
            "outputs": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
            "parameters": {"type": "object"},
        },
    }


_IMAGE = {"type": "string", "format": "binary"}


def request_content(encoder: Encoder, signature: Signature, max_instances: int) -> dict[str, Any]:
    """The ``requestBody.content`` of an endpoint whose pipeline starts with ``encoder``."""
    if isinstance(encoder, ImageEncoder):
        b64 = {"oneOf": [{"type": "string", "contentEncoding": "base64"}, {
            "type": "object", "required": ["b64"], "properties": {"b64": {"type": "string"}}
        }]}  # fmt: skip
        return {
            "application/json": {"schema": _instances(b64, max_instances)},
            "image/png": {"schema": _IMAGE},
            "image/jpeg": {"schema": _IMAGE},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "array", "items": _IMAGE}},
                }
            },
        }
    if isinstance(encoder, TabularEncoder):
        schema = tabular_schema(signature.columns, max_instances)
    else:
        schema = tensors_schema(signature.inputs)
    return {"application/json": {"schema": schema}}


def _responses(ok: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "the answer; model and request id also in headers",
            "content": {"application/json": {"schema": ok}},
        }
    }
    for status, why in _ERRORS.items():
        responses[status] = {
            "description": why,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _predict_path(served: ServedEndpoint) -> dict[str, Any]:
    signature = served.pipeline.context.signature
    ok = {
        "type": "object",
        "properties": {
            "predictions": {"type": "array", "description": "one per instance, in order"},
            "model": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "version": {"type": "integer"}},
            },
            "request_id": {"type": "string"},
        },
    }
    return {
        "post": {
            "tags": ["predict"],
            "summary": f"Predict with {served.model_name} v{served.version}",
            "operationId": f"predict_{served.id}",
            "requestBody": {
                "required": True,
                "content": request_content(
                    served.pipeline.encoder, signature, served.max_instances
                ),
            },
            "responses": _responses(ok),
        }
    }


def _infer_path(served: ServedEndpoint) -> dict[str, Any]:
    signature = served.pipeline.context.signature
    ok = {
        "type": "object",
        "properties": {
            "model_name": {"type": "string"},
            "model_version": {"type": "string"},
            "id": {"type": "string"},
            "outputs": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        "post": {
            "tags": ["v2"],
            "summary": f"Open Inference Protocol inference on {served.id}",
            "operationId": f"v2_infer_{served.id}",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": tensors_schema(signature.inputs)}},
            },
            "responses": _responses(ok),
        }
    }


def _mark_guarded(paths: dict[str, Any], served: Iterable[ServedEndpoint]) -> None:
    """Mark the predict and infer operations of endpoints that need a token as such."""
    for item in served:
        if item.guard is None:
            continue
        v2_prefix = f"/v2/models/{item.id}/"
        for path, methods in paths.items():
            native = path == f"/endpoints/{item.id}/predict"
            if native or (path.startswith(v2_prefix) and path.endswith("/infer")):
                auth.secure(methods["post"])


def openapi_builder(
    app: FastAPI, endpoints: Callable[[], Iterable[ServedEndpoint]]
) -> Callable[[], dict[str, Any]]:
    """A replacement for ``app.openapi`` that adds the predict paths of ``endpoints()``."""
    cache: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}

    def build() -> dict[str, Any]:
        served = sorted(endpoints(), key=lambda s: s.id)
        key = tuple((s.id, s.version) for s in served)
        if key not in cache:
            cache.clear()
            document = get_openapi(
                title="modelyard", version=__version__, routes=app.routes,
                description="Model endpoints served by modelyard.",
            )  # fmt: skip
            paths = document.setdefault("paths", {})
            for item in served:
                paths[f"/endpoints/{item.id}/predict"] = _predict_path(item)
                paths[f"/v2/models/{item.id}/infer"] = _infer_path(item)
                paths[f"/v2/models/{item.id}/versions/{item.version}/infer"] = _infer_path(item)
            _mark_guarded(paths, served)
            document.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
            cache[key] = document
        return cache[key]

    return build
