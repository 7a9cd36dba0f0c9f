"""The manifest YAML of ``modelyard log``: how to package a model file made elsewhere.

An ONNX, pickle or TorchScript file carries no column names, tests or lineage of its own;
this small file supplies them, so a model trained elsewhere still becomes a full version::

    name: breast_cancer
    sample: data/sample.csv          # feature rows (CSV, Parquet, or .npy for an array model)
    train_data: data/train.csv       # optional: profile, fingerprint
    test_data: data/test.csv         # optional: metrics tied to the data's fingerprint
    target: target                   # the label column of train/test (and dropped from sample)
    pipeline:
      formatter: {name: classification}
    tags: {team: risk}

Relative paths are read from the folder of the YAML file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from modelyard.core.config import load_config
from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.package.datasets import read_table
from modelyard.package.manifest import PipelineSpec

_FORMAT_BY_SUFFIX = {
    ".onnx": "onnx",
    ".pkl": "sklearn",
    ".pickle": "sklearn",
    ".joblib": "sklearn",
    ".pt": "torchscript",
}


def _torchscript(path: Path) -> Any:
    """A saved TorchScript module, on the CPU (torch is imported only for this format)."""
    import torch

    return torch.jit.load(str(path), map_location="cpu")


_OPENERS: dict[str, Callable[[Path], Any]] = {
    "onnx": lambda path: path,
    "sklearn": joblib.load,
    "torchscript": _torchscript,
}


class LogSpec(BaseModel):
    """What ``modelyard log`` needs beside the model file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    format: str | None = None
    sample: str
    train_data: str | None = None
    test_data: str | None = None
    target: str | None = None
    pipeline: PipelineSpec | None = None
    params: dict[str, Any] | None = None
    tags: dict[str, str] = Field(default_factory=dict)


def read_log_spec(path: str | Path) -> LogSpec:
    """Load the YAML; a schema error names the file and line."""
    return load_config(path, LogSpec)


def _resolve(base: Path, value: str | None) -> str | None:
    return None if value is None else str((base / value).resolve())


def model_from_file(model_file: Path, spec: LogSpec) -> tuple[Any, str]:
    """The model object to package and its format, chosen by ``format`` or the file suffix.

    A pickle is opened here because the user names it on their own machine; packaging then
    records its requirements and its sha256, so it is never opened again unverified.
    """
    if not model_file.is_file():
        raise NotFoundError(f"model file {model_file} does not exist")
    fmt = spec.format or _FORMAT_BY_SUFFIX.get(model_file.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"cannot tell the format of {model_file.name}: expected a suffix of "
            f"{', '.join(_FORMAT_BY_SUFFIX)} or 'format:' in the manifest YAML"
        )
    opener = _OPENERS.get(fmt)
    if opener is None:
        raise ConfigError(f"unknown format {fmt!r}: expected one of {', '.join(_OPENERS)}")
    return opener(model_file), fmt


def _read_sample(path: Path) -> pd.DataFrame | np.ndarray:
    """A table, or the array a model trained on arrays was fed (``.npy``, never pickles)."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError:
            raise ConfigError(
                f"sample {path.name} is not a plain numeric .npy array: expected np.save of "
                "feature rows"
            ) from None
    return read_table(path)


def log_arguments(spec_path: Path, spec: LogSpec) -> dict[str, Any]:
    """The keyword arguments of ``log_model`` this spec stands for, its paths made absolute."""
    base = spec_path.resolve().parent
    sample_path = Path(_resolve(base, spec.sample) or "")
    if not sample_path.is_file():
        raise NotFoundError(f"{spec_path}: sample {spec.sample} does not exist")
    sample = _read_sample(sample_path)
    if spec.target is not None and isinstance(sample, pd.DataFrame) and spec.target in sample:
        sample = sample.drop(columns=[spec.target])
    return {
        "sample": sample,
        "train_data": _resolve(base, spec.train_data),
        "test_data": _resolve(base, spec.test_data),
        "target": spec.target,
        "pipeline": spec.pipeline,
        "params": spec.params,
        "tags": spec.tags,
    }
