"""scikit-learn → ONNX with skl2onnx, shaped to the package's signature conventions.

Precision: classifiers are converted in float32, skl2onnx's default, which every ai.onnx.ml
classifier kernel of ONNX Runtime implements; probabilities live in [0, 1], so float32
rounding (about 1e-7) stays far inside the default parity tolerance of 1e-5. Regressors are
converted in float64 when ONNX Runtime implements every node of the double graph (linear
models, scalers, encoders) and fall back to float32 otherwise (tree ensembles: skl2onnx 1.20
emits double trees that ONNX Runtime 1.31 rejects): outputs are unbounded, and double keeps
their error near 1e-12 where it is possible. In float32 a tree fed by a float transform (a
scaler) can take the other branch when a value rounds across a threshold; the parity proof
catches that, and ``format='sklearn'`` is then the way to ship the model.

ZipMap is always disabled, so classifiers return a plain probability matrix. Inputs are one
float tensor ``input`` for all-numeric data, or one ``[None, 1]`` tensor per column (named
exactly after the column) for mixed types and ColumnTransformers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import (
    DataType,
    DoubleTensorType,
    FloatTensorType,
    StringTensorType,
)
from sklearn.base import is_classifier

from modelyard.core.errors import UnsupportedModelError
from modelyard.package.estimators import feeds_per_column, final_step, task_of
from modelyard.package.manifest import DType, Signature, TensorSpec
from modelyard.package.signature import (
    build_signature,
    class_list,
    column_inputs,
    columns_of,
    stacked_input,
    tensor_specs,
    to_feeds,
)

_SKL2ONNX_TYPES: dict[DType, type[DataType]] = {
    "float32": FloatTensorType,
    "float64": DoubleTensorType,
    "string": StringTensorType,
}

# What ONNX Runtime raises when it has no kernel for a node in the requested precision.
_RUNTIME_REFUSALS = (
    ort_errors.Fail,
    ort_errors.NotImplemented,
    ort_errors.InvalidGraph,
    ort_errors.InvalidArgument,
    ort_errors.RuntimeException,
)


def _initial_types(inputs: list[TensorSpec]) -> list[tuple[str, DataType]]:
    return [(spec.name, _SKL2ONNX_TYPES[spec.dtype](spec.shape)) for spec in inputs]


def _restore_input_names(proto: onnx.ModelProto, names: list[str]) -> None:
    """Give graph inputs back their column names (skl2onnx replaces spaces and dots)."""
    taken = {out for node in proto.graph.node for out in node.output}
    taken |= {init.name for init in proto.graph.initializer}
    for value, name in zip(proto.graph.input, names, strict=True):
        if value.name == name:
            continue
        if name in taken:
            raise UnsupportedModelError(
                f"column {name!r} clashes with a tensor of the converted graph: expected "
                "column names that skl2onnx does not use internally"
            )
        old = value.name
        value.name = name
        for node in proto.graph.node:
            node.input[:] = [name if item == old else item for item in node.input]


def _convert(model: Any, inputs: list[TensorSpec]) -> onnx.ModelProto:
    options = {id(final_step(model)): {"zipmap": False}} if is_classifier(model) else {}
    try:
        # A fixed graph name (skl2onnx draws a random one): the same model converts to the
        # same bytes, so identical models get identical digests.
        proto = convert_sklearn(
            model, name=type(model).__name__, initial_types=_initial_types(inputs), options=options
        )
    except (RuntimeError, NameError, TypeError, ValueError) as error:
        raise UnsupportedModelError(
            f"skl2onnx cannot convert {type(model).__name__}: {str(error).splitlines()[0]}; "
            "expected a model skl2onnx supports (or use format='sklearn')"
        ) from None
    _restore_input_names(proto, [spec.name for spec in inputs])
    return proto


def _runs(proto: onnx.ModelProto, signature: Signature, sample: Any) -> bool:
    """Whether ONNX Runtime loads the graph and runs it on the sample."""
    try:
        session = ort.InferenceSession(
            proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        session.run(None, to_feeds(signature, sample))
    except _RUNTIME_REFUSALS:
        return False
    return True


def _inputs(model: Any, sample: Any, dtype: DType) -> list[TensorSpec]:
    columns = columns_of(sample)
    if feeds_per_column(model, columns):
        return column_inputs(columns, dtype)
    return stacked_input(np.shape(sample)[1], dtype)


def _converted(model: Any, sample: Any, dtype: DType) -> tuple[onnx.ModelProto, Signature]:
    proto = _convert(model, _inputs(model, sample, dtype))
    task = task_of(model)
    signature = build_signature(
        tensor_specs(proto.graph.input),
        tensor_specs(proto.graph.output),
        columns_of(sample),
        task,
        class_list(model.classes_) if task == "classification" else None,
        has_probabilities=hasattr(model, "predict_proba"),
    )
    return proto, signature


def sklearn_to_onnx(
    model: Any, sample: pd.DataFrame | np.ndarray
) -> tuple[onnx.ModelProto, Signature]:
    """Convert a fitted estimator and infer its signature from the graph and the sample."""
    if task_of(model) == "regression":
        try:
            proto, signature = _converted(model, sample, "float64")
        except UnsupportedModelError:
            pass
        else:
            if _runs(proto, signature, sample):
                return proto, signature
    return _converted(model, sample, "float32")
