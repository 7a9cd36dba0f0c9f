"""Batch scoring against its floor: ``python benchmarks/batch_bench.py [--rows 1000000]``.

The demo's breast-cancer model (a scaled logistic regression, ONNX) scores a Parquet file of
``--rows`` rows (the 569 bundled rows repeated with noise, 30 float features and an id) with
``modelyard.score``, beside the floor: a bare loop that reads the same chunks with pyarrow,
copies each column straight into the model's float32 matrix and calls onnxruntime, nothing
else (no validation, no answer written). Both run with the same threads: one process and
one ONNX Runtime thread, then ``--workers`` processes against a bare loop given as many
intra-op threads (pyarrow decodes with its own thread pool in both). Rounds alternate (floor,
modelyard, floor, ...); the best and the median of each are printed with their ratio (the
best is the steadier figure on a machine whose memory speed wanders).

``--memory`` then runs each size of ``--memory-rows`` in a child process of its own and prints
its peak resident memory (``ru_maxrss``): streaming means the peak does not grow with the
input. ``--mlflow PYTHON`` adds ``mlflow models predict`` on the same model and file, run by
that interpreter (an environment with mlflow and scikit-learn), for comparison only.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard import score
from modelyard.api import log_model
from modelyard.registry import Registry

CHUNK_ROWS = 100_000
ROW_GROUP_ROWS = 100_000


def make_input(path: Path, rows: int) -> None:
    """``rows`` rows like breast_cancer's (noisy repeats), written one row group at a time."""
    data = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    rng = np.random.default_rng(0)
    writer: pq.ParquetWriter | None = None
    for first in range(0, rows, ROW_GROUP_ROWS):
        count = min(ROW_GROUP_ROWS, rows - first)
        picked = data.iloc[rng.integers(0, len(data), count)].reset_index(drop=True)
        picked = picked * rng.normal(1.0, 0.01, size=picked.shape)
        picked.insert(0, "id", np.arange(first, first + count))
        table = pa.Table.from_pandas(picked, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def register(root: Path) -> tuple[Registry, Path]:
    """The breast-cancer model registered @production; the path of its ONNX file."""
    cancer = load_breast_cancer(as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(cancer.data, cancer.target)
    registry = Registry(f"sqlite:///{root}/registry.db", str(root / "artifacts"))
    version = log_model(model, "breast_cancer", sample=cancer.data.head(50), registry=registry)
    registry.set_alias("breast_cancer", "production", version.version, reason="bench")
    onnx = next(registry.fetch(version).rglob("*.onnx"))
    return registry, onnx


def bare_loop(onnx: Path, data: Path, threads: int) -> float:
    """Rows/s of pyarrow chunks straight into onnxruntime: the floor."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    features = [c for c in pq.read_schema(data).names if c != "id"]
    started, rows = time.perf_counter(), 0
    for batch in pq.ParquetFile(data).iter_batches(batch_size=CHUNK_ROWS, columns=features):
        matrix = np.empty((batch.num_rows, len(features)), dtype=np.float32)
        for j, column in enumerate(batch.columns):  # straight into the model's float32 input
            matrix[:, j] = column.to_numpy()
        session.run(None, {name: matrix})
        rows += batch.num_rows
    return rows / (time.perf_counter() - started)


def modelyard_run(registry: Registry, data: Path, out: Path, workers: int) -> float:
    summary = score(
        "breast_cancer@production", input=data, output=out, keep=["id"],
        chunk_rows=CHUNK_ROWS, workers=workers, registry=registry,
    )  # fmt: skip
    return summary.rows / summary.seconds


def compare(
    registry: Registry, onnx: Path, data: Path, root: Path, rounds: int, workers: int
) -> None:
    for label, processes in (("1 process, 1 thread", 1), (f"{workers} processes/threads", workers)):
        floor, ours = [], []
        for i in range(rounds):
            floor.append(bare_loop(onnx, data, processes))
            ours.append(modelyard_run(registry, data, root / f"out-{i}.parquet", processes))
        for summary, pick in (("best", max), ("median", statistics.median)):
            f, m = pick(floor), pick(ours)
            print(
                f"{label}, {summary} of {rounds}: bare onnxruntime loop {f:,.0f} rows/s, "
                f"modelyard batch {m:,.0f} rows/s = {m / f:.0%} of the floor"
            )


def prepare(rows: int, root: Path) -> None:
    """Child: the registry and the input file of ``rows`` rows, in ``root``."""
    register(root)
    make_input(root / "input.parquet", rows)


def peak_rss(root: Path, workers: int) -> None:
    """Child: score ``root``'s input and print the peak RSS of this process and its workers
    (nothing else ran in this process, so the peak is the run's)."""
    registry = Registry(f"sqlite:///{root}/registry.db", str(root / "artifacts"), create=False)
    rows = modelyard_run(registry, root / "input.parquet", root / "out.parquet", workers)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"rows_per_s": rows, "peak_mib": own / 1024, "worker_mib": children / 1024}))


def memory(sizes: list[int], workers: int) -> None:
    for rows in sizes:
        with tempfile.TemporaryDirectory() as folder:
            child = [sys.executable, __file__, "--root", folder, "--workers", str(workers)]
            subprocess.run([*child, "--prepare", str(rows)], check=True)
            done = subprocess.run(
                [*child, "--peak-rss"], capture_output=True, text=True, check=True
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{rows:>11,} rows: peak RSS {figures['peak_mib']:,.0f} MiB in the run's process, "
                f"{figures['worker_mib']:,.0f} MiB in its largest worker "
                f"({figures['rows_per_s']:,.0f} rows/s)"
            )


_MLFLOW_SCRIPT = """
import subprocess, sys, time
import mlflow.sklearn, pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
data, root = sys.argv[1], sys.argv[2]
cancer = load_breast_cancer(as_frame=True)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
mlflow.sklearn.save_model(model.fit(cancer.data, cancer.target), root + "/mlflow-model")
frame = pd.read_parquet(data).drop(columns="id")
frame.to_csv(root + "/input.csv", index=False)
started = time.perf_counter()
command = ["-m", "mlflow", "models", "predict", "-m", root + "/mlflow-model", "-t", "csv",
           "-i", root + "/input.csv", "-o", root + "/mlflow-out.json", "--env-manager", "local"]
subprocess.run([sys.executable, *command], check=True, capture_output=True)
print(len(frame) / (time.perf_counter() - started))
"""


def mlflow_predict(python: str, data: Path, root: Path) -> None:
    """``mlflow models predict`` on the same model (saved as an MLflow sklearn model) and rows."""
    done = subprocess.run(
        [python, "-c", _MLFLOW_SCRIPT, str(data), str(root)], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"mlflow models predict: not measured ({done.stderr.strip().splitlines()[-1:]})")
        return
    rate = float(done.stdout.strip().splitlines()[-1])
    print(f"mlflow models predict (CSV in, whole file in memory): {rate:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="0: only --memory")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--memory-rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--mlflow", metavar="PYTHON")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--peak-rss", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, Path(args.root))
        return
    if args.peak_rss:
        peak_rss(Path(args.root), args.workers)
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if not args.rounds:
            memory(args.memory_rows, args.workers)
            return
        registry, onnx = register(root)
        data = root / "input.parquet"
        make_input(data, args.rows)
        print(f"{args.rows:,} rows x 30 features, chunks of {CHUNK_ROWS:,}")
        compare(registry, onnx, data, root, args.rounds, args.workers)
        if args.mlflow:
            mlflow_predict(args.mlflow, data, root)
    if args.memory:
        memory(args.memory_rows, args.workers)


if __name__ == "__main__":
    main()
