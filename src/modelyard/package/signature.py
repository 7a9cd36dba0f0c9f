"""Signatures: what a model takes and returns, and how user data becomes its input tensors.

The signature is inferred once, when a package is built, and then used everywhere data enters
a model: the loader's ``predict``, the pipeline's tabular encoder and the builder's own parity
and metric runs all go through :func:`to_feeds`, so a request is shaped exactly one way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import pandas as pd

from modelyard.core.errors import PayloadError, UnsupportedModelError
from modelyard.core.hashing import as_frame
from modelyard.package.manifest import ColumnSpec, DType, Signature, Task, TensorSpec

_ONNX_DTYPES: dict[int, DType] = {
    onnx.TensorProto.FLOAT: "float32",
    onnx.TensorProto.DOUBLE: "float64",
    onnx.TensorProto.INT32: "int32",
    onnx.TensorProto.INT64: "int64",
    onnx.TensorProto.BOOL: "bool",
    onnx.TensorProto.STRING: "string",
    onnx.TensorProto.UINT8: "uint8",
}
_NUMPY_DTYPES: dict[DType, Any] = {
    "float32": np.float32,
    "float64": np.float64,
    "int32": np.int32,
    "int64": np.int64,
    "bool": np.bool_,
    "string": object,
    "uint8": np.uint8,
}
_LABEL_DTYPES = {"int64", "int32", "string"}


def numpy_dtype(dtype: DType) -> Any:
    """The numpy dtype a tensor of ``dtype`` is fed as (strings are object arrays)."""
    return _NUMPY_DTYPES[dtype]


def dtype_of(dtype: Any) -> DType:
    """The signature dtype for a numpy/pandas dtype; strings and categories are ``string``."""
    if isinstance(dtype, pd.CategoricalDtype):
        return dtype_of(dtype.categories.dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_float_dtype(dtype):
        return "float32" if np.dtype(dtype).itemsize <= 4 else "float64"
    if pd.api.types.is_integer_dtype(dtype):
        kind = np.dtype(dtype)
        if kind == np.uint8:
            return "uint8"
        return "int32" if kind == np.int32 else "int64"
    return "string"


def columns_of(data: Any) -> list[ColumnSpec]:
    """The tabular columns of a DataFrame sample, in order; arrays have no named columns."""
    if not isinstance(data, pd.DataFrame):
        return []
    return [
        ColumnSpec(
            name=str(name),
            dtype=dtype_of(dtype),
            categorical=isinstance(dtype, pd.CategoricalDtype) or dtype_of(dtype) == "string",
        )
        for name, dtype in data.dtypes.items()
    ]


def with_array_columns(signature: Signature, sample: Any) -> Signature:
    """The signature of a model fed a 2-D array, its columns named ``x0, x1, …``.

    A model trained on arrays has no column names, but its one ``[n, width]`` numeric input is
    a table all the same: naming its columns lets the tabular encoder take rows (and records),
    and the profile and evaluation data use the same names (see :func:`~modelyard.core.hashing.
    as_frame`). Signatures with columns, several inputs or other ranks are returned unchanged.
    """
    if signature.columns or isinstance(sample, pd.DataFrame) or len(signature.inputs) != 1:
        return signature
    spec = signature.inputs[0]
    if len(spec.shape) != 2 or spec.dtype == "string" or np.ndim(sample) != 2:
        return signature
    frame = as_frame(sample)
    if spec.shape[1] not in (None, frame.shape[1]):
        return signature
    return signature.model_copy(update={"columns": columns_of(frame)})


def is_numeric(column: ColumnSpec) -> bool:
    """Whether a column can be stacked into one float tensor with the others."""
    return column.dtype != "string"


def stacked_input(width: int, dtype: DType) -> list[TensorSpec]:
    """One ``input`` tensor of shape ``[None, width]`` holding every feature, in order."""
    return [TensorSpec(name="input", dtype=dtype, shape=[None, width])]


def column_inputs(columns: list[ColumnSpec], float_dtype: DType) -> list[TensorSpec]:
    """One ``[None, 1]`` tensor per column, named after it.

    Numbers (integers and booleans too) are fed as ``float_dtype``, strings as strings.
    """
    return [
        TensorSpec(
            name=column.name,
            dtype=float_dtype if is_numeric(column) else "string",
            shape=[None, 1],
        )
        for column in columns
    ]


def tensor_specs(values: Sequence[onnx.ValueInfoProto]) -> list[TensorSpec]:
    """Translate ONNX graph inputs or outputs; non-tensor values (ZipMap maps) are refused."""
    specs = []
    for value in values:
        kind = value.type.WhichOneof("value")
        if kind != "tensor_type" or value.type.tensor_type.elem_type not in _ONNX_DTYPES:
            raise UnsupportedModelError(
                f"ONNX value {value.name!r} is a {kind} of unsupported type: expected plain "
                "tensors (convert classifiers with options={'zipmap': False})"
            )
        tensor = value.type.tensor_type
        shape: list[int | None] = [
            dim.dim_value if dim.HasField("dim_value") else None for dim in tensor.shape.dim
        ]
        specs.append(TensorSpec(name=value.name, dtype=_ONNX_DTYPES[tensor.elem_type], shape=shape))
    return specs


def build_signature(
    inputs: list[TensorSpec],
    outputs: list[TensorSpec],
    columns: list[ColumnSpec],
    task: Task,
    classes: list[str | int] | None = None,
    *,
    has_probabilities: bool = True,
) -> Signature:
    """A signature whose output roles are found by dtype.

    A classifier's label output is its first integer/string output and its probability output
    its first float one; a regressor's value output is its first float output. skl2onnx,
    the sklearn format and hand-written ONNX classifiers all follow that shape.
    """
    floats = [out.name for out in outputs if out.dtype in ("float32", "float64")]
    labels = [out.name for out in outputs if out.dtype in _LABEL_DTYPES]
    signature = Signature(
        inputs=inputs, outputs=outputs, columns=columns, task=task, classes=classes
    )
    if task == "classification":
        signature.label_output = labels[0] if labels else None
        signature.probability_output = floats[0] if floats and has_probabilities else None
    elif task == "regression":
        signature.value_output = floats[0] if floats else None
    return signature


def class_list(classes: Any) -> list[str | int]:
    """Class labels as JSON-safe values: integers stay integers, everything else is text."""
    return [
        int(value)
        if isinstance(value, int | np.integer) and not isinstance(value, bool)
        else str(value)
        for value in np.asarray(classes).tolist()
    ]


def _payload_error(pointer: str, expected: str, got: str) -> PayloadError:
    return PayloadError([{"pointer": pointer, "expected": expected, "got": got}])


def _missing_columns(names: list[str], frame: pd.DataFrame) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise PayloadError(
            [{"pointer": f"/{name}", "expected": "a column", "got": "nothing"} for name in missing]
        )


def _frame(signature: Signature, data: Any) -> pd.DataFrame:
    """``data`` as a DataFrame holding exactly the signature's columns, in order."""
    names = [column.name for column in signature.columns]
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Sequence) and data and isinstance(data[0], Mapping):
        frame = pd.DataFrame.from_records(list(data))
    else:
        array = np.asarray(data, dtype=object)
        if array.ndim != 2 or array.shape[1] != len(names):
            raise _payload_error(
                "", f"rows of {len(names)} values", f"an array of shape {list(array.shape)}"
            )
        frame = pd.DataFrame(array, columns=names)
    _missing_columns(names, frame)
    return frame[names]


