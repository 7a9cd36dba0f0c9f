"""``POST /endpoints/{id}/predict``: the native route.

Bodies: JSON ``{"instances": [...]}`` (records or rows, as TF Serving and Vertex AI take
them); for image endpoints also a raw ``image/*`` (or ``application/octet-stream``) body, or
``multipart/form-data`` whose parts are the images, in order; any other body is a 415
naming these. The answer is
``{"predictions": [...], "model": {"name", "version"}, "request_id"}``.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import orjson

from modelyard.pipeline.encoders.image import ImageEncoder
from modelyard.serving.asgi import RequestHeaders
from modelyard.serving.errors import (
    HttpError,
    malformed_json,
    too_many_instances,
    unsupported_media_type,
)
from modelyard.serving.variant import Answer, Job, Variant

_JSON_HEADERS = [(b"content-type", b"application/json")]
JSON_TYPES = "application/json"
IMAGE_TYPES = "application/json, image/*, application/octet-stream, multipart/form-data"
"""The content types the native route takes: JSON, and image bodies for image endpoints."""


def is_json(content_type: bytes) -> bool:
    """A JSON body (``application/json``, ``+json`` types, or none said), in any letter case.

    The lower-case form clients send is matched first, without a copy.
    """
    if not content_type or content_type.startswith(b"application/json"):
        return True
    lowered = content_type.lower()
    return lowered.startswith(b"application/json") or b"+json" in lowered


def _is_image_body(content_type: bytes) -> bool:
    return content_type.startswith((b"image/", b"application/octet-stream"))


def _multipart_parts(body: bytes, content_type: bytes) -> list[bytes]:
    """The payload of every part of a ``multipart/form-data`` body, in order."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"content-type: " + content_type + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise HttpError(400, "malformed multipart body: no boundary or no parts")
    parts = [part.get_payload(decode=True) for part in message.iter_parts()]
    images = [part for part in parts if isinstance(part, bytes) and part]
    if not images:
        raise HttpError(400, "malformed multipart body: no non-empty part")
    return images


class NativeCodec:
    """JSON instances or image bytes in; predictions out."""

    tensors = False

    def decode(self, served: Variant, body: bytes, headers: RequestHeaders) -> Any:
        """JSON parsed with orjson; image bodies passed on as bytes for the image encoder."""
        content_type = headers.content_type
        if is_json(content_type):
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError as error:
                raise malformed_json(error) from None
        if not isinstance(served.pipeline.encoder, ImageEncoder):
            raise unsupported_media_type(JSON_TYPES)
        if content_type.lower().startswith(b"multipart/form-data"):
            return _multipart_parts(body, content_type)
        if _is_image_body(content_type.lower()):
            return body
        raise unsupported_media_type(IMAGE_TYPES)

    def validate(self, served: Variant, payload: Any) -> Job:
        """The endpoint's encoder checks the payload; too many instances is refused first."""
        instances = payload.get("instances") if type(payload) is dict else payload
        if type(instances) is list and len(instances) > served.max_instances:
            raise too_many_instances(len(instances), served.max_instances)
        return Job(served.pipeline.encode(payload), tensors=False)

    def encode(
        self, served: Variant, payload: Any, answer: Answer, request_id: str
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """``{"predictions", "model", "request_id"}`` as orjson bytes."""
        body = orjson.dumps(
            {"predictions": answer, "model": served.model_doc, "request_id": request_id},
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        return body, list(_JSON_HEADERS)
