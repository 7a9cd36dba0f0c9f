"""The ``tensor`` encoder: named arrays as in the Open Inference Protocol (V2) request.

``{"inputs": [{"name", "shape", "datatype", "data"}]}`` where ``data`` is row-major (flat or
nested). Every input of the signature must come, with its rank and fixed dimensions; numeric
datatypes are cast to the signature's dtype. Triton, KServe and MLServer clients send this.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import TensorSpec
from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.dtypes import NUMPY, OIP, OIP_NUMPY
from modelyard.pipeline.encoders.payload import Problem, json_type, pointer, problem
from modelyard.pipeline.types import Arrays, Batch, Context

if TYPE_CHECKING:
    import pandas as pd


class TensorArgs(ComponentArgs):
    """The tensor encoder takes no arguments: the signature says it all."""


def _shape_text(shape: list[int | None]) -> str:
    return "[" + ", ".join("*" if dim is None else str(dim) for dim in shape) + "]"


class TensorEncoder:
    """Checks Open Inference Protocol inputs against the signature's tensors."""

    def __init__(self, args: TensorArgs, context: Context) -> None:
        self._inputs = {spec.name: spec for spec in context.signature.inputs}

    def encode(self, payload: Any) -> Batch:
        """Arrays by input name; the row count is the shared first dimension."""
        if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), list):
            got = json_type(payload.get("inputs") if isinstance(payload, dict) else payload)
            raise PayloadError([problem(pointer("inputs"), "array of named tensors", got)])
        problems: list[Problem] = []
        feeds: Arrays = {}
        seen: set[str] = set()
        for i, item in enumerate(payload["inputs"]):
            name = item.get("name") if isinstance(item, dict) else None
            spec = self._inputs.get(name) if isinstance(name, str) else None
            if spec is None:
                known = ", ".join(self._inputs)
                got = repr(name) if isinstance(name, str) else json_type(name)
                problems.append(problem(pointer("inputs", i, "name"), f"one of: {known}", got))
                continue
            seen.add(spec.name)
            array = self._array(item, spec, pointer("inputs", i), problems)
            if array is not None:
                feeds[spec.name] = array
        problems.extend(
            problem(pointer("inputs"), f"tensor {name!r}", "missing")
            for name in self._inputs
            if name not in seen
        )
        rows = {array.shape[0] for array in feeds.values()}
        if len(rows) > 1:
            problems.append(problem(pointer("inputs"), "the same first dimension", str(rows)))
        if problems:
            raise PayloadError(problems)
        return Batch(feeds, rows.pop())

    def encode_frame(self, frame: pd.DataFrame) -> Batch:
        """One input per column of the same name, each cell holding one row's tensor."""
        missing = [name for name in self._inputs if name not in frame.columns]
        if missing:
            raise PayloadError(
                [problem(pointer(name), "column of tensors", "missing column") for name in missing]
            )
        feeds = {
            name: np.stack(list(frame[name])).astype(NUMPY[spec.dtype])
            for name, spec in self._inputs.items()
        }
        return Batch(feeds, len(frame))

    def _array(
        self, item: dict[str, Any], spec: TensorSpec, where: str, problems: list[Problem]
    ) -> np.ndarray | None:
        shape, datatype, data = item.get("shape"), item.get("datatype"), item.get("data")
        expected_shape = _shape_text(spec.shape)
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            problems.append(problem(f"{where}/shape", expected_shape, json_type(shape)))
            return None
        fits = len(shape) == len(spec.shape) and all(
            want is None or want == got for want, got in zip(spec.shape, shape, strict=True)
        )
        if not fits:
            problems.append(problem(f"{where}/shape", expected_shape, _shape_text(shape)))
            return None
        numeric = spec.dtype != "string"
        if datatype not in OIP_NUMPY or (datatype == "BYTES") == numeric:
            got = datatype if isinstance(datatype, str) else json_type(datatype)
            problems.append(problem(f"{where}/datatype", OIP[spec.dtype], got))
            return None
        try:
            array = np.asarray(data, dtype=OIP_NUMPY[datatype])
        except (ValueError, TypeError):
            problems.append(problem(f"{where}/data", f"{datatype} values", json_type(data)))
            return None
        if array.size != math.prod(shape):
            got = f"{array.size} values"
            problems.append(problem(f"{where}/data", f"{math.prod(shape)} values", got))
            return None
        return array.reshape(shape).astype(NUMPY[spec.dtype], copy=False)
