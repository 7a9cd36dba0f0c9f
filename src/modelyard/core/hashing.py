"""Content hashes of data (DataFrames, arrays) over all rows; file and byte digests are in
:mod:`.digests`, which serving uses without pandas.

Data fingerprints must be stable across processes and machines, so they hash the values
themselves (via pandas' row hashing, which is deterministic) plus the column names and dtypes,
never ``id()`` or pickles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd


def feature_names(width: int) -> list[str]:
    """The names of an array's columns: ``x0, x1, …``, as scikit-learn names unnamed features.

    One convention everywhere (signature, profile, lineage, evaluation data), so a model
    trained on arrays is served, profiled and evaluated under the same column names.
    """
    return [f"x{i}" for i in range(width)]


def as_frame(data: Any) -> pd.DataFrame:
    """View arrays, lists and Series as a DataFrame so every input hashes the same way.

    An array's columns are named by :func:`feature_names`.
    """
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    array = np.asarray(data)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    return pd.DataFrame(array, columns=feature_names(array.shape[1]))


def row_hashes(data: Any) -> np.ndarray:
    """A uint64 hash per row, deterministic across runs (pandas' ``hash_pandas_object``)."""
    frame = as_frame(data)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def data_fingerprint(data: Any) -> str:
    """A stable sha256 over every row of ``data``, its column names and its dtypes."""
    frame = as_frame(data)
    digest = hashlib.sha256()
    header = [(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]
    digest.update(repr(header).encode())
    digest.update(row_hashes(frame).tobytes())
    return digest.hexdigest()


def hash_rows_set(hashes: Iterable[int]) -> str:
    """A digest of a set of row hashes, independent of their order."""
    values = np.sort(np.fromiter(hashes, dtype=np.uint64))
    return hashlib.sha256(values.tobytes()).hexdigest()
