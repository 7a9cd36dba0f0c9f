"""The prediction log as Parquet files, partitioned by endpoint and UTC day.

Each write of an endpoint makes one file per UTC day its records fall on, at
``PATH/endpoint=<id>/date=YYYY-MM-DD/part-<time>-<random>.parquet``, typed by the columns'
kinds. Files are never rewritten: retention removes whole days, and a reader lists only the
days of the range it asks for. A later version with new features simply writes files with
more columns; reading unifies the files' schemas, the older rows reading as null there. Any
fsspec location works (a folder, ``s3://``, ``memory://``); a file is written under a name
starting with ``_`` (which Parquet readers skip) and moved into place once complete.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import fsspec

from modelyard.core.errors import ConfigError
from modelyard.core.extras import missing_extra
from modelyard.monitoring.columns import FIXED, LogBatch
from modelyard.registry.prediction_log import selected

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq
except ImportError as error:  # a serving install without the parquet extra
    raise missing_extra(error, "logging.store: parquet") from None

if TYPE_CHECKING:
    import pandas as pd

_ARROW: dict[str, pa.DataType] = {
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "str": pa.string(),
    "time": pa.timestamp("us", tz="UTC"),
}
_DAY = "date="


class ParquetStore:
    """Parquet files under ``url`` (any fsspec URL or folder)."""

    def __init__(self, url: str) -> None:
        try:
            self._fs, root = fsspec.core.url_to_fs(url)
        except (ValueError, ImportError) as error:
            raise ConfigError(f"log store parquet:{url} cannot be opened: {error}") from None
        self._root = root.rstrip("/")

    def write(self, endpoint: str, batch: LogBatch) -> None:
        columns = {name: values for name, values in batch.columns.items() if name != "endpoint"}
        count = len(next(iter(columns.values()), []))
        columns["endpoint"] = [endpoint] * count
        kinds = {**batch.kinds, "endpoint": FIXED["endpoint"]}
        order = [name for name in FIXED if name in columns]
        order += [name for name in columns if name not in FIXED]
        schema = pa.schema([pa.field(name, _ARROW[kinds[name]]) for name in order])
        table = pa.table(
            [pa.array(columns[name], schema.field(name).type) for name in order], schema=schema
        )
        for day, part in _by_day(table):
            self._put(endpoint, day, part)

    def prune(self, endpoint: str, before: datetime) -> int:
        removed = 0
        for day, folder in self._days(endpoint):
            if datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) <= before:
                removed += len(self._fs.find(folder))
                self._fs.rm(folder, recursive=True)
        return removed

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
        table = self._scan(endpoint, since, until, variant)
        order = "descending" if newest_first else "ascending"
        table = table.sort_by([(key, order) for key in ("time", "request_id", "instance")])
        if limit is not None:
            table = table.slice(0, limit)
        return _frame(table.select([n for n in table.column_names if selected(n, columns)]))

    def has_request(self, endpoint: str, request_id: str) -> bool:
        """Whether any file of ``endpoint`` holds ``request_id`` (a scan of its request ids:
        Parquet has no index, so this costs a read of one column of every day kept)."""
        files = [file for _, folder in self._days(endpoint) for file in self._files(folder)]
        if not files:
            return False
        dataset = ds.dataset(files, filesystem=self._fs, format="parquet")
        found = dataset.head(1, columns=["request_id"], filter=ds.field("request_id") == request_id)
        return found.num_rows > 0

    # -- files ----------------------------------------------------------------------------

    def _put(self, endpoint: str, day: str, table: pa.Table) -> None:
        folder = f"{self._endpoint(endpoint)}/{_DAY}{day}"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"part-{stamp}-{secrets.token_hex(4)}.parquet"
        self._fs.makedirs(folder, exist_ok=True)
        staged = f"{folder}/_{name}"
        with self._fs.open(staged, "wb") as handle:
            pq.write_table(table, handle, use_dictionary=_dictionary_columns(table.schema))
        self._fs.mv(staged, f"{folder}/{name}")

    def _endpoint(self, endpoint: str) -> str:
        return f"{self._root}/endpoint={endpoint}"

    def _days(self, endpoint: str) -> list[tuple[date, str]]:
        """The endpoint's day folders, oldest first."""
        folder = self._endpoint(endpoint)
        if not self._fs.exists(folder):
            return []
        days = []
        for path in self._fs.ls(folder, detail=False):
            name = path.rstrip("/").rsplit("/", 1)[-1]
            if name.startswith(_DAY):
                try:
                    days.append((date.fromisoformat(name[len(_DAY) :]), path.rstrip("/")))
                except ValueError:
                    continue  # not a folder this store wrote
        return sorted(days)

    def _files(self, folder: str) -> list[str]:
        return sorted(
            path
            for path in self._fs.ls(folder, detail=False)
            if path.endswith(".parquet") and not path.rsplit("/", 1)[-1].startswith("_")
        )

    def _scan(
        self, endpoint: str, since: datetime | None, until: datetime | None, variant: str | None
    ) -> pa.Table:
        """The records in range: only the days that can hold them are listed and opened."""
        first = since.astimezone(UTC).date() if since is not None else date.min
        last = until.astimezone(UTC).date() if until is not None else date.max
        files = [
            file
            for day, folder in self._days(endpoint)
            if first <= day <= last
            for file in self._files(folder)
        ]
        if not files:
            return _empty()
        schema = _unified([pq.read_schema(file, filesystem=self._fs) for file in files])
        dataset = ds.dataset(files, schema=schema, filesystem=self._fs, format="parquet")
        condition: Any = None
        for part in (
            ds.field("time") >= pa.scalar(since, _ARROW["time"]) if since is not None else None,
            ds.field("time") < pa.scalar(until, _ARROW["time"]) if until is not None else None,
            ds.field("variant") == variant if variant is not None else None,
        ):
            if part is not None:
                condition = part if condition is None else condition & part
        return dataset.to_table(filter=condition)


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary encoding: text (variant, model, labels repeat), not
    numbers, whose measured values rarely do. Trying a dictionary on every float column took
    half of a write's CPU and made the file larger."""
    return [field.name for field in schema if field.type == pa.string()]


