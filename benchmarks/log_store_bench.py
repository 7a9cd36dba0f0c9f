"""Rows per second the prediction log's database store writes, beside SQLAlchemy Core's insert.

    python benchmarks/log_store_bench.py [SQLALCHEMY_URL]   # default: a SQLite file in /tmp

A batch is 1,000 records of 30 float inputs and 4 float outputs (the breast-cancer endpoint's
shape), written in one transaction, as the server's writer thread sends them. Two ways are
timed on the same table: the store's own (``executemany`` on SQLite, a binary ``COPY`` on
PostgreSQL with psycopg) and SQLAlchemy Core ``insert()`` with a list of parameter dicts.
Each is the median of 7 rounds of 5 batches, as rows/s (wall) and as this process's CPU per
row: the share of a server's core the writer thread takes (PostgreSQL's own work is not in
it).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import MetaData, Table, create_engine

from modelyard.monitoring.columns import FIXED, Kind
from modelyard.monitoring.store import Columns, open_store
from modelyard.registry import Registry
from modelyard.registry.prediction_log import sql_name

ROWS = 1_000
ROUNDS = 7
BATCHES = 5


def batch() -> Columns:
    now = datetime.now(UTC)
    rng = random.Random(0)
    kinds: dict[str, Kind] = {f"input.feature {i}": "float" for i in range(30)}
    kinds |= {f"output.probabilities.class {i}": "float" for i in range(4)}
    columns = {
        "time": [now] * ROWS,
        "request_id": [f"req-{i}" for i in range(ROWS)],
        "instance": [0] * ROWS,
        "variant": ["main"] * ROWS,
        "model": ["breast_cancer"] * ROWS,
        "version": [1] * ROWS,
        "status": [200] * ROWS,
        "latency_ms": [rng.random() for _ in range(ROWS)],
        "error": [None] * ROWS,
    }
    columns |= {name: [rng.random() for _ in range(ROWS)] for name in kinds}
    return Columns(columns, kinds)


def rate(write: Callable[[], None]) -> tuple[float, float]:
    """Median rows/s of ``write()`` over the rounds, and median CPU µs per row."""
    rates, cpu = [], []
    for _ in range(ROUNDS):
        start, used = time.perf_counter(), time.process_time()
        for _ in range(BATCHES):
            write()
        rates.append(BATCHES * ROWS / (time.perf_counter() - start))
        cpu.append((time.process_time() - used) / (BATCHES * ROWS) * 1e6)
    return statistics.median(rates), statistics.median(cpu)


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    registry = Registry(url, tempfile.mkdtemp())
    store = open_store("registry", registry)
    records = batch()
    store.write("bench", records)  # adds the columns: not timed
    engine = create_engine(url)
    table = Table("prediction_log", MetaData(), autoload_with=engine)
    keys = {name: name if name in FIXED else sql_name(name, records.kinds[name])
            for name in records.columns}  # fmt: skip
    rows = [
        {"endpoint": "bench", **dict(zip(keys.values(), row, strict=True))}
        for row in zip(*(records.columns[name] for name in keys), strict=True)
    ]

    def core() -> None:
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)

    (ours, our_cpu), (theirs, their_cpu) = rate(lambda: store.write("bench", records)), rate(core)
    print(
        f"{engine.dialect.name}: store {ours:,.0f} rows/s ({our_cpu:.1f} µs CPU/row), "
        f"Core insert() {theirs:,.0f} rows/s ({their_cpu:.1f} µs CPU/row)"
    )
    engine.dispose()
    registry.close()


if __name__ == "__main__":
    main()
