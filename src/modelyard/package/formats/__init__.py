"""Package formats, looked up by name; see :mod:`.base` for the protocol they share.

A format's module is imported the first time the format is asked for, so opening an ONNX
package never imports joblib (the ``sklearn`` format) or the TorchScript code; a format whose
libraries are missing says which extra installs them.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from modelyard.core.errors import ConfigError, UnsupportedModelError
from modelyard.core.extras import missing_extra
from modelyard.package.formats.base import ModelFormat, Prepared, Session

# name -> (module, class). Order matters for defaults: the first format that accepts a model
# is used.
FORMATS: dict[str, tuple[str, str]] = {
    "onnx": ("modelyard.package.formats.onnx", "OnnxFormat"),
    "sklearn": ("modelyard.package.formats.sklearn", "SklearnFormat"),
    "torchscript": ("modelyard.package.formats.torchscript", "TorchScriptFormat"),
}

__all__ = ["FORMATS", "ModelFormat", "Prepared", "Session", "default_format", "get_format"]


@cache
def get_format(name: str) -> ModelFormat:
    """The format called ``name``, its module imported on first use."""
    try:
        module, cls = FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown package format {name!r}: expected one of {', '.join(FORMATS)}"
        ) from None
    try:
        fmt: ModelFormat = getattr(import_module(module), cls)()
    except ImportError as error:
        raise missing_extra(error, f"the {name} format") from None
    return fmt


def default_format(model: Any) -> ModelFormat:
    """The production format for ``model``: ONNX for scikit-learn and ONNX, else TorchScript."""
    for fmt in map(get_format, FORMATS):
        if fmt.accepts(model):
            return fmt
    raise UnsupportedModelError(
        f"cannot package a {type(model).__name__}: expected a fitted scikit-learn estimator, "
        "an ONNX model (onnx.ModelProto or a .onnx path) or a TorchScript module"
    )
