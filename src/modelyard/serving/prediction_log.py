"""The server's way to the prediction log's store, imported only when a log is written.

The store may need pandas or pyarrow (the ``monitoring`` extra): the server imports it on the
writer thread's first write, so a server whose endpoints log nothing starts without them.
"""

from __future__ import annotations

from typing import Any

from modelyard.monitoring.columns import Kind, LogBatch
from modelyard.monitoring.writer import Sink
from modelyard.registry import Registry


def open_log_store(where: str, registry: Registry) -> Sink:
    """The store at ``logging.store`` (``registry`` or ``parquet:PATH``)."""
    from modelyard.monitoring.store import open_store

    return open_store(where, registry)


def log_batch(columns: dict[str, list[Any]], kinds: dict[str, Kind]) -> LogBatch:
    """A batch of the store's own type."""
    from modelyard.monitoring.store import Columns

    return Columns(columns=columns, kinds=kinds)