def _by_day(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """The table's rows by UTC day (``YYYY-MM-DD``), in day order. A batch nearly always
    falls on one day: that is seen from the first and last times alone, without formatting
    every time or copying the table."""
    bounds = pc.min_max(table["time"])
    first, last = (bounds[end].as_py() for end in ("min", "max"))
    if first is not None and first.date() == last.date():
        return [(first.date().isoformat(), table)]
    days = pc.strftime(table["time"], format="%Y-%m-%d")
    return [(day, table.filter(pc.equal(days, day))) for day in sorted(set(days.to_pylist()))]


def _unified(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for files written by different versions: the fixed columns first, a column
    missing from a file read as null there, an integer column widened to float where another
    file has floats, and a column that is a number in one file and text in another as text."""
    schemas = [_empty().schema, *schemas]
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except pa.ArrowTypeError:
        fields: dict[str, list[pa.Field]] = {}
        for schema in schemas:
            for one in schema:
                fields.setdefault(one.name, []).append(one)
        unified = []
        for name, versions in fields.items():
            try:
                unified.append(
                    pa.unify_schemas(
                        [pa.schema([v]) for v in versions], promote_options="permissive"
                    ).field(name)
                )
            except pa.ArrowTypeError:
                unified.append(pa.field(name, pa.string()))
        return pa.schema(unified)


def _empty() -> pa.Table:
    schema = pa.schema([pa.field(name, _ARROW[kind]) for name, kind in FIXED.items()])
    return schema.empty_table()


def _frame(table: pa.Table) -> pd.DataFrame:
    """The table with the dtypes :mod:`modelyard.monitoring.frame` gives every store."""
    import pandas as pd

    mapper = {
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
    }.get
    return table.to_pandas(types_mapper=mapper, coerce_temporal_nanoseconds=True)
