"""The prediction log's columns: one name for each, wherever the log is kept or read.

A record is one *instance* of a request (a request of three rows gives three records, with
``instance`` 0, 1, 2), so each input feature and each output is a typed column of its own:
numbers as numbers, categories as text. The same names are used by the database table (mapped
to SQL-safe column names there), the Parquet files, and the DataFrames the readers return.

Fixed columns, in order: :data:`FIXED`. Then, per record:

- ``input.<feature>`` for each feature of the signature (a float or integer column for a
  numeric feature, a string column for text); an image endpoint has ``input.sha256`` and
  ``input.bytes`` (the digest and size of the image, never its pixels);
- ``output.<key>`` for each scalar the formatter answers (``output.label``, ``output.score``,
  ``output.value``) and ``output.<key>.<name>`` for each entry of a mapping it answers
  (``output.probabilities.malignant``). Lists (``top``) are not logged: they repeat the
  probabilities.

A failed request has one record (``instance`` 0) with its ``status``, its ``error`` message,
and no inputs or outputs.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

Kind = Literal["float", "int", "str", "bool", "time"]
"""The type of a column: how the database declares it and how Parquet stores it."""

FIXED: dict[str, Kind] = {
    "time": "time",
    "request_id": "str",
    "instance": "int",
    "endpoint": "str",
    "variant": "str",
    "model": "str",
    "version": "int",
    "status": "int",
    "latency_ms": "float",
    "error": "str",
}
"""Every record's columns: when (UTC), which request, which endpoint and variant, which
model version answered, how (HTTP status, latency in milliseconds, the error message)."""

INPUT = "input."
OUTPUT = "output."


def input_column(feature: str) -> str:
    """The log column of input feature ``feature``."""
    return INPUT + feature


def output_column(*keys: str) -> str:
    """The log column of an output (``output_column("probabilities", "malignant")``)."""
    return OUTPUT + ".".join(keys)


class LogBatch(Protocol):
    """Records of one endpoint, column by column, ready to write."""

    columns: dict[str, list[Any]]
    """Every column, each list as long as the batch; ``None`` where a record has no value."""

    kinds: dict[str, Kind]
    """Each column's kind (the :data:`FIXED` ones included)."""
