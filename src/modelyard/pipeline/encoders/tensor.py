"""The ``tensor`` encoder: named arrays as in the Open Inference Protocol (V2) request.

``{"inputs": [{"name", "shape", "datatype", "data"}]}`` where ``data`` is row-major, flat or
nested as the shape says. Every input of the signature must come once, with its rank and fixed
dimensions. Values are read strictly by their declared datatype (an ``INT64`` tensor holds JSON
integers within INT64's range, a ``BYTES`` tensor strings, a ``BOOL`` tensor booleans) and then
cast to the signature's dtype only where no value changes kind: any number into a float input,
in-range integers into an integer input. A float input refuses non-finite values (JSON
``null``, NaN, infinities, numbers beyond float32) unless the training profile saw missing
values for that feature: then ``null`` and NaN reach the model as NaN. Triton, KServe and
MLServer clients send this.
"""

from __future__ import annotations

import array
import math
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import Signature, TensorSpec
from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.dtypes import (
    NUMPY,
    OIP,
    OIP_ARRAY_CODE,
    OIP_FLOATS,
    OIP_NUMPY,
    oip_accepts,
)
from modelyard.pipeline.encoders.payload import Problem, json_type, pointer, problem
from modelyard.pipeline.types import Arrays, Batch, Context

if TYPE_CHECKING:
    import pandas as pd

_NUMBERS = frozenset({int, float})
_NUMBERS_OR_NULL = frozenset({int, float, type(None)})
_INTEGERS = frozenset({int})
_OTHERS = {"BOOL": (frozenset({bool}), "booleans"), "BYTES": (frozenset({str, bytes}), "strings")}


class TensorArgs(ComponentArgs):
    """The tensor encoder takes no arguments: the signature says it all."""


class _Misfit(Exception):
    """One value or part of a tensor that does not fit; becomes a :data:`Problem`."""

    def __init__(self, where: str, expected: str, got: str) -> None:
        super().__init__(where)
        self.problem = problem(where, expected, got)


def _shape_text(shape: list[int | None]) -> str:
    return "[" + ", ".join("*" if dim is None else str(dim) for dim in shape) + "]"


def _missing_allowed(signature: Signature) -> dict[str, np.ndarray]:
    """For each float input with a feature that may be missing: where NaN is allowed.

    A feature may be missing where the signature marks its column ``missing`` (the training
    data had missing values there), the rule the native route's encoder follows too. The mask
    broadcasts over the input: one flag per column for the single input that stacks every
    column, one flag for an input named after its column.
    """
    missing = {column.name for column in signature.columns if column.missing}
    floats = [spec for spec in signature.inputs if spec.dtype.startswith("float")]
    columns = [column.name for column in signature.columns]
    masks: dict[str, np.ndarray] = {}
    if len(signature.inputs) == 1 and floats and columns and floats[0].shape[-1] == len(columns):
        masks[floats[0].name] = np.array([name in missing for name in columns])
    else:
        masks = {spec.name: np.array(True) for spec in floats if spec.name in missing}
    return {name: mask for name, mask in masks.items() if mask.any()}


def _flat(data: Any, shape: list[int], where: str) -> tuple[list[Any], bool]:
    """``data`` as one flat list, and whether it came nested; nesting must follow ``shape``."""
    if type(data) is not list:
        raise _Misfit(where, "array of values, flat or nested as the shape", json_type(data))
    if not data or type(data[0]) is not list:
        return data, False
    level: list[Any] = data
    nested = len(data) == shape[0]
    for size in shape[1:]:
        if not nested:
            break
        nested = all(type(item) is list and len(item) == size for item in level)
        level = list(chain.from_iterable(level)) if nested else level
    if not nested:
        expected = f"values flat or nested as the shape {_shape_text(list(shape))}"
        raise _Misfit(where, expected, "arrays nested otherwise")
    return level, True


def _value_pointer(where: str, index: int, shape: list[int], nested: bool) -> str:
    """The pointer to the ``index``-th value, through the nesting when the data was nested."""
    if not nested:
        return f"{where}/{index}"
    return where + "".join(f"/{i}" for i in np.unravel_index(index, shape))


