"""Python values as request bodies, and the V2 answer's tensors back as numpy arrays.

pandas is never imported here: a DataFrame is recognised only when pandas is already loaded
(no DataFrame can exist otherwise), so the client works, and starts fast, without it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_FORMS = (
    "records (a list of dicts), rows (a list of lists), a pandas DataFrame or a 2-D numpy array"
)
# Open Inference Protocol datatype prefixes and the numpy kinds they name, with the bits.
_KINDS = {"FP": "f", "INT": "i", "UINT": "u"}
_PREFIXES = {kind: prefix for prefix, kind in _KINDS.items()}


def _plain(value: Any) -> Any:
    """What orjson does not write itself: arrays it cannot (strings, objects, strided) and
    numpy scalars."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(document: Any) -> bytes:
    """``document`` as JSON; NaN becomes ``null`` (what a missing value is in JSON)."""
    return orjson.dumps(document, default=_plain, option=_OPTIONS)


def instances(given: Any) -> bytes:
    """``{"instances": [...]}`` for the native predict route, from any of the accepted forms.

    Rows are in signature order; records are matched by field name (a DataFrame's columns).
    """
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(given, pandas.DataFrame):
        return dumps({"instances": given.to_dict(orient="records")})
    if isinstance(given, np.ndarray):
        if given.ndim != 2:
            raise ValueError(
                f"a numpy array of instances must be 2-D (one row per instance), not "
                f"{given.ndim}-D; reshape one instance with array.reshape(1, -1)"
            )
        return dumps({"instances": given})
    if isinstance(given, list) and all(isinstance(item, dict | list | tuple) for item in given):
        return dumps({"instances": given})
    raise TypeError(f"instances must be {_FORMS}, not {type(given).__name__}")


def image(path_or_bytes: str | os.PathLike[str] | bytes) -> bytes:
    """The image's bytes, read from a file when given its path."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return bytes(path_or_bytes)
    return Path(path_or_bytes).read_bytes()


def datatype(dtype: np.dtype[Any]) -> str:
    """The Open Inference Protocol datatype of a numpy dtype (``float32`` is ``FP32``)."""
    if dtype.kind == "b":
        return "BOOL"
    if dtype.kind in "OUS":
        return "BYTES"
    if dtype.kind in _PREFIXES:
        return f"{_PREFIXES[dtype.kind]}{dtype.itemsize * 8}"
    raise TypeError(f"numpy dtype {dtype} has no Open Inference Protocol datatype")


def numpy_dtype(name: str) -> np.dtype[Any]:
    """The numpy dtype of an Open Inference Protocol datatype (``FP32`` is ``float32``)."""
    if name == "BOOL":
        return np.dtype(np.bool_)
    if name == "BYTES":
        return np.dtype(object)
    bits = name.lstrip("FPUINT")
    return np.dtype(f"{_KINDS[name[: len(name) - len(bits)]]}{int(bits) // 8}")


def tensor(name: str, value: Any) -> dict[str, Any]:
    """One V2 input tensor from an array (or anything ``numpy.asarray`` takes)."""
    array = np.asarray(value)
    return {
        "name": name,
        "shape": list(array.shape),
        "datatype": datatype(array.dtype),
        "data": array.ravel(),
    }


def inference_request(inputs: Any, outputs: list[str] | None) -> bytes:
    """A V2 inference request from ``{name: array}`` or a list of V2 input documents."""
    if isinstance(inputs, Mapping):
        tensors = [tensor(str(name), value) for name, value in inputs.items()]
    elif isinstance(inputs, list) and all(isinstance(item, dict) for item in inputs):
        tensors = inputs
    else:
        raise TypeError(
            "inputs must be a dict of input name to array, or a list of V2 input dicts "
            f'({{"name", "shape", "datatype", "data"}}), not {type(inputs).__name__}'
        )
    document: dict[str, Any] = {"inputs": tensors}
    if outputs is not None:
        document["outputs"] = [{"name": name} for name in outputs]
    return dumps(document)


def output_array(item: Mapping[str, Any]) -> np.ndarray:
    """One V2 output document as an array of its datatype and shape."""
    array = np.asarray(item["data"], dtype=numpy_dtype(item["datatype"]))
    return array.reshape(item["shape"])
