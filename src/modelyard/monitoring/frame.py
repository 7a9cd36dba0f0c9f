"""Records read back from a store, as a DataFrame typed by the log columns' kinds.

Both stores return the same dtypes for the same kinds, so a reader never cares where the log
is kept: floats ``float64`` (missing: NaN), integers ``Int64`` and booleans ``boolean``
and text ``string`` (missing: ``<NA>``; an integer never turns into a float), times
``datetime64[ns, UTC]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

_DTYPES: dict[str, Any] = {"float": "float64", "int": "Int64", "bool": "boolean", "str": "string"}


def typed_series(values: Sequence[Any], kind: str) -> pd.Series:
    """``values`` as the dtype of ``kind``."""
    if kind == "time":
        return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[ns, UTC]")
    return pd.Series(list(values), dtype=_DTYPES[kind])


def rows_frame(names: list[str], kinds: list[str], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """A frame of ``rows``, column ``i`` named ``names[i]`` and typed by ``kinds[i]``.

    A name given twice (a feature logged in two kinds over time) becomes one ``object``
    column holding whichever value each record has.
    """
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame: dict[str, pd.Series] = {}
    for name, kind, values in zip(names, kinds, columns, strict=True):
        series = typed_series(values, kind)
        if name in frame:
            earlier = frame[name].astype(object)
            series = earlier.where(earlier.notna(), series.astype(object))
        frame[name] = series
    return pd.DataFrame(frame)
