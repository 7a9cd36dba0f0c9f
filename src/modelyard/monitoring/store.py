"""Where the prediction log is kept: the registry's database, or Parquet files.

:class:`LogStore` is the one contract the server's writer thread and the readers use; which
store an endpoint writes to is its ``logging.store`` (:func:`open_store`). Neither store
imports pandas or pyarrow until it reads or writes Parquet, so a server without those
extras still starts and logs to its database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from modelyard.core.errors import ConfigError
from modelyard.monitoring.columns import FIXED, Kind, LogBatch
from modelyard.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

PARQUET = "parquet:"


class LogStore(Protocol):
    """Appends, prunes and reads the prediction log of any number of endpoints.

    ``write`` and ``prune`` are called from the server's writer thread, never from the
    request path; a store must be safe to call from one thread while others read.
    """

    def write(self, endpoint: str, batch: LogBatch) -> None:
        """Append one batch of ``endpoint``'s records, all of them or none."""

    def prune(self, endpoint: str, before: datetime) -> int:
        """Remove ``endpoint``'s records older than ``before`` (retention); how many went
        (rows for the database, files for Parquet)."""

    def read(
        self,
        endpoint: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        variant: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """``endpoint``'s records with ``since <= time < until``, one typed column per log
        column (named as :mod:`modelyard.monitoring.columns` says), oldest first unless
        ``newest_first``. ``columns``: only these log columns, a name ending in ``.`` standing
        for every column it begins (``["request_id", "output."]``); all when ``None``."""

    def has_request(self, endpoint: str, request_id: str) -> bool:
        """Whether ``endpoint`` logged a record of ``request_id``."""


@dataclass
class Columns:
    """A :class:`~modelyard.monitoring.columns.LogBatch` built by hand: column lists and kinds.

    ``kinds`` need not repeat the :data:`~modelyard.monitoring.columns.FIXED` columns' kinds;
    every column must be as long as the others and have a kind.
    """

    columns: dict[str, list[Any]]
    kinds: dict[str, Kind] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kinds = {**{name: FIXED[name] for name in self.columns if name in FIXED}, **self.kinds}
        lengths = {len(values) for values in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"log columns differ in length: {sorted(lengths)}")
        unknown = sorted(set(self.columns) - set(self.kinds))
        if unknown:
            raise ValueError(f"log columns without a kind: {', '.join(unknown)}")

    @classmethod
    def from_records(cls, records: list[dict[str, Any]], kinds: dict[str, Kind]) -> Columns:
        """Columns from one dict per record; a column a record lacks is ``None`` there."""
        names = list(dict.fromkeys(name for record in records for name in record))
        return cls({name: [record.get(name) for record in records] for name in names}, kinds)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))


class DatabaseStore:
    """The prediction log in the registry's database (see
    :mod:`modelyard.registry.prediction_log` for the table and the measured write rate)."""

    def __init__(self, registry: Registry) -> None:
        self._table = registry.prediction_log

    def write(self, endpoint: str, batch: LogBatch) -> None:
        self._table.write(endpoint, batch.columns, batch.kinds)

    def prune(self, endpoint: str, before: datetime) -> int:
        return self._table.prune(endpoint, before)

    def read(
        self,
        endpoint: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        variant: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        from modelyard.monitoring.frame import rows_frame

        found = self._table.read(
            endpoint,
            since=since,
            until=until,
            variant=variant,
            limit=limit,
            newest_first=newest_first,
            columns=columns,
        )
        return rows_frame(found.names, found.kinds, found.rows)

    def has_request(self, endpoint: str, request_id: str) -> bool:
        return self._table.has_request(endpoint, request_id)


def open_store(store: str, registry: Registry | None) -> LogStore:
    """The store an endpoint's ``logging.store`` names: ``registry`` (the registry's own
    database) or ``parquet:PATH`` (files under any fsspec location, no registry needed)."""
    if store == "registry":
        if registry is None:
            raise ValueError("the registry log store needs the Registry whose database it uses")
        return DatabaseStore(registry)
    if store.startswith(PARQUET) and len(store) > len(PARQUET):
        from modelyard.monitoring.store_parquet import ParquetStore

        return ParquetStore(store[len(PARQUET) :])
    raise ConfigError(f"unknown log store {store!r}: expected registry or parquet:PATH")