def _coerce(values: Any, dtype: DType, pointer: str) -> np.ndarray:
    """Cast one column or block to a tensor dtype, naming the column when it cannot be."""
    array = np.asarray(values)
    if dtype == "string":
        return array.astype(str).astype(object)
    try:
        return array.astype(numpy_dtype(dtype))
    except (TypeError, ValueError):
        got = sorted({type(v).__name__ for v in array.astype(object).ravel()})
        raise _payload_error(pointer, dtype, " or ".join(got)) from None


def to_feeds(signature: Signature, data: Any) -> dict[str, np.ndarray]:
    """Runner feeds from a DataFrame, a 2-D array or a list of rows (lists or dicts).

    With one input tensor the columns are stacked into it in signature order; with several,
    each column feeds the ``[n, 1]`` input of its own name. Values are cast to the input's
    dtype; a missing column or an uncastable value raises :class:`PayloadError` naming it.
    A signature without columns (an ONNX file logged as is) takes an array for its one input.
    """
    if not signature.columns:
        if len(signature.inputs) != 1:
            names = ", ".join(spec.name for spec in signature.inputs)
            raise _payload_error("", f"a mapping of arrays for inputs {names}", "one array")
        spec = signature.inputs[0]
        return {spec.name: _coerce(data, spec.dtype, "")}
    frame = _frame(signature, data)
    if len(signature.inputs) == 1:
        spec = signature.inputs[0]
        return {spec.name: _coerce(frame.to_numpy(), spec.dtype, "")}
    _missing_columns([spec.name for spec in signature.inputs], frame)
    return {
        spec.name: _coerce(frame[[spec.name]].to_numpy(), spec.dtype, f"/{spec.name}")
        for spec in signature.inputs
    }


def from_feeds(signature: Signature, feeds: Mapping[str, np.ndarray], *, named: bool = True) -> Any:
    """The tabular data a native model was fitted on, rebuilt from runner feeds.

    The inverse of :func:`to_feeds`: columns get their recorded names and dtypes back, so a
    pickled estimator sees what it saw at fit time. Without columns, or for a model fitted on
    an array (``named=False``), the single input is returned as is.
    """
    if not signature.columns or (not named and len(signature.inputs) == 1):
        return feeds[signature.inputs[0].name]
    names = [column.name for column in signature.columns]
    if len(signature.inputs) == 1:
        frame = pd.DataFrame(feeds[signature.inputs[0].name], columns=names)
    else:
        frame = pd.DataFrame({name: np.asarray(feeds[name]).reshape(-1) for name in names})
    dtypes = {c.name: numpy_dtype(c.dtype) for c in signature.columns if c.dtype != "string"}
    return frame.astype(dtypes)
