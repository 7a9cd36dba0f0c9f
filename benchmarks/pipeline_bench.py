"""Per-stage cost of a pipeline (encode, run, postprocess, format) for 1 row and for 64 rows.

Not a test: prints figures. The model is the breast-cancer logistic regression as ONNX with
the default pipeline (tabular records → onnx → standard keys → classification), plus the
same stages for a 100-tree random forest to show where a heavier model moves the cost.

    python benchmarks/pipeline_bench.py
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.package.builder import build_package
from modelyard.pipeline import Pipeline
from modelyard.pipeline.types import Resources

STAGES = ("encode", "run", "postprocess", "format", "predict", "+ orjson")
REPEATS = 7
BUDGET_S = 0.2


def per_call_us(call: Callable[[], Any]) -> float:
    """Best-of-``REPEATS`` mean time of ``call`` in µs (calls per repeat sized to the budget)."""
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < BUDGET_S / 4:
        call()
        calls += 1
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def stages(pipeline: Pipeline, payload: Any) -> dict[str, float]:
    """Cost of each stage, each measured on its own real input."""
    batch = pipeline.encode(payload)
    raw = pipeline.infer(batch.feeds)
    standard = pipeline.postprocess(raw)
    context = pipeline.output_context
    return {
        "encode": per_call_us(lambda: pipeline.encode(payload)),
        "run": per_call_us(lambda: pipeline.infer(batch.feeds)),
        "postprocess": per_call_us(lambda: pipeline.postprocess(raw)),
        "format": per_call_us(lambda: pipeline.formatter.format(standard, context)),
        "predict": per_call_us(lambda: pipeline.predict(payload)),
        "+ orjson": per_call_us(lambda: orjson.dumps(pipeline.predict(payload))),
    }


def table(title: str, pipeline: Pipeline, records: list[dict[str, float]]) -> None:
    """One line per batch size, one column per stage."""
    print(f"\n{title}")
    print(f"{'rows':>5}" + "".join(f"{name:>13}" for name in STAGES))
    for rows in (1, 64):
        figures = stages(pipeline, {"instances": records[:rows]})
        print(f"{rows:>5}" + "".join(f"{figures[name]:>11.1f}µs" for name in STAGES))


def main() -> None:
    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    records = X.head(64).to_dict(orient="records")
    models = {
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "random forest, 100 trees": RandomForestClassifier(n_estimators=100, random_state=0),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for label, model in models.items():
            folder = Path(tmp) / label.split()[0]
            build_package(model.fit(X, y), "breast_cancer", folder, sample=X.head(50))
            with Pipeline.from_package(folder) as pipeline:
                table(
                    f"breast cancer, {label}, onnx, 1 intra-op thread (default)", pipeline, records
                )
            cores = os.cpu_count() or 1
            with Pipeline.from_package(folder, resources=Resources(threads=cores)) as pipeline:
                run = per_call_us(partial(pipeline.infer, pipeline.encode(records).feeds))
                print(f"   64 rows, run with {cores} intra-op threads: {run:.1f}µs")


if __name__ == "__main__":
    main()
