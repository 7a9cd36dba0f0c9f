"""Package formats, looked up by name; see :mod:`.base` for the protocol they share."""

from __future__ import annotations

from typing import Any

from modelyard.core.errors import ConfigError, UnsupportedModelError
from modelyard.package.formats.base import ModelFormat, Prepared, Session
from modelyard.package.formats.onnx import OnnxFormat
from modelyard.package.formats.sklearn import SklearnFormat
from modelyard.package.formats.torchscript import TorchScriptFormat

# Order matters for defaults: the first format that accepts a model is used.
FORMATS: dict[str, ModelFormat] = {
    fmt.name: fmt for fmt in (OnnxFormat(), SklearnFormat(), TorchScriptFormat())
}

__all__ = ["FORMATS", "ModelFormat", "Prepared", "Session", "default_format", "get_format"]


def get_format(name: str) -> ModelFormat:
    """The format called ``name``."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown package format {name!r}: expected one of {', '.join(FORMATS)}"
        ) from None


def default_format(model: Any) -> ModelFormat:
    """The production format for ``model``: ONNX for scikit-learn and ONNX, else TorchScript."""
    for fmt in FORMATS.values():
        if fmt.accepts(model):
            return fmt
    raise UnsupportedModelError(
        f"cannot package a {type(model).__name__}: expected a fitted scikit-learn estimator, "
        "an ONNX model (onnx.ModelProto or a .onnx path) or a TorchScript module"
    )
