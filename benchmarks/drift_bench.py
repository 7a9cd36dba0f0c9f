"""How long drift takes on a full window: ``python benchmarks/drift_bench.py``.

100,000 current rows x 30 numeric features against a 10,000-row reference (the largest a
package keeps), read from a real package as the server would read it. Half the features are
shifted by 0.2 sigma so both verdicts occur. Prints the seconds (median of ``--runs``) of
reading the reference and of measuring drift, and the peak memory the measurement allocates
(``tracemalloc``, numpy's buffers included); then the whole of what the server does every
``drift_every``, with the rows logged first in a real log store (the registry's SQLite
database, and Parquet files): read the window back, compare it. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from modelyard.monitoring.columns import FIXED, Kind, input_column, output_column
from modelyard.monitoring.drift import measure_drift
from modelyard.monitoring.endpoint_drift import logged_inputs, logged_predictions
from modelyard.monitoring.reference import Reference, load_reference
from modelyard.monitoring.store import Columns, LogStore, open_store
from modelyard.package.builder import build_package
from modelyard.registry import Registry

FEATURES, REFERENCE_ROWS, CURRENT_ROWS = 30, 10_000, 100_000


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    columns = [f"f{i:02d}" for i in range(FEATURES)]
    train = pd.DataFrame(rng.normal(size=(20_000, FEATURES)), columns=columns)
    current = pd.DataFrame(rng.normal(size=(CURRENT_ROWS, FEATURES)), columns=columns)
    current[columns[::2]] += 0.2
    return train, current


def _log(store: LogStore, current: pd.DataFrame, batch: int = 10_000) -> None:
    """``current`` as logged records of one endpoint, spread over the last half hour."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    for first in range(0, len(current), batch):
        rows = current.iloc[first : first + batch]
        count = len(rows)
        columns: dict[str, list[object]] = {
            "time": [start + timedelta(milliseconds=first + i) for i in range(count)],
            "request_id": [f"r{first + i}" for i in range(count)],
            "instance": [0] * count,
            "endpoint": ["bench"] * count,
            "variant": ["primary"] * count,
            "model": ["drift"] * count,
            "version": [1] * count,
            "status": [200] * count,
            "latency_ms": [1.0] * count,
            "error": [None] * count,
            output_column("label"): [1] * count,
        }
        kinds: dict[str, Kind] = {output_column("label"): "int"}
        for name in rows.columns:
            columns[input_column(name)] = rows[name].tolist()
            kinds[input_column(name)] = "float"
        store.write("bench", Columns(columns, {**FIXED, **kinds}))


def _from_log(store: LogStore, reference: Reference, runs: int) -> list[float]:
    """Seconds to read the last hour back and measure its drift, as the server does."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        rows = store.read("bench", since=datetime.now(UTC) - timedelta(hours=1))
        measure_drift(reference, logged_inputs(rows))
        times.append(time.perf_counter() - start)
    assert logged_predictions(rows) is not None and len(rows) == CURRENT_ROWS
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    train, current = _frames()
    target = (train["f00"] + train["f01"] > 0).astype(int)
    model = LogisticRegression().fit(train, target)
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir) / "pkg"
        build_package(
            model,
            "drift",
            folder,
            sample=train.head(5),
            train_data=(train.assign(y=target)),
            target="y",
        )
        reads, measures = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            reference = load_reference(folder)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            report = measure_drift(reference, current)
            measures.append(time.perf_counter() - start)
        tracemalloc.start()
        measure_drift(reference, current)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        registry = Registry(f"sqlite:///{workdir}/registry.db", f"{workdir}/artifacts")
        stores = {
            "registry (SQLite)": open_store("registry", registry),
            "parquet": open_store(f"parquet:{workdir}/log", None),
        }
        logged = {}
        for name, store in stores.items():
            _log(store, current)
            logged[name] = _from_log(store, reference, args.runs)
        registry.close()

    assert reference.frame is not None
    print(
        f"reference {len(reference.frame)} rows, current {len(current)} rows x {FEATURES} "
        f"features; methods {sorted({f.method for f in report.features if f.method})}; "
        f"{report.dataset.drifted_features} drifted"
    )
    print(f"load_reference: median {statistics.median(reads) * 1000:.1f} ms")
    print(
        f"measure_drift: median {statistics.median(measures):.3f} s over {args.runs} runs "
        f"(min {min(measures):.3f} s)"
    )
    print(
        f"peak memory allocated while measuring: {peak / 2**20:.1f} MiB "
        f"(the current frame itself: {current.memory_usage().sum() / 2**20:.1f} MiB)"
    )
    for name, times in logged.items():
        print(
            f"read the window back from the {name} log and measure: median "
            f"{statistics.median(times):.3f} s over {args.runs} runs (min {min(times):.3f} s)"
        )


if __name__ == "__main__":
    main()
