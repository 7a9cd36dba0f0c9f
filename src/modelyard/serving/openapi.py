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
from modelyard.serving.variant import Variant

# The first double that rounds to infinity as a float32 (2**128 - 2**103): anything below it
# rounds to at most float32's largest value, which is what the encoders accept.
_FLOAT32_OVERFLOW = float(2**128 - 2**103)
_JSON_TYPES: dict[str, dict[str, Any]] = {
    "float32": {
        "type": "number",
        "exclusiveMinimum": -_FLOAT32_OVERFLOW,
        "exclusiveMaximum": _FLOAT32_OVERFLOW,
    },
    "float64": {"type": "number"},
    "int32": {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
    "int64": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
    "uint8": {"type": "integer", "minimum": 0, "maximum": 255},
    "bool": {"type": "boolean"},
    "string": {"type": "string"},
}
"""The JSON Schema of one value of each dtype, its range included: the encoders refuse a
number the input tensor cannot hold, so the document says where that starts."""
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what was wrong, in one line"},
        "request_id": {"type": "string", "description": "on the predict and infer paths"},
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
    "400": "malformed JSON, multipart or compressed body, or a malformed V2 request frame",
    "404": "no such endpoint (the answer lists them)",
    "405": "another method than POST (the answer's Allow header says POST)",
    "413": "body over the byte limit (also once decompressed), or too many instances",
    "415": "a Content-Type the route does not take, or a Content-Encoding other than gzip "
    "or deflate (the message names the accepted ones)",
    "422": "payload does not fit the model's signature, or (V2) an output JSON cannot carry",
    "503": "the model runner failed (see the log for the request id)",
    "504": "no answer within the server's timeout",
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
BINARY_V2 = "application/octet-stream"
HEADER_LENGTH = "Inference-Header-Content-Length"


def _column_schema(column: ColumnSpec, fed: str) -> dict[str, Any]:
    schema = {**_JSON_TYPES[fed], "title": column.name}
    if column.missing:  # the training data had gaps here: null is taken as missing
        schema["type"] = [schema["type"], "null"]
    return schema


def _instances(items: dict[str, Any], max_instances: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["instances"],
        "properties": {
            "instances": {"type": "array", "minItems": 1, "maxItems": max_instances, "items": items}
        },
    }


def _fed_dtype(column: ColumnSpec, signature: Signature) -> str:
    """The dtype whose range a column's numbers must fit: a float column's values end in the
    float tensor it feeds (its own input, or the one input every column is stacked into), and
    the encoder refuses a number that tensor cannot hold."""
    inputs = {spec.name: spec for spec in signature.inputs}
    fed = inputs.get(column.name, signature.inputs[0] if len(signature.inputs) == 1 else None)
    floats = ("float32", "float64")
    if fed is not None and column.dtype in floats and fed.dtype in floats:
        return fed.dtype
    return column.dtype


def tabular_schema(signature: Signature, max_instances: int) -> dict[str, Any]:
    """Instances as records (by column name) or rows (in column order); ``null`` only for the
    columns the signature marks ``missing``, those the training data had gaps in."""
    columns = signature.columns
    schemas = [_column_schema(c, _fed_dtype(c, signature)) for c in columns]
    record = {
        "type": "object",
        "title": "record",
        "properties": {c.name: schema for c, schema in zip(columns, schemas, strict=True)},
        "required": [column.name for column in columns],
    }
    row = {
        "type": "array",
        "title": "row (columns in signature order)",
        "prefixItems": schemas,
        "minItems": len(columns),
        "maxItems": len(columns),
    }
    return _instances({"oneOf": [record, row]}, max_instances)


def _tensor_item(spec: TensorSpec, max_instances: int) -> dict[str, Any]:
    rows = {"type": "integer", "minimum": 1, "maximum": max_instances}
    dims = [rows if d is None else {"const": d} for d in spec.shape]
    return {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"const": spec.name},
            "datatype": {"const": OIP[spec.dtype]},
            "shape": {
                "type": "array",
                "prefixItems": dims,
                "minItems": len(dims),
                "maxItems": len(dims),
                "description": "expected " + str([-1 if d is None else d for d in spec.shape]),
            },
            "data": {
                "type": "array",
                "minItems": 1,
                "items": _JSON_TYPES[spec.dtype],
                "description": "row-major values, as many as the shape's product",
            },
            "parameters": {"type": "object"},
        },
    }


