"""An MLflow model as the package builder takes it: the model, its sample rows, its pins.

Of an ``MLmodel``'s flavors, ``onnx`` is taken as is (the graph file) and ``sklearn`` as the
fitted estimator MLflow itself loads; any other is refused. The sample comes from the
model's input example, else from the caller's file, and is put in the columns, order and
types of the MLflow signature, so the package's signature is the one MLflow recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pin

from modelyard.core.errors import ConfigError, UnsupportedModelError
from modelyard.package.datasets import read_table
from modelyard.package.manifest import Requirement

if TYPE_CHECKING:
    from mlflow.models import Model
    from mlflow.types import Schema

SUPPORTED_FLAVORS = ("onnx", "sklearn")
"""Flavors an import converts, in order of preference: ONNX needs no conversion."""

_GENERIC = "python_function"


@dataclass(frozen=True)
class MlflowModel:
    """The flavor chosen, the model the builder is given, and the parsed ``MLmodel``."""

    flavor: str
    model: Any
    meta: Model
    folder: Path


def _flavor(meta: Model, uri: str) -> str:
    for flavor in SUPPORTED_FLAVORS:
        if flavor in meta.flavors:
            return flavor
    found = sorted(set(meta.flavors) - {_GENERIC}) or sorted(meta.flavors)
    raise UnsupportedModelError(
        f"{uri} is an MLflow model of flavor {', '.join(found)}: expected one of the flavors "
        f"{', '.join(SUPPORTED_FLAVORS)}"
    )


def _estimator(folder: Path, uri: str) -> Any:
    """The estimator as ``mlflow.sklearn`` opens it, under MLflow's own deserialization rules."""
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.sklearn.load_model(str(folder))
    except MlflowException as error:
        reason = str(error.message).splitlines()[0]
        raise UnsupportedModelError(f"MLflow refused to open {uri}: {reason}") from None


def read_model(folder: Path, uri: str) -> MlflowModel:
    """The ``MLmodel`` of ``folder`` and its model in a flavor an import supports."""
    from mlflow.models import Model

    meta = Model.load(str(folder / "MLmodel"))
    flavor = _flavor(meta, uri)
    if flavor == "onnx":
        model: Any = folder / meta.flavors["onnx"]["data"]
    else:
        model = _estimator(folder, uri)
    return MlflowModel(flavor, model, meta, folder)


def _example(source: MlflowModel, uri: str) -> Any:
    if source.meta.saved_input_example_info is None:
        raise ConfigError(
            f"{uri} has no input example: pass --sample FILE (sample= in Python), a Parquet "
            "or CSV file of feature rows, to prove the conversion and profile the inputs"
        )
    return source.meta.load_input_example(str(source.folder))


_UNFIT = (ValueError, TypeError, OverflowError)
"""What numpy and pandas raise for a value the target type cannot hold."""


def _type_name(kind: Any) -> str:
    """The type as the MLflow signature spells it: ``double``, ``long``, ``float32``."""
    return str(getattr(kind, "name", kind))


def _typed(values: pd.Series, dtype: np.dtype, column: Any, expected: str) -> pd.Series:
    """``values`` as ``dtype``; the error never quotes them, since they are anyone's data."""
    try:
        return values.astype(dtype)
    except _UNFIT:
        raise ConfigError(
            f"the sample column {column} does not fit the MLflow signature: expected "
            f"{expected} values"
        ) from None


def _tensor(rows: Any, dtype: np.dtype) -> np.ndarray:
    """``rows`` as one array of the tensor's dtype, else an error naming the first column
    that does not fit (rows without columns, e.g. ragged lists, name none)."""
    try:
        return np.asarray(rows, dtype=dtype)
    except _UNFIT:
        if isinstance(rows, pd.DataFrame):
            for column in rows.columns:
                _typed(rows[column], dtype, column, dtype.name)
        raise ConfigError(
            f"the sample does not fit the MLflow signature: expected rows of {dtype.name} values"
        ) from None


def _column_rows(rows: Any, schema: Schema) -> pd.DataFrame:
    names = schema.input_names()
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(np.asarray(rows))
    if not schema.has_input_names():
        return frame
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ConfigError(
            f"the sample lacks {', '.join(map(str, missing))}: expected every input column of "
            "the MLflow signature"
        )
    return pd.DataFrame(
        {
            spec.name: _typed(frame[spec.name], dtype, spec.name, _type_name(spec.type))
            for spec, dtype in zip(schema.inputs, schema.numpy_types(), strict=True)
        }
    )


def sample_rows(source: MlflowModel, uri: str, sample: Any = None) -> Any:
    """Feature rows to prove and profile with, shaped as the MLflow signature says.

    ``sample``: a CSV or Parquet path, a DataFrame or an array; else the input example.
    """
    rows = read_table(Path(sample)) if isinstance(sample, str | Path) else sample
    if rows is None:
        rows = _example(source, uri)
    schema = source.meta.get_input_schema()
    if schema is None:
        return rows
    if schema.is_tensor_spec():  # one array of the tensor's dtype; several are left as given
        types = schema.numpy_types()
        return _tensor(rows, types[0]) if len(types) == 1 else rows
    return _column_rows(rows, schema)


def pinned_requirements(folder: Path) -> list[Requirement]:
    """The ``name==version`` pins of the model's ``requirements.txt`` (the training environment).

    Lines without one exact pin (ranges, URLs, pip options) name no version to record.
    """
    path = folder / "requirements.txt"
    if not path.is_file():
        return []
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        try:
            pin = Pin(text)
        except InvalidRequirement:
            continue
        specifiers = list(pin.specifier)
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            pins.append(Requirement(name=pin.name, version=specifiers[0].version))
    return pins
