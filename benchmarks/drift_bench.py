"""How long drift takes on a full window: ``python benchmarks/drift_bench.py``.

100,000 current rows x 30 numeric features against a 10,000-row reference (the largest a
package keeps), read from a real package as the server would read it. Half the features are
shifted by 0.2 sigma so both verdicts occur. Prints the seconds (median of ``--runs``) of
reading the reference and of measuring drift, and the peak memory the measurement allocates
(``tracemalloc``, numpy's buffers included); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from modelyard.monitoring.drift import measure_drift
from modelyard.monitoring.reference import load_reference
from modelyard.package.builder import build_package

FEATURES, REFERENCE_ROWS, CURRENT_ROWS = 30, 10_000, 100_000


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    columns = [f"f{i:02d}" for i in range(FEATURES)]
    train = pd.DataFrame(rng.normal(size=(20_000, FEATURES)), columns=columns)
    current = pd.DataFrame(rng.normal(size=(CURRENT_ROWS, FEATURES)), columns=columns)
    current[columns[::2]] += 0.2
    return train, current


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


if __name__ == "__main__":
    main()
