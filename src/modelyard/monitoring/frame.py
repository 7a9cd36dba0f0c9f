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


def typed_series(values: Sequence[Any] | pd.Series, kind: str) -> pd.Series:
    """``values`` (Python objects, or a store's raw column) as the dtype of ``kind``."""
    raw = pd.Series(values, dtype=object)
    if kind == "time":  # ISO text (SQLite) or datetimes: parsed as one column, not per value
        times = pd.to_datetime(raw, utc=True, format="ISO8601")
        return times.astype("datetime64[ns, UTC]")
    return raw.astype(_DTYPES[kind])


def rows_frame(names: list[str], kinds: list[str], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """A frame of ``rows``, column ``i`` named ``names[i]`` and typed by ``kinds[i]``.

    A name given twice (a feature logged in two kinds over time) becomes one ``object``
    column holding whichever value each record has.
    """
    raw = pd.DataFrame(rows, columns=range(len(names)), dtype=object)
    frame: dict[str, pd.Series] = {}
    for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        series = typed_series(raw[i], kind)
        if name in frame:
            earlier = frame[name].astype(object)
            series = earlier.where(earlier.notna(), series.astype(object))
        frame[name] = series
    return pd.DataFrame(frame)
