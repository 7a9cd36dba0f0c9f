"""Signature dtypes as numpy, the Open Inference Protocol and JSON users know them."""

from __future__ import annotations

from typing import Any

import numpy as np

from modelyard.core.errors import ConfigError

NUMPY: dict[str, np.dtype[Any]] = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "int32": np.dtype(np.int32),
    "int64": np.dtype(np.int64),
    "uint8": np.dtype(np.uint8),
    "bool": np.dtype(np.bool_),
    "string": np.dtype(object),
}
"""numpy dtype of each signature dtype (strings travel as object arrays of ``str``)."""

OIP = {
    "float32": "FP32",
    "float64": "FP64",
    "int32": "INT32",
    "int64": "INT64",
    "uint8": "UINT8",
    "bool": "BOOL",
    "string": "BYTES",
}
"""Open Inference Protocol datatype of each signature dtype."""

OIP_NUMPY: dict[str, np.dtype[Any]] = {
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "BOOL": np.dtype(np.bool_),
    "BYTES": np.dtype(object),
}
"""numpy dtype of every Open Inference Protocol datatype."""

OIP_FLOATS = frozenset({"FP16", "FP32", "FP64"})
OIP_INTEGERS = frozenset({"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"})

OIP_ARRAY_CODE = {
    "INT8": "b",
    "INT16": "h",
    "INT32": "i",
    "INT64": "q",
    "UINT8": "B",
    "UINT16": "H",
    "UINT32": "I",
    "UINT64": "Q",
}
"""``array.array`` type code of each integer datatype: building the array checks each JSON value
is an integer within the datatype's range, in one C pass."""


def oip_accepts(dtype: str, datatype: str) -> bool:
    """Whether a tensor declared as ``datatype`` may feed an input of signature ``dtype``.

    JSON numbers carry no width, so any number feeds a float input and any integer datatype an
    integer input (values are range-checked); booleans and strings only feed their own kind.
    """
    if dtype == "string":
        return datatype == "BYTES"
    if dtype == "bool":
        return datatype == "BOOL"
    if dtype.startswith("float"):
        return datatype in OIP_FLOATS or datatype in OIP_INTEGERS
    return datatype in OIP_INTEGERS


JSON_EXPECTED = {
    "float32": "number",
    "float64": "number",
    "int32": "integer",
    "int64": "integer",
    "uint8": "integer 0..255",
    "bool": "boolean",
    "string": "string",
}
"""How a JSON client should write a value of each signature dtype."""


def oip_datatype(array: np.ndarray) -> str:
    """The Open Inference Protocol datatype of a numpy array."""
    if array.dtype.kind in "OUS":
        return "BYTES"
    for name, dtype in OIP_NUMPY.items():
        if dtype == array.dtype:
            return name
    raise ConfigError(f"no Open Inference Protocol datatype for numpy {array.dtype}")