def tensors_schema(
    inputs: list[TensorSpec], max_instances: int, outputs: Iterable[TensorSpec] = ()
) -> dict[str, Any]:
    """An Open Inference Protocol request naming the signature's input tensors, each once,
    and (V2) the ``outputs`` it may ask for."""
    names = [spec.name for spec in outputs]
    return {
        "type": "object",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "inputs": {
                "type": "array",
                "minItems": len(inputs),
                "maxItems": len(inputs),
                "items": {"oneOf": [_tensor_item(s, max_instances) for s in inputs]},
                "description": "every input of the model, once each",
            },
            "outputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"enum": names} if names else {"type": "string"},
                        "parameters": {
                            "type": "object",
                            "properties": {"binary_data": {"type": "boolean"}},
                        },
                    },
                },
            },
            "parameters": {
                "type": "object",
                "properties": {"binary_data_output": {"type": "boolean"}},
            },
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
                    "required": ["file"],
                    "properties": {"file": {"type": "array", "minItems": 1, "items": _IMAGE}},
                }
            },
        }
    if isinstance(encoder, TabularEncoder):
        schema = tabular_schema(signature, max_instances)
    else:
        schema = tensors_schema(signature.inputs, max_instances)
    return {"application/json": {"schema": schema}}


_ANSWER_HEADERS = {
    "x-request-id": {"schema": {"type": "string"}, "description": "the request's id"},
    "x-model-name": {"schema": {"type": "string"}},
    "x-model-version": {"schema": {"type": "string"}},
    "server-timing": {"schema": {"type": "string"}, "description": "time spent per stage"},
}


def error_response(why: str) -> dict[str, Any]:
    """An error answer: the one JSON shape every status shares."""
    return {"description": why, "content": {"application/json": {"schema": ERROR_REF}}}


def _responses(ok: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "the answer; model and request id also in headers",
            "headers": _ANSWER_HEADERS,
            "content": ok,
        }
    }
    for status, why in _ERRORS.items():
        responses[status] = error_response(why)
    return responses


def _predict_path(served: Variant) -> dict[str, Any]:
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
            "responses": _responses({"application/json": {"schema": ok}}),
        }
    }


_BINARY = {
    "schema": {
        "type": "string",
        "format": "binary",
        "description": f"binary tensor extension: a JSON document of {HEADER_LENGTH} bytes, "
        "then each tensor's raw bytes in order (parameters.binary_data_size each)",
    }
}


def _infer_path(served: Variant, operation_id: str) -> dict[str, Any]:
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
    responses = _responses({"application/json": {"schema": ok}, BINARY_V2: _BINARY})
    responses["200"]["headers"] = {
        **_ANSWER_HEADERS,
        HEADER_LENGTH: {
            "schema": {"type": "integer"},
            "description": "with binary outputs: the length of the JSON document",
        },
    }
    return {
        "post": {
            "tags": ["v2"],
            "summary": f"Open Inference Protocol inference on {served.id}",
            "operationId": operation_id,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": tensors_schema(
                            signature.inputs, served.max_instances, signature.outputs
                        )
                    },
                    BINARY_V2: _BINARY,
                },
            },
            "responses": responses,
        }
    }


def _document_405(document: dict[str, Any]) -> None:
    """Every path answers another method with 405 and ``Allow``: say so on each operation."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            operation["responses"].setdefault(
                "405", error_response("another method than this path takes (see Allow)")
            )


def openapi_builder(
    app: FastAPI, endpoints: Callable[[], Iterable[ServedEndpoint]]
) -> Callable[[], dict[str, Any]]:
    """A replacement for ``app.openapi`` that adds the predict paths of ``endpoints()``."""
    cache: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}

    def build() -> dict[str, Any]:
        served = sorted(endpoints(), key=lambda s: s.id)
        key = tuple((s.id, v.version) for s in served for v in s.variants)
        if key not in cache:
            cache.clear()
            document = get_openapi(
                title="modelyard", version=__version__, routes=app.routes,
                description="Model endpoints served by modelyard.",
            )  # fmt: skip
            paths = document.setdefault("paths", {})
            for endpoint in served:
                item = endpoint.primary
                own = {
                    f"/endpoints/{item.id}/predict": _predict_path(item),
                    f"/v2/models/{item.id}/infer": _infer_path(item, f"v2_infer_{item.id}"),
                    f"/v2/models/{item.id}/versions/{item.version}/infer": _infer_path(
                        item, f"v2_infer_{item.id}_version"
                    ),
                }
                for other in endpoint.variants:  # every version the endpoint serves
                    if other is not item:
                        own[f"/v2/models/{item.id}/versions/{other.version}/infer"] = _infer_path(
                            other, f"v2_infer_{item.id}_version_{other.version}"
                        )
                if endpoint.guard is not None:  # a token is needed on each of them
                    for path in own.values():
                        auth.secure(path["post"])
                paths.update(own)
            _document_405(document)
            document.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR
            cache[key] = document
        return cache[key]

    return build
