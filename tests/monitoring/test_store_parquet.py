"""The Parquet store's files: one per write per endpoint per UTC day, never rewritten; days
out of range never opened; whole days pruned; files of different columns read together."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_store import KINDS, T0, batch, record

from modelyard.core.errors import ConfigError
from modelyard.monitoring.columns import Kind
from modelyard.monitoring.store_parquet import ParquetStore

PART = r"part-\d{8}T\d{12}-[0-9a-f]{8}\.parquet"


def files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.parquet"))


def test_a_write_spanning_midnight_makes_one_file_per_day_under_endpoint_and_date(
    tmp_path: Path,
) -> None:
    store = ParquetStore(str(tmp_path))
    store.write("cancer", batch(record(0), record(90), record(150)))  # 22:00, 23:30, 00:30
    store.write("cancer", batch(record(151)))

    found = files(tmp_path)

    assert [path.rsplit("/", 1)[0] for path in found] == [
        "endpoint=cancer/date=2026-11-30",
        "endpoint=cancer/date=2026-12-01",
        "endpoint=cancer/date=2026-12-01",
    ]
    assert all(re.fullmatch(PART, path.rsplit("/", 1)[1]) for path in found)
    first = pq.read_table(tmp_path / found[0])
    assert first.num_rows == 2
    assert str(first.schema.field("input.mean radius").type) == "double"
    assert str(first.schema.field("input.count").type) == "int64"
    assert str(first.schema.field("time").type) == "timestamp[us, tz=UTC]"


def test_a_later_version_with_a_new_feature_reads_nulls_for_older_rows(tmp_path: Path) -> None:
    store = ParquetStore(str(tmp_path))
    store.write("cancer", batch(record(0)))
    kinds: dict[str, Kind] = {**KINDS, "input.new": "float"}
    store.write("cancer", batch(record(1, **{"input.new": 0.5}), kinds=kinds))

    frame = store.read("cancer")

    assert frame["request_id"].tolist() == ["req-0", "req-1"]
    assert frame["input.new"].isna().tolist() == [True, False]
    assert frame["input.new"].iloc[1] == 0.5


def test_a_read_opens_only_the_days_of_its_range(tmp_path: Path) -> None:
    store = ParquetStore(str(tmp_path))
    store.write("cancer", batch(record(0), record(150)))
    (tmp_path / "endpoint=cancer/date=2026-11-28").mkdir()
    (tmp_path / "endpoint=cancer/date=2026-11-28/part-broken.parquet").write_bytes(b"not parquet")

    frame = store.read("cancer", since=T0 - timedelta(hours=1))

    assert frame["request_id"].tolist() == ["req-0", "req-150"]
    with pytest.raises(Exception, match="Parquet"):  # the broken day is opened when in range
        store.read("cancer")


def test_prune_removes_whole_days_only_and_counts_files(tmp_path: Path) -> None:
    store = ParquetStore(str(tmp_path))
    store.write("cancer", batch(record(0)))  # 2026-11-30 22:00
    store.write("cancer", batch(record(1)))
    store.write("cancer", batch(record(150)))  # 2026-12-01 00:30

    kept_day = store.prune("cancer", datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    removed = store.prune("cancer", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))

    assert kept_day == 0  # a day partly after the cutoff stays whole
    assert removed == 2
    assert files(tmp_path) == [files(tmp_path)[0]]
    assert files(tmp_path)[0].startswith("endpoint=cancer/date=2026-12-01/")


def test_a_file_being_written_is_not_read(tmp_path: Path) -> None:
    store = ParquetStore(str(tmp_path))
    store.write("cancer", batch(record(0)))
    day = tmp_path / "endpoint=cancer/date=2026-11-30"
    (day / "_part-staged.parquet").write_bytes(b"half a file")

    assert store.read("cancer")["request_id"].tolist() == ["req-0"]


def test_an_unknown_filesystem_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^log store parquet:nosuchfs://x cannot be opened: "):
        ParquetStore("nosuchfs://x")


def test_a_feature_that_changed_from_number_to_text_reads_as_text(tmp_path: Path) -> None:
    store = ParquetStore(str(tmp_path))
    store.write(
        "cancer", batch(record(0, **{"input.zone": 4}), kinds={**KINDS, "input.zone": "int"})
    )
    store.write(
        "cancer", batch(record(1, **{"input.zone": "north"}), kinds={**KINDS, "input.zone": "str"})
    )

    frame = store.read("cancer")

    assert frame["input.zone"].tolist() == ["4", "north"]
    assert frame["input.count"].tolist() == [7, 8]  # the other columns keep their types
