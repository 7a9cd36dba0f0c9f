"""Prediction-log benchmark: what logging costs the breast-cancer endpoint's throughput.

    python benchmarks/log_bench.py [--duration 5] [--rounds 5] [--no-pin] [--workdir DIR]

One modelyard server (one worker) serves the breast-cancer model (a scaled logistic
regression, ONNX, one-row records) from three endpoints that differ only by ``logging:``:

- ``off``: no prediction log (the baseline);
- ``log-1.0``: every request logged (``sample_rate: 1.0``) to the registry database (SQLite);
- ``log-0.1``: one request in ten logged;
- ``log-1.0-parquet``: every request logged to Parquet files instead of the database.

Beside them the bare uvicorn floor. As in ``rollout_bench.py`` they are measured in
alternating rounds (``wrk -t1`` at ``--concurrency``, the endpoints' order rotated each round,
the server on CPU 0 and wrk on CPU 1 unless ``--no-pin``); each ratio is the median of the
per-round throughput ratios to ``off``. The budgets are 10% (``log-1.0``) and 3%
(``log-0.1``). Also the request path's own cost of the capture, in process: a request the
sampling drops, and one it appends. Records written and dropped are read from ``/metrics``.
Nothing is asserted; it prints a Markdown report for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import timeit
from pathlib import Path

import httpx
import numpy as np
import orjson
import yaml
from rollout_bench import _rotated, beside_floor, cpu_seconds
from serve_bench import Result, Target, _median, wrk

from modelyard.demo import prepare
from modelyard.monitoring.capture import Capture
from modelyard.pipeline.spec import Logging

MODEL = "breast_cancer@production"
ENDPOINTS = {"off": None, "log-1.0": 1.0, "log-0.1": 0.1, "log-1.0-parquet": 1.0}
BUDGETS = {"log-1.0": 0.10, "log-0.1": 0.03, "log-1.0-parquet": 0.10}


def prepare_endpoints(workdir: Path) -> tuple[str, str, Path, dict[str, float]]:
    """The demo's models and an endpoints file of the three logging settings."""
    demo = prepare(workdir / "demo")
    endpoints = []
    for name, rate in ENDPOINTS.items():
        logging = {"sample_rate": rate} if rate else {}
        if name.endswith("parquet"):
            logging["store"] = f"parquet:{workdir / 'log'}"
        endpoints.append({"id": name, "model": MODEL, **({"logging": logging} if rate else {})})
    path = workdir / "endpoints.yaml"
    path.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    return demo.registry_url, demo.artifacts, path, demo.cancer_record


def capture_cost_us() -> dict[str, float]:
    """The request path's cost of the capture (µs): sampled out, and appended."""
    feeds = {"input": np.zeros((1, 30), np.float32)}
    answer = [{"label": "benign", "score": 0.9}]
    costs = {}
    for name, rate in (("dropped by sampling", 1e-9), ("appended", 1.0)):
        capture = Capture("bench", Logging(sample_rate=rate, buffer=10_000_000))
        calls = 200_000
        seconds = min(timeit.repeat(
            lambda c=capture: c.answered(None, None, "id", 0.001, feeds, answer, 0),
            number=calls, repeat=5,
        ))  # fmt: skip
        costs[name] = seconds / calls * 1e6
    return costs


def measure(
    targets: dict[str, Target], args: argparse.Namespace, workdir: Path, pids: dict[str, int]
) -> tuple[dict[str, Result], dict[str, list[float]], dict[str, float]]:
    """Alternating rounds at ``--concurrency``: medians, per-round ratios to ``off``, and the
    median server CPU time per request (µs)."""
    for target in targets.values():
        wrk(target, 8, 2, workdir, args.pin)  # warm-up
    rounds: dict[str, list[Result]] = {name: [] for name in targets}
    costs: dict[str, list[float]] = {name: [] for name in targets}
    for round_ in range(args.rounds):
        for name in _rotated(targets, round_):
            before = cpu_seconds(pids[name])
            result = wrk(targets[name], args.concurrency, args.duration, workdir, args.pin)
            rounds[name].append(result)
            used = cpu_seconds(pids[name]) - before
            costs[name].append(used / (result.rps * args.duration) * 1e6)
            print(f"  {name}: {result} {costs[name][-1]:.1f} µs CPU/request", file=sys.stderr)
    ratios = {
        name: [mine.rps / base.rps for base, mine in zip(rounds["off"], runs, strict=True)]
        for name, runs in rounds.items()
    }
    cpu = {name: statistics.median(values) for name, values in costs.items()}
    return {name: _median(runs) for name, runs in rounds.items()}, ratios, cpu


def log_counts(metrics: str) -> dict[str, dict[str, float]]:
    """Written and dropped records per endpoint, from ``/metrics``."""
    found: dict[str, dict[str, float]] = {}
    pattern = r'^modelyard_prediction_log_(written|dropped)_total\{endpoint="([^"]+)"\} (\S+)$'
    for kind, endpoint, value in re.findall(pattern, metrics, re.M):
        found.setdefault(endpoint, {})[kind] = float(value)
    return found


def render(
    medians: dict[str, Result],
    ratios: dict[str, list[float]],
    cpu: dict[str, float],
    counts: dict[str, dict[str, float]],
    capture: dict[str, float],
    args: argparse.Namespace,
) -> str:
    lines = [
        f"`python benchmarks/log_bench.py --duration {args.duration:g} --rounds {args.rounds}`"
        f" (one worker{', server on CPU 0, wrk on CPU 1' if args.pin else ''}; c="
        f"{args.concurrency}; medians over rounds; ratio = median of per-round ratios to `off`)",
        "",
        "| endpoint | requests/s | vs off | budget | server CPU µs/request | p50 ms | p99 ms "
        "| non-2xx | written | dropped |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in medians.items():
        ratio = f"{statistics.median(ratios[name]):.3f}" if name != "floor" else "-"
        budget = f"≥ {1 - BUDGETS[name]:.2f}" if name in BUDGETS else "-"
        seen = counts.get(name, {})
        lines.append(
            f"| {name} | {result.rps:,.0f} | {ratio} | {budget} | {cpu[name]:.1f} | "
            f"{result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.errors} | "
            f"{seen.get('written', 0):,.0f} | {seen.get('dropped', 0):,.0f} |"
        )
    lines += ["", "Capture on the request path (in process, µs per request): " + ", ".join(
        f"{name} {us:.2f}" for name, us in capture.items()
    ) + "."]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelyard-log-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    registry_url, artifacts, endpoints, record = prepare_endpoints(workdir)
    body = orjson.dumps({"instances": [record]})
    with beside_floor(workdir, registry_url, artifacts, endpoints, args.pin) as (base, pid, floor):
        targets = {"floor": Target(floor.url, body)}
        targets |= {name: Target(f"{base}/endpoints/{name}/predict", body) for name in ENDPOINTS}
        pids = {name: floor.pid if name == "floor" else pid for name in targets}
        medians, ratios, cpu = measure(targets, args, workdir, pids)
        counts = log_counts(httpx.get(f"{base}/metrics", timeout=30).text)
    print(render(medians, ratios, cpu, counts, capture_cost_us(), args))


if __name__ == "__main__":
    main()
