"""The ``onnx`` format: a ``model.onnx`` run by ONNX Runtime — the production default.

It accepts scikit-learn estimators (converted with skl2onnx, see :mod:`..convert`) and ONNX
models given as a ``ModelProto`` or a path to a ``.onnx`` file. For a file logged as is, the
task and classes are read from its ai.onnx.ml classifier/regressor node when it has one.
Opening needs ONNX Runtime only; accepting, preparing and converting live in
:mod:`.onnx_prepare`, imported when a package is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
from pydantic import BaseModel, ConfigDict

from modelyard.core.errors import PayloadError, UnsupportedModelError
from modelyard.core.extras import missing_extra
from modelyard.package.formats.base import Prepared, parse_options
from modelyard.package.manifest import Format, Signature

if TYPE_CHECKING:
    import onnx


def _preparation() -> ModuleType:
    """The packaging half, which needs the ``train`` extra; serving never imports it."""
    try:
        return import_module("modelyard.package.formats.onnx_prepare")
    except ImportError as error:
        raise missing_extra(error, "packaging a model as onnx") from None


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


class OnnxFormat:
    """``model.onnx`` + ONNX Runtime."""

    name: Format = "onnx"
    model_file = "model.onnx"
    requirements: tuple[str, ...] = ("onnxruntime", "onnx")
    pins_requirements = False

    def accepts(self, model: Any) -> bool:
        """scikit-learn estimators and ONNX models."""
        return _preparation().accepts(model)

    def prepare(self, model: Any, sample: Any) -> Prepared:
        """Convert an estimator (see :mod:`..convert`) or read an ONNX model's signature."""
        return _preparation().prepare(model, sample)

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
