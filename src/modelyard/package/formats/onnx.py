"""The ``onnx`` format: a ``model.onnx`` run by ONNX Runtime — the production default.

It accepts scikit-learn estimators (converted with skl2onnx, see :mod:`..convert`) and ONNX
models given as a ``ModelProto`` or a path to a ``.onnx`` file. For a file logged as is, the
task and classes are read from its ai.onnx.ml classifier/regressor node when it has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from google.protobuf.message import DecodeError
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
from pydantic import BaseModel, ConfigDict

from modelyard.core.errors import NotFoundError, PayloadError, UnsupportedModelError
from modelyard.package.convert import sklearn_to_onnx
from modelyard.package.estimators import is_estimator
from modelyard.package.formats.base import Prepared, parse_options
from modelyard.package.manifest import Format, Signature, Task
from modelyard.package.signature import build_signature, columns_of, tensor_specs

_CLASS_ATTRIBUTES = ("classlabels_int64s", "classlabels_ints", "classlabels_strings")


class OnnxOptions(BaseModel):
    """ONNX Runtime session options a caller may set."""

    model_config = ConfigDict(extra="forbid")

    intra_op_num_threads: int | None = None
    inter_op_num_threads: int | None = None
    providers: list[str] | None = None


class OnnxSession:
    """An ONNX Runtime session that returns its outputs by name."""

    def __init__(self, session: ort.InferenceSession) -> None:
        self._session = session
        self._outputs = [output.name for output in session.get_outputs()]

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run one batch; a feed of the wrong name, dtype or shape is a :class:`PayloadError`."""
        try:
            results = self._session.run(self._outputs, dict(feeds))
        except (ValueError, ort_errors.InvalidArgument) as error:
            expected = ", ".join(f"{i.name} {i.type} {i.shape}" for i in self._session.get_inputs())
            raise PayloadError(
                [{"pointer": "", "expected": expected, "got": str(error).splitlines()[0]}]
            ) from None
        return dict(zip(self._outputs, results, strict=True))


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


class OnnxFormat:
    """``model.onnx`` + ONNX Runtime."""

    name: Format = "onnx"
    model_file = "model.onnx"
    requirements: tuple[str, ...] = ("onnxruntime", "onnx")
    pins_requirements = False

    def accepts(self, model: Any) -> bool:
        """scikit-learn estimators and ONNX models."""
        return is_estimator(model) or _is_onnx_source(model)

    def prepare(self, model: Any, sample: Any) -> Prepared:
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

    def save(self, artifact: onnx.ModelProto, path: Path) -> None:
        """Serialize the graph (weights inline)."""
        path.write_bytes(artifact.SerializeToString())

    def open(self, path: Path, signature: Signature, **options: Any) -> OnnxSession:
        """An ONNX Runtime session; options: threads and execution providers."""
        parsed = parse_options(self.name, OnnxOptions, options)
        session_options = ort.SessionOptions()
        if parsed.intra_op_num_threads is not None:
            session_options.intra_op_num_threads = parsed.intra_op_num_threads
        if parsed.inter_op_num_threads is not None:
            session_options.inter_op_num_threads = parsed.inter_op_num_threads
        providers = parsed.providers or ort.get_available_providers()
        try:
            session = ort.InferenceSession(str(path), session_options, providers=providers)
        except (
            ort_errors.Fail,
            ort_errors.InvalidGraph,
            ort_errors.InvalidProtobuf,
            ort_errors.NotImplemented,
        ) as error:
            # ONNX Runtime quotes the file's full path, a server path that must not reach an
            # error answer: the file's name says enough.
            reason = str(error).splitlines()[0].replace(str(path), path.name)
            raise UnsupportedModelError(f"ONNX Runtime cannot load {path.name}: {reason}") from None
        return OnnxSession(session)


def _extra(proto: onnx.ModelProto, model: Any) -> dict[str, Any]:
    opsets = {entry.domain or "ai.onnx": entry.version for entry in proto.opset_import}
    extra: dict[str, Any] = {"onnx_opsets": opsets}
    if model is not None:
        extra["estimator"] = f"{type(model).__module__}.{type(model).__qualname__}"
    return extra
