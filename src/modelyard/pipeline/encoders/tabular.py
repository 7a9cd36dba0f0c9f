"""The ``tabular`` encoder: records or rows of features → the model's input tensors.

Instances are records ``{"column": value}`` or rows in the signature's column order; each
value is checked against its column's dtype and coerced (ints into float columns, integral
floats into int columns, ``null`` into NaN for float columns). With one input tensor the
columns are stacked into it in signature order; with several, each column feeds the input of
its own name with shape ``(n, 1)`` — the two layouts the signature allows.

The common case (all numbers, one input) is read in one C pass: the values go into a typed
``array.array`` (which refuses strings, ``null`` and objects, and accepts ints and booleans in
number columns as the slow path does) and numpy wraps its buffer; 1.3 µs for one record of 30
features, against 4.2 µs through ``np.array`` of the rows and a cast. The per-value checks
only run when that fast path fails, to say exactly which fields are wrong.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from modelyard.core.errors import ConfigError, PayloadError
from modelyard.package.manifest import ColumnSpec, TensorSpec
from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.dtypes import JSON_EXPECTED, NUMPY
from modelyard.pipeline.encoders.payload import (
    Problem,
    instances_of,
    json_type,
    pointer,
    problem,
)
from modelyard.pipeline.types import Arrays, Batch, Context

if TYPE_CHECKING:
    import pandas as pd

_FAST_KINDS = {"float32": "biuf", "float64": "biuf", "int32": "biu", "int64": "biu"}
# The ``array`` type code that reads number columns into an input tensor of each dtype.
_FLOAT_TYPECODES = {"float32": "f", "float64": "d"}
_INT_TYPECODES = {"int32": "i", "int64": "q"}


# Well-formed record payloads read between two adoptions of the parser's key objects.
_ADOPT_EVERY = 1024


class TabularArgs(ComponentArgs):
    """``unknown_fields``: what to do with record keys that are not columns."""

    unknown_fields: Literal["ignore", "reject"] = "ignore"


def _fast_typecode(columns: list[ColumnSpec], tensor: TensorSpec) -> str | None:
    """The ``array`` type code that reads every column into ``tensor`` (``None``: no fast path).

    Integer columns stacked into a float tensor are read as ints (``q``), so a fractional
    value in them still fails over to the checked path; the cast to the tensor comes after.
    """
    kinds = [_FAST_KINDS.get(column.dtype) for column in columns]
    if any(kind is None for kind in kinds):
        return None
    if "biu" in kinds:
        return "q" if tensor.dtype in _FLOAT_TYPECODES else _INT_TYPECODES.get(tensor.dtype)
    return _FLOAT_TYPECODES.get(tensor.dtype)


def _accepts(value: Any, dtype: str) -> bool:
    """Whether one JSON value may be coerced to ``dtype`` (the slow path's rule)."""
    if dtype in ("float32", "float64"):
        return value is None or isinstance(value, (int, float))
    if dtype == "bool":
        return isinstance(value, bool)
    if dtype == "string":
        return isinstance(value, str)
    integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return integral and (dtype != "uint8" or 0 <= value <= 255)


def _fits(array: np.ndarray, dtype: str) -> bool:
    """Whether a whole numpy column can be cast to ``dtype`` without looking at each value."""
    if array.ndim != 1:
        return False
    kind = array.dtype.kind
    if dtype == "bool":
        return kind == "b"
    if dtype == "string":
        return kind == "U"
    if dtype in ("float32", "float64"):
        return kind in "biuf"
    if kind == "f":
        if not np.all(np.isfinite(array) & (array == np.round(array))):
            return False
    elif kind not in "biu":
        return False
    return dtype != "uint8" or bool(np.all((array >= 0) & (array <= 255)))


def coerce_column(values: Sequence[Any] | np.ndarray, dtype: str) -> np.ndarray | list[int]:
    """``values`` as an array of ``dtype``, or the positions of the values that do not fit."""
    try:
        array = values if isinstance(values, np.ndarray) else np.array(values)
    except (ValueError, TypeError):
        array = np.empty(0, dtype=object)
    if _fits(array, dtype):
        return array.astype(NUMPY[dtype])
    bad = [i for i, value in enumerate(values) if not _accepts(value, dtype)]
    if bad:
        return bad
    return np.array([np.nan if v is None else v for v in values], dtype=NUMPY[dtype])


class TabularEncoder:
    """Checks and stacks tabular instances into the model's input tensors."""

    def __init__(self, args: TabularArgs, context: Context) -> None:
        signature = context.signature
        if not signature.columns:
            raise ConfigError(
                "the signature lists no columns; use the 'tensor' encoder for raw tensors"
            )
        self._columns: list[ColumnSpec] = list(signature.columns)
        self._names = [column.name for column in self._columns]
        # itemgetter pulls a record's columns in one C call: half the cost of a comprehension
        names = self._names
        self._row_of: Callable[[dict[str, Any]], Sequence[Any]] = (
            operator.itemgetter(*names) if len(names) > 1 else lambda record: (record[names[0]],)
        )
        self._reads_to_adoption = 0
        self._reject_unknown = args.unknown_fields == "reject"
        self._stacked: TensorSpec | None = None
        self._typecode: str | None = None
        if len(signature.inputs) == 1:
            self._stacked = signature.inputs[0]
            self._typecode = _fast_typecode(self._columns, self._stacked)
            self._read_dtype = np.dtype(self._typecode or "d")
            self._input_dtype = np.dtype(NUMPY[self._stacked.dtype])
        else:
            inputs = {spec.name: spec for spec in signature.inputs}
            missing = [name for name in self._names if name not in inputs]
            if missing:
                raise ConfigError(f"columns without an input of the same name: {missing}")
            self._inputs = inputs

    def encode(self, payload: Any) -> Batch:
        """Validate and encode the instances of ``payload``; every bad field is reported."""
        instances, prefix = instances_of(payload)
        if self._stacked is not None and self._typecode is not None:
            fast = self._fast_matrix(instances, self._typecode)
            if fast is not None:
                return Batch({self._stacked.name: fast}, len(instances))
        grid = self._grid(instances, prefix)
        problems: list[Problem] = []
        columns: dict[str, np.ndarray] = {}
        for j, column in enumerate(self._columns):
            coerced = coerce_column([row[j] for row in grid], column.dtype)
            if isinstance(coerced, list):
                problems.extend(
                    self._value_problem(instances, prefix, i, j, grid[i][j]) for i in coerced
                )
            else:
                columns[column.name] = coerced
        if problems:
            raise PayloadError(problems)
        return Batch(self._feeds(columns), len(grid))

    def encode_frame(self, frame: pd.DataFrame) -> Batch:
        """The same tensors from a DataFrame holding (at least) the signature's columns."""
        problems: list[Problem] = []
        columns: dict[str, np.ndarray] = {}
        for column in self._columns:
            if column.name not in frame.columns:
                problems.append(
                    problem(pointer(column.name), JSON_EXPECTED[column.dtype], "missing column")
                )
                continue
            coerced = coerce_column(frame[column.name].to_numpy(), column.dtype)
            if isinstance(coerced, list):
                problems.append(
                    problem(
                        pointer(column.name),
                        f"column of {JSON_EXPECTED[column.dtype]}",
                        f"{len(coerced)} values that do not fit (dtype {frame[column.name].dtype})",
                    )
                )
            else:
                columns[column.name] = coerced
        if problems:
            raise PayloadError(problems)
        return Batch(self._feeds(columns), len(frame))

    def _grid(self, instances: list[Any], prefix: tuple[str, ...]) -> list[Sequence[Any]]:
        """The instances as rows in column order, or every structural problem at once."""
        names = self._names
        try:
            if type(instances[0]) is dict:
                grid: list[Sequence[Any]] = list(map(self._row_of, instances))
                if not self._reject_unknown or all(len(inst) == len(names) for inst in instances):
                    return grid
            elif all(type(row) is list and len(row) == len(names) for row in instances):
                return instances
        except (KeyError, TypeError):
            pass
        return self._checked_grid(instances, prefix)

    def _checked_grid(self, instances: list[Any], prefix: tuple[str, ...]) -> list[Sequence[Any]]:
        """The slow path of :meth:`_grid`: each instance checked, mixed forms allowed."""
        problems: list[Problem] = []
        grid: list[Sequence[Any]] = []
        width = len(self._names)
        for i, inst in enumerate(instances):
            if isinstance(inst, dict):
                for column in self._columns:
                    where = pointer(*prefix, i, column.name)
                    expected = JSON_EXPECTED[column.dtype]
                    if column.name not in inst:
                        problems.append(problem(where, expected, "missing"))
                    elif not _accepts(inst[column.name], column.dtype):
                        problems.append(problem(where, expected, json_type(inst[column.name])))
                if self._reject_unknown:
                    known = set(self._names)
                    problems.extend(
                        problem(pointer(*prefix, i, key), "no such field", json_type(inst[key]))
                        for key in inst
                        if key not in known
                    )
                grid.append([inst.get(c) for c in self._names])
            elif isinstance(inst, list) and len(inst) == width:
                grid.append(inst)
            else:
                expected = f"object of columns or array of {width} values in signature order"
                problems.append(problem(pointer(*prefix, i), expected, json_type(inst)))
        if problems:
            raise PayloadError(problems)
        return grid

    def _value_problem(
        self, instances: list[Any], prefix: tuple[str, ...], i: int, j: int, value: Any
    ) -> Problem:
        column = self._columns[j]
        key: str | int = column.name if isinstance(instances[i], dict) else j
        return problem(pointer(*prefix, i, key), JSON_EXPECTED[column.dtype], json_type(value))

    def _fast_matrix(self, instances: list[Any], typecode: str) -> np.ndarray | None:
        """Well-formed all-numeric instances as one array of the input's dtype, or ``None``
        when anything is off (the checked path then says what)."""
        width = len(self._names)
        try:
            if type(instances[0]) is dict:
                if self._reject_unknown and any(len(inst) != width for inst in instances):
                    return None
                if len(instances) == 1:
                    values = array(typecode, self._row_of(instances[0]))
                else:
                    values = array(typecode, chain.from_iterable(map(self._row_of, instances)))
                self._reads_to_adoption -= 1
                if self._reads_to_adoption <= 0:
                    self._adopt_keys(instances[0])
            elif all(type(row) is list and len(row) == width for row in instances):
                values = array(typecode, chain.from_iterable(instances))
            else:
                return None
        except (KeyError, TypeError, OverflowError):
            return None
        # One constructor call over the array's buffer: 0.6 µs, against 0.9 for frombuffer+reshape.
        matrix = np.ndarray((len(instances), width), self._read_dtype, values)
        return matrix if self._read_dtype == self._input_dtype else matrix.astype(self._input_dtype)

    def _adopt_keys(self, record: dict[str, Any]) -> None:
        """Look columns up by the very key objects a JSON parser hands out.

        orjson keeps the strings of the keys it has seen and returns the same objects for the
        same keys, request after request; a dict lookup by the identical object skips the
        string comparison (30 columns: 0.77 µs instead of 1.69). The keys of a well-formed
        record are adopted now and then; any other record still reads correctly, by equality.
        """
        self._reads_to_adoption = _ADOPT_EVERY
        if len(self._names) > 1:
            keys = {key: key for key in record}
            self._row_of = operator.itemgetter(*(keys.get(name, name) for name in self._names))

    def _feeds(self, columns: dict[str, np.ndarray]) -> Arrays:
        if self._stacked is not None:
            stacked = np.column_stack([columns[name] for name in self._names])
            return {self._stacked.name: stacked.astype(NUMPY[self._stacked.dtype], copy=False)}
        return {
            name: columns[name].reshape(-1, 1).astype(NUMPY[self._inputs[name].dtype], copy=False)
            for name in self._names
        }
