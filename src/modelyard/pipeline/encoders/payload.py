"""What encoders share: finding the instances in a payload and describing bad fields.

Problems name a JSON pointer (RFC 6901), the expected type or shape and the *type* that came,
never the value: payloads may hold personal data and errors end up in logs.
"""

from __future__ import annotations

from typing import Any

from modelyard.core.errors import ConfigError, PayloadError
from modelyard.package.manifest import Signature, TensorSpec

Problem = dict[str, str]


def pointer(*parts: str | int) -> str:
    """A JSON pointer to ``parts`` (``~`` and ``/`` escaped as RFC 6901 says)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def json_type(value: Any) -> str:
    """The JSON type of ``value`` (with the length of arrays), never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return f"array of {len(value)}"
    return type(value).__name__


def problem(where: str, expected: str, got: str) -> Problem:
    """One offending field."""
    return {"pointer": where, "expected": expected, "got": got}


def instances_of(payload: Any) -> tuple[list[Any], tuple[str, ...]]:
    """The instances of ``{"instances": [...]}`` (TF Serving / Vertex AI) or of a bare list.

    Returns them with the pointer prefix under which they sit in the payload. A bare list is
    what in-process callers pass.
    """
    if isinstance(payload, dict) and "instances" in payload:
        instances = payload["instances"]
        if isinstance(instances, list) and instances:
            return instances, ("instances",)
        raise PayloadError([problem(pointer("instances"), "non-empty array", json_type(instances))])
    if isinstance(payload, list) and payload:
        return payload, ()
    raise PayloadError(
        [problem("", 'object {"instances": [...]} or non-empty array', json_type(payload))]
    )


def single_input(signature: Signature, name: str | None) -> TensorSpec:
    """The input called ``name``, or the only input when ``name`` is not given."""
    if name is None:
        if len(signature.inputs) != 1:
            names = ", ".join(spec.name for spec in signature.inputs)
            raise ConfigError(f"the model has several inputs ({names}): set args.input")
        return signature.inputs[0]
    for spec in signature.inputs:
        if spec.name == name:
            return spec
    names = ", ".join(spec.name for spec in signature.inputs)
    raise ConfigError(f"no input {name!r}; the model's inputs: {names}")
