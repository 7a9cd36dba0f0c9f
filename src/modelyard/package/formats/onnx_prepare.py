"""Preparing a model for the ``onnx`` format: conversion and the signature of a given graph.

This is the packaging half of :mod:`.onnx` and the only part that needs the ``onnx`` package,
skl2onnx and scikit-learn (the ``train`` extra); serving opens ``model.onnx`` with ONNX
Runtime alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
from google.protobuf.message import DecodeError

from modelyard.core.errors import NotFoundError, UnsupportedModelError
from modelyard.package.convert import sklearn_to_onnx
from modelyard.package.estimators import is_estimator
from modelyard.package.formats.base import Prepared
from modelyard.package.manifest import Task
from modelyard.package.signature import build_signature, columns_of, tensor_specs

_CLASS_ATTRIBUTES = ("classlabels_int64s", "classlabels_ints", "classlabels_strings")


def _load_proto(model: Any) -> onnx.ModelProto:
    if isinstance(model, onnx.ModelProto):
        return model
    path = Path(model)
    if not path.is_file():
        raise NotFoundError(f"ONNX model file {path} does not exist: expected a .onnx file")
    try:
        return onnx.load(str(path))
    except (DecodeError, OSError) as error:
        raise UnsupportedModelError(
            f"{path} is not a readable ONNX model ({error}): expected a serialized ModelProto"
        ) from None


def _ml_node(proto: onnx.ModelProto) -> tuple[Task, list[str | int] | None]:
    """The task and classes an ai.onnx.ml predictor node declares, if the graph has one."""
    for node in proto.graph.node:
        if node.op_type.endswith("Regressor"):
            return "regression", None
        if node.op_type.endswith("Classifier"):
            for attribute in node.attribute:
                if attribute.name in _CLASS_ATTRIBUTES:
                    values = onnx.helper.get_attribute_value(attribute)
                    return "classification", [
                        v.decode() if isinstance(v, bytes) else int(v) for v in values
                    ]
            return "classification", None
    return "other", None


def _is_onnx_source(model: Any) -> bool:
    return isinstance(model, onnx.ModelProto) or (
        isinstance(model, str | Path) and str(model).endswith(".onnx")
    )


def accepts(model: Any) -> bool:
    """scikit-learn estimators and ONNX models."""
    return is_estimator(model) or _is_onnx_source(model)


def prepare(model: Any, sample: Any) -> Prepared:
    """Convert an estimator (see :mod:`..convert`) or read an ONNX model's signature."""
    if is_estimator(model):
        proto, signature = sklearn_to_onnx(model, sample)
        return Prepared(proto, signature, "sklearn", _extra(proto, model))
    if not _is_onnx_source(model):
        raise UnsupportedModelError(
            f"cannot store a {type(model).__name__} as onnx: expected a scikit-learn "
            "estimator, an onnx.ModelProto or a path to a .onnx file"
        )
    proto = _load_proto(model)
    task, classes = _ml_node(proto)
    signature = build_signature(
        tensor_specs(proto.graph.input),
        tensor_specs(proto.graph.output),
        columns_of(sample),
        task,
        classes,
    )
    return Prepared(proto, signature, "onnx", _extra(proto, None))


def _extra(proto: onnx.ModelProto, model: Any) -> dict[str, Any]:
    opsets = {entry.domain or "ai.onnx": entry.version for entry in proto.opset_import}
    extra: dict[str, Any] = {"onnx_opsets": opsets}
    if model is not None:
        extra["estimator"] = f"{type(model).__module__}.{type(model).__qualname__}"
    return extra
