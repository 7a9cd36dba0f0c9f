"""Every log store keeps what it is given, typed, and reads back by range, variant and count.

The same tests run on the registry's database (a SQLite file and, with the ``postgres``
marker, a real PostgreSQL schema) and on Parquet files (a local folder and ``memory://``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from modelyard.core.errors import ConfigError
from modelyard.monitoring.columns import Kind
from modelyard.monitoring.store import Columns, LogStore, open_store
from modelyard.registry import Registry
from registry.conftest import postgres_url  # noqa: F401 - the PostgreSQL schema fixture

T0 = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)

KINDS: dict[str, Kind] = {
    "input.mean radius": "float",
    "input.count": "int",
    "input.colour": "str",
    "input.flag": "bool",
    "output.label": "str",
    "output.probabilities.malignant": "float",
}


def record(i: int, **changes: Any) -> dict[str, Any]:
    """Record ``i``: one request of one instance, a minute after the previous one."""
    return {
        "time": T0 + timedelta(minutes=i),
        "request_id": f"req-{i}",
        "instance": 0,
        "endpoint": "cancer",
        "variant": "main",
        "model": "cancer-model",
        "version": 3,
        "status": 200,
        "latency_ms": 1.25 + i,
        "error": None,
        "input.mean radius": 14.5 + i,
        "input.count": 7 + i,
        "input.colour": f"red-{i}",
        "input.flag": i % 2 == 0,
        "output.label": "benign",
        "output.probabilities.malignant": 0.125,
        **changes,
    }


def batch(*records: dict[str, Any], kinds: dict[str, Kind] | None = None) -> Columns:
    return Columns.from_records(list(records), KINDS if kinds is None else kinds)


@pytest.fixture
def registry_at(tmp_path: Path) -> Iterator[Any]:
    """Open registries on a URL and close them all at the end."""
    opened: list[Registry] = []

    def open_registry(url: str) -> Registry:
        registry = Registry(url, str(tmp_path / "artifacts"), cache_dir=tmp_path / "cache")
        opened.append(registry)
        return registry

    yield open_registry
    for registry in opened:
        registry.close()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "parquet-folder",
        "parquet-memory",
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path, registry_at: Any) -> LogStore:
    """A store under test, empty."""
    kind = request.param
    registry = registry_at(f"sqlite:///{tmp_path / 'registry.db'}")
    if kind == "postgres":
        registry = registry_at(request.getfixturevalue("postgres_url"))
    if kind.startswith("parquet"):
        where = tmp_path / "log" if kind == "parquet-folder" else f"memory://{uuid.uuid4().hex}"
        return open_store(f"parquet:{where}", registry)
    return open_store("registry", registry)


def test_a_batch_reads_back_with_each_kind_typed(store: LogStore) -> None:
    failed = record(1, status=500, error="runner failed: 'x'")
    failed.update({name: None for name in KINDS})
    store.write("cancer", batch(record(0), failed))

    frame = store.read("cancer")

    assert list(frame.columns[:10]) == [
        "time", "request_id", "instance", "endpoint", "variant", "model", "version", "status",
        "latency_ms", "error",
    ]  # fmt: skip
    assert set(frame.columns[10:]) == set(KINDS)
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert frame["time"].tolist() == [T0, T0 + timedelta(minutes=1)]
    assert frame["input.mean radius"].dtype == "float64"
    assert frame["input.mean radius"].iloc[0] == 14.5
    assert pd.isna(frame["input.mean radius"].iloc[1])
    assert frame["input.count"].dtype == "Int64"
    assert frame["input.count"].iloc[0] == 7
    assert frame["input.count"].isna().iloc[1]
    assert frame["input.colour"].dtype == "string"
    assert frame["input.colour"].iloc[0] == "red-0"
    assert frame["input.colour"].isna().iloc[1]
    assert frame["input.flag"].dtype == "boolean"
    assert bool(frame["input.flag"].iloc[0]) is True
    assert frame["status"].tolist() == [200, 500]
    assert frame["error"].iloc[1] == "runner failed: 'x'"
    assert frame["error"].isna().iloc[0]
    assert frame["endpoint"].tolist() == ["cancer", "cancer"]


def test_times_in_another_zone_read_back_in_utc(store: LogStore) -> None:
    paris = timezone(timedelta(hours=1))
    store.write("cancer", batch(record(0, time=datetime(2026, 11, 30, 23, 30, tzinfo=paris))))

    assert store.read("cancer")["time"].tolist() == [datetime(2026, 11, 30, 22, 30, tzinfo=UTC)]


def test_feature_names_with_spaces_quotes_unicode_and_100_characters_round_trip(
    store: LogStore,
) -> None:
    names = [
        'input.it\'s "quoted"; DROP TABLE x',
        "input.température moyenne (°C)",
        "input." + "very long feature name " * 4 + "end",
    ]
    assert len(names[2]) > 100
    kinds: dict[str, Kind] = {**KINDS, **dict.fromkeys(names, "float")}
    store.write("cancer", batch(record(0, **dict.fromkeys(names, 2.5)), kinds=kinds))

    frame = store.read("cancer")

    assert [frame[name].iloc[0] for name in names] == [2.5, 2.5, 2.5]


def test_read_keeps_the_range_since_inclusive_until_exclusive(store: LogStore) -> None:
    store.write("cancer", batch(*(record(i) for i in range(6))))

    frame = store.read("cancer", since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4))

    assert frame["request_id"].tolist() == ["req-2", "req-3"]


def test_read_filters_by_variant_and_endpoint(store: LogStore) -> None:
    store.write("cancer", batch(record(0), record(1, variant="challenger"), record(2)))
    store.write("other", batch(record(3, endpoint="other")))

    assert store.read("cancer", variant="challenger")["request_id"].tolist() == ["req-1"]
    assert store.read("cancer")["request_id"].tolist() == ["req-0", "req-1", "req-2"]
    assert store.read("other")["request_id"].tolist() == ["req-3"]


def test_read_newest_first_with_a_limit_gives_the_latest_records(store: LogStore) -> None:
    store.write("cancer", batch(record(0), record(1)))
    store.write("cancer", batch(record(2), record(3)))

    frame = store.read("cancer", limit=3, newest_first=True)

    assert frame["request_id"].tolist() == ["req-3", "req-2", "req-1"]


def test_read_selects_columns_by_name_and_by_prefix(store: LogStore) -> None:
    store.write("cancer", batch(record(0), record(1)))

    frame = store.read("cancer", columns=["request_id", "output."], newest_first=True)

    assert list(frame.columns) == ["request_id", "output.label", "output.probabilities.malignant"]
    assert frame["request_id"].tolist() == ["req-1", "req-0"]
    assert frame["output.probabilities.malignant"].tolist() == [0.125, 0.125]


def test_instances_of_one_request_read_in_order(store: LogStore) -> None:
    store.write("cancer", batch(*(record(0, instance=n) for n in (2, 0, 1))))

    assert store.read("cancer")["instance"].tolist() == [0, 1, 2]


def test_an_endpoint_with_no_records_reads_as_an_empty_typed_frame(store: LogStore) -> None:
    frame = store.read("nothing")

    assert len(frame) == 0
    assert list(frame.columns)[:3] == ["time", "request_id", "instance"]
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"


def test_has_request_finds_only_logged_requests_of_the_endpoint(store: LogStore) -> None:
    store.write("cancer", batch(record(0)))

    assert store.has_request("cancer", "req-0")
    assert not store.has_request("cancer", "req-1")
    assert not store.has_request("other", "req-0")


def test_prune_removes_what_is_older_than_the_cutoff_of_that_endpoint_only(
    store: LogStore,
) -> None:
    day = timedelta(days=1)
    store.write("cancer", batch(record(0, time=T0 - 3 * day), record(1, time=T0 - 2 * day)))
    store.write("cancer", batch(record(2)))
    store.write("other", batch(record(3, time=T0 - 3 * day)))

    removed = store.prune("cancer", T0 - day)

    assert removed == 2  # rows in the database, one file per day in Parquet
    assert store.read("cancer")["request_id"].tolist() == ["req-2"]
    assert store.read("other")["request_id"].tolist() == ["req-3"]
    assert store.prune("cancer", T0 - day) == 0


def test_an_unknown_store_is_refused_naming_the_two_forms(registry_at: Any, tmp_path: Path) -> None:
    registry = registry_at(f"sqlite:///{tmp_path / 'registry.db'}")

    with pytest.raises(ConfigError) as caught:
        open_store("s3://bucket", registry)

    assert str(caught.value) == "unknown log store 's3://bucket': expected registry or parquet:PATH"


def run_without_pandas_and_pyarrow(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter where pandas and pyarrow cannot be imported."""
    blocked = "import sys; sys.modules.update(pandas=None, pyarrow=None)\n"
    return subprocess.run(
        [sys.executable, "-c", blocked + textwrap.dedent(code)],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )  # fmt: skip


