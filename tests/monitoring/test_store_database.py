"""The database store's columns: added once when first seen, even by racing processes; a
kind conflict kept apart; SQL names PostgreSQL accepts; each endpoint reads its own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from test_store import KINDS, record

from modelyard.monitoring.columns import Kind
from modelyard.monitoring.store import Columns, open_store
from modelyard.registry import Registry, prediction_log
from modelyard.registry.prediction_log import sql_name
from modelyard.registry.schema import PREDICTION_LOG
from registry.conftest import postgres_url  # noqa: F401 - the PostgreSQL schema fixture


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database under test: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


def open_registry(url: str, tmp_path: Path) -> Registry:
    return Registry(url, str(tmp_path / "artifacts"), cache_dir=tmp_path / "cache")


def one(i: int, kinds: dict[str, Kind], **values: Any) -> Columns:
    base = {
        key: value for key, value in record(i).items() if not key.startswith(("input.", "output."))
    }
    return Columns.from_records([{**base, **values}], kinds)


def log_columns(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [column["name"] for column in inspect(connection).get_columns("prediction_log")]
    finally:
        engine.dispose()


def test_two_processes_adding_the_same_new_column_at_once_both_write(
    url: str, tmp_path: Path
) -> None:
    registries = [open_registry(url, tmp_path) for _ in range(4)]
    start = threading.Barrier(len(registries))
    failures: list[BaseException] = []

    def write(n: int, registry: Registry) -> None:
        store = open_store("registry", registry)
        start.wait()
        try:
            store.write("cancer", one(n, {"input.new": "float"}, **{"input.new": float(n)}))
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [
        threading.Thread(target=write, args=(n, registry)) for n, registry in enumerate(registries)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    frame = open_store("registry", registries[0]).read("cancer")
    assert sorted(frame["input.new"].tolist()) == [0.0, 1.0, 2.0, 3.0]
    added = [name for name in log_columns(url) if name.startswith("c_")]
    assert added == [sql_name("input.new", "float")]
    for registry in registries:
        registry.close()


def test_a_feature_logged_as_a_number_and_as_text_gets_a_column_of_each_kind(
    url: str, tmp_path: Path
) -> None:
    registry = open_registry(url, tmp_path)
    store = open_store("registry", registry)
    store.write("numbers", one(0, {"input.zone": "float"}, **{"input.zone": 2.5}))
    store.write("words", one(1, {"input.zone": "str"}, **{"input.zone": "north"}))

    numbers = store.read("numbers")["input.zone"]
    words = store.read("words")["input.zone"]

    assert (numbers.dtype, numbers.tolist()) == ("float64", [2.5])
    assert (words.dtype, words.tolist()) == ("string", ["north"])
    assert sql_name("input.zone", "float") != sql_name("input.zone", "str")
    registry.close()


def test_an_endpoint_whose_feature_changed_kind_reads_one_column_of_both(
    url: str, tmp_path: Path
) -> None:
    registry = open_registry(url, tmp_path)
    store = open_store("registry", registry)
    store.write("cancer", one(0, {"input.zone": "int"}, **{"input.zone": 4}))
    store.write("cancer", one(1, {"input.zone": "str"}, **{"input.zone": "north"}))

    assert store.read("cancer")["input.zone"].tolist() == [4, "north"]
    registry.close()


def test_reading_returns_only_the_columns_the_endpoint_logged(url: str, tmp_path: Path) -> None:
    registry = open_registry(url, tmp_path)
    store = open_store("registry", registry)
    store.write("iris", one(0, {"input.petal width": "float"}, **{"input.petal width": 0.2}))
    store.write("cancer", one(1, {"input.mean radius": "float"}, **{"input.mean radius": 14.0}))

    assert list(store.read("iris").columns[10:]) == ["input.petal width"]
    assert list(store.read("cancer").columns[10:]) == ["input.mean radius"]
    registry.close()


def test_a_new_column_seen_by_another_process_is_written_without_a_restart(
    url: str, tmp_path: Path
) -> None:
    first, second = open_registry(url, tmp_path), open_registry(url, tmp_path)
    kinds: dict[str, Kind] = {"input.a": "float"}
    open_store("registry", first).write("cancer", one(0, kinds, **{"input.a": 1.0}))
    open_store("registry", second).write("cancer", one(1, kinds, **{"input.a": 2.0}))
    open_store("registry", first).write(
        "cancer", one(2, {**kinds, "input.b": "str"}, **{"input.a": 3.0, "input.b": "x"})
    )

    frame = open_store("registry", second).read("cancer")

    assert frame["input.a"].tolist() == [1.0, 2.0, 3.0]
    assert frame["input.b"].tolist()[2] == "x"
    first.close()
    second.close()


def test_sql_names_are_short_safe_and_distinct_for_long_similar_names() -> None:
    long = "input." + "é" * 100
    names = {sql_name(long, "float"), sql_name(long + "x", "float"), sql_name("input.a b", "int")}

    assert len(names) == 3
    assert all(len(name.encode()) <= 63 for name in names)
    assert all(name.replace("_", "").isalnum() and name.isascii() for name in names)


def test_the_table_has_the_two_lookup_indexes(url: str, tmp_path: Path) -> None:
    open_registry(url, tmp_path).close()
    engine = create_engine(url)
    with engine.connect() as connection:
        indexes = {
            index["name"]: index["column_names"]
            for index in inspect(connection).get_indexes("prediction_log")
        }
        connection.execute(text("SELECT 1"))
    engine.dispose()

    assert indexes["ix_prediction_log_endpoint_time"] == ["endpoint", "time"]
    assert indexes["ix_prediction_log_endpoint_request"] == ["endpoint", "request_id"]


def test_a_prune_larger_than_a_chunk_removes_every_old_record(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prediction_log, "PRUNE_CHUNK", 2)
    registry = open_registry(url, tmp_path)
    store = open_store("registry", registry)
    store.write("cancer", Columns.from_records([record(i) for i in range(7)], KINDS))
    store.write("other", Columns.from_records([record(0, endpoint="other")], KINDS))

    removed = store.prune("cancer", record(5)["time"])

    assert removed == 5
    assert store.read("cancer")["request_id"].tolist() == ["req-5", "req-6"]
    assert len(store.read("other")) == 1
    registry.close()


def test_stored_values_are_exactly_what_sqlalchemy_binds(url: str, tmp_path: Path) -> None:
    """The store converts whole columns itself: each value must land as SQLAlchemy's own
    ``insert()`` stores it (a time in another zone, a whole second, an integer in a float
    column), read back raw from the same table."""
    registry = open_registry(url, tmp_path)
    paris = timezone(timedelta(hours=1))
    times = [
        datetime(2026, 11, 30, 23, 30, 0, 123456, tzinfo=paris),
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    ]
    rows = [
        record(i, time=moment, latency_ms=i + 1, endpoint="ours") for i, moment in enumerate(times)
    ]
    store = open_store("registry", registry)
    store.write("ours", Columns.from_records(rows, KINDS))
    fixed = [column.name for column in PREDICTION_LOG.columns]
    with create_engine(url).begin() as connection:
        connection.execute(
            PREDICTION_LOG.insert(), [{**{key: row[key] for key in fixed}, "endpoint": "core"}
                                     for row in rows],
        )  # fmt: skip
        quoted = ", ".join(f'"{key}"' for key in fixed if key != "endpoint")
        typed = ", ".join(f'typeof("{key}")' for key in fixed) if "sqlite" in url else "1"

        def raw(endpoint: str) -> list[Any]:
            query = f"SELECT {quoted}, {typed} FROM prediction_log WHERE endpoint = :e"
            return [tuple(row) for row in connection.execute(text(query), {"e": endpoint})]

        assert raw("ours") == raw("core")
    registry.close()


def test_a_naive_time_is_refused_as_sqlalchemy_refuses_it(url: str, tmp_path: Path) -> None:
    registry = open_registry(url, tmp_path)
    store = open_store("registry", registry)
    naive = record(0, time=datetime(2026, 11, 30, 22, 0))
    with pytest.raises(ValueError, match="registry timestamps must be timezone-aware"):
        store.write("cancer", Columns.from_records([naive], KINDS))
    registry.close()