class TensorEncoder:
    """Checks Open Inference Protocol inputs against the signature's tensors."""

    def __init__(self, args: TensorArgs, context: Context) -> None:
        self._inputs = {spec.name: spec for spec in context.signature.inputs}
        self._known = ", ".join(self._inputs)
        self._missing_ok = _missing_allowed(context.signature)

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
            where = f"/inputs/{i}"
            if spec is None or spec.name in seen:
                got = "a name given twice" if spec is not None else _unknown(name)
                problems.append(problem(f"{where}/name", f"one of: {self._known}", got))
                continue
            seen.add(spec.name)
            try:
                feeds[spec.name] = self._array(item, spec, where)
            except _Misfit as misfit:
                problems.append(misfit.problem)
        problems.extend(
            problem(pointer("inputs"), f"tensor {name!r}", "missing")
            for name in self._inputs
            if name not in seen
        )
        rows = {array.shape[0] for array in feeds.values()}
        if len(rows) > 1:
            got = "first dimensions " + ", ".join(map(str, sorted(rows)))
            problems.append(problem(pointer("inputs"), "the same first dimension", got))
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

    def _array(self, item: dict[str, Any], spec: TensorSpec, where: str) -> np.ndarray:
        shape = _shape(item.get("shape"), spec, f"{where}/shape")
        datatype = item.get("datatype")
        if not (isinstance(datatype, str) and oip_accepts(spec.dtype, datatype)):
            known = isinstance(datatype, str) and datatype in OIP_NUMPY
            got = str(datatype) if known else _unknown(datatype, "datatype")
            raise _Misfit(f"{where}/datatype", OIP[spec.dtype], got)
        data, count = item.get("data"), math.prod(shape)
        if isinstance(data, np.ndarray):  # binary tensor data, already of the declared type
            if data.size != count:
                raise _Misfit(f"{where}/data", f"{count} values", f"{data.size} values")
            values = data
            nested = False
        else:
            flat, nested = _flat(data, shape, f"{where}/data")
            if len(flat) != count:
                raise _Misfit(f"{where}/data", f"{count} values", f"{len(flat)} values")
            values = self._read(flat, datatype, spec, shape, nested, f"{where}/data")
        return self._cast(values.reshape(shape), spec, f"{where}/data", nested)

    def _read(
        self, flat: list[Any], datatype: str, spec: TensorSpec, shape: list[int], nested: bool,
        where: str,
    ) -> np.ndarray:  # fmt: skip
        """JSON values as an array of the declared datatype (floats: of the input's dtype)."""
        kinds = set(map(type, flat))
        if datatype in OIP_FLOATS:
            allowed = _NUMBERS_OR_NULL if spec.name in self._missing_ok else _NUMBERS
            expected = "numbers"
        elif datatype in OIP_ARRAY_CODE:
            allowed, expected = _INTEGERS, f"integers in the {datatype} range"
        else:
            allowed, expected = _OTHERS[datatype]
        if not kinds <= allowed:
            index = next(i for i, value in enumerate(flat) if type(value) not in allowed)
            got = json_type(flat[index])
            raise _Misfit(_value_pointer(where, index, shape, nested), expected, got)
        if datatype in OIP_FLOATS:
            if type(None) in kinds:
                flat = [math.nan if value is None else value for value in flat]
            code = "f" if spec.dtype == "float32" else "d"  # beyond float32: inf, refused later
            try:
                return np.frombuffer(array.array(code, flat), NUMPY[spec.dtype])
            except OverflowError:  # an int beyond any float (not from JSON: orjson caps them)
                raise _Misfit(where, "finite numbers", "an integer beyond float64") from None
        if datatype in OIP_ARRAY_CODE:
            try:
                typed = array.array(OIP_ARRAY_CODE[datatype], flat)
            except OverflowError:
                raise _Misfit(where, expected, f"an integer beyond the {datatype} range") from None
            return np.frombuffer(typed, OIP_NUMPY[datatype])
        if bytes in kinds:  # binary BYTES: UTF-8 text, as the JSON form carries it
            try:
                flat = [value.decode() for value in flat]
            except UnicodeDecodeError:
                raise _Misfit(where, "UTF-8 strings", "bytes that are not UTF-8") from None
        return np.array(flat, dtype=object if datatype == "BYTES" else np.bool_)

    def _cast(self, values: np.ndarray, spec: TensorSpec, where: str, nested: bool) -> np.ndarray:
        """``values`` as the input's dtype, refusing what would change on the way."""
        target = NUMPY[spec.dtype]
        if values.dtype != target:
            if target.kind in "iu" and not np.can_cast(values.dtype, target):
                info = np.iinfo(target)
                if values.size and (values.min() < info.min or values.max() > info.max):
                    expected = f"integers in the {OIP[spec.dtype]} range"
                    raise _Misfit(where, expected, "integers outside that range")
            with np.errstate(over="ignore"):  # beyond float32 becomes inf, refused below
                values = values.astype(target)
        if target.kind == "f" and not np.isfinite(values).all():
            self._refuse_non_finite(values, spec, where, nested)
        return values

    def _refuse_non_finite(
        self, values: np.ndarray, spec: TensorSpec, where: str, nested: bool
    ) -> None:
        """Raise for the first value that is not finite and may not be missing, if any."""
        bad = np.isinf(values)
        nan = np.isnan(values)
        allowed = self._missing_ok.get(spec.name)
        bad |= nan if allowed is None else nan & ~allowed
        if not bad.any():
            return
        index = int(np.flatnonzero(bad)[0])
        shape = list(values.shape)
        if nan.flat[index]:
            got = "null or NaN, and the training data had no missing values here"
        else:
            got = f"an infinity or a number beyond {spec.dtype}"
        raise _Misfit(_value_pointer(where, index, shape, nested), "finite numbers", got)


def _unknown(value: Any, what: str = "name") -> str:
    """What a client sent where a known name belongs, without repeating it."""
    return f"an unknown {what}" if isinstance(value, str) else json_type(value)


def _shape(shape: Any, spec: TensorSpec, where: str) -> list[int]:
    """The request's shape if it has the spec's rank, fixed dimensions and at least one row."""
    if type(shape) is not list:
        raise _Misfit(where, f"{_shape_text(spec.shape)}: an array of integers", json_type(shape))
    if not all(type(d) is int and d >= 0 for d in shape):
        expected = f"{_shape_text(spec.shape)}: non-negative integers"
        raise _Misfit(where, expected, "other dimensions")
    fits = len(shape) == len(spec.shape) and all(
        want is None or want == got for want, got in zip(spec.shape, shape, strict=True)
    )
    if not fits:
        raise _Misfit(where, _shape_text(spec.shape), _shape_text(shape))
    if shape and shape[0] == 0:
        expected = f"{_shape_text(spec.shape)} with at least one row"
        raise _Misfit(where, expected, _shape_text(shape))
    return shape