def test_the_database_store_writes_without_pandas_or_pyarrow(tmp_path: Path) -> None:
    done = run_without_pandas_and_pyarrow(
        """
        from datetime import UTC, datetime
        from modelyard.monitoring.store import Columns, open_store
        from modelyard.registry import Registry
        store = open_store("registry", Registry("sqlite:///log.db", "artifacts"))
        row = {"time": datetime.now(UTC), "request_id": "r", "instance": 0, "input.x": 1.5}
        store.write("cancer", Columns.from_records([row], {"input.x": "float"}))
        print(store.has_request("cancer", "r"))
        """,
        tmp_path,
    )

    assert (done.returncode, done.stdout, done.stderr) == (0, "True\n", "")


def test_a_parquet_store_without_pyarrow_names_the_extra(tmp_path: Path) -> None:
    done = run_without_pandas_and_pyarrow(
        """
        from modelyard.monitoring.store import open_store
        try:
            open_store("parquet:log", None)
        except Exception as error:
            print(type(error).__name__, error)
        """,
        tmp_path,
    )

    assert done.stdout == (
        'MissingExtraError logging.store: parquet needs pyarrow: pip install "modelyard[parquet]"\n'
    )


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError) as caught:
        Columns({"request_id": ["a", "b"], "input.x": [1.0]}, {"input.x": "float"})

    assert str(caught.value) == "log columns differ in length: [1, 2]"


def test_columns_without_a_kind_are_refused_by_name() -> None:
    with pytest.raises(ValueError) as caught:
        Columns.from_records([{"request_id": "a", "input.x": 1.0, "output.y": 2}], {})

    assert str(caught.value) == "log columns without a kind: input.x, output.y"


def test_columns_know_the_fixed_kinds_and_their_length() -> None:
    columns = Columns.from_records(
        [{"time": T0, "status": 200}, {"input.x": 1.5}], {"input.x": "float"}
    )

    assert len(columns) == 2
    assert columns.columns == {"time": [T0, None], "status": [200, None], "input.x": [None, 1.5]}
    assert columns.kinds["time"] == "time" and columns.kinds["status"] == "int"


def test_the_registry_store_needs_a_registry() -> None:
    with pytest.raises(ValueError, match=r"^the registry log store needs the Registry"):
        open_store("registry", None)
