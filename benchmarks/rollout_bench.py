"""Rollout benchmark: what each traffic strategy costs beside ``single``, in one run.

    python benchmarks/rollout_bench.py [--duration 5] [--rounds 5] [--no-pin] [--workdir DIR]

One modelyard server (one worker) serves the breast-cancer model (a scaled logistic
regression, ONNX, one-row records) from five endpoints that differ only by ``traffic:``:

- ``single``: version 1 answers everything (the baseline);
- ``ab``: versions 1 and 2 (the same package registered twice) at 50/50, no sticky key;
- ``ab-sticky``: the same, sticky on a header every request carries (a hash per request);
- ``canary``: version 2 as candidate at its first step, 50%, held there (a step that is never
  judged: ``min_requests`` out of reach);
- ``shadow``: version 1 answers, every request is copied to version 2 after the answer.

Then, with the server on both CPUs, wrk paces its requests (8 connections, each waiting
between requests) to about each of ``--rates`` requests/s: the latency a request sees when
the server is not saturated, which is where a shadow must not slow the primary (the closed
loop at 64 connections mostly measures the queue, which a lower throughput lengthens).

Beside them the bare uvicorn floor (``serve_bench.floor_app``). The machine's speed drifts,
so they are measured in alternation: ``--rounds`` rounds, each a ``wrk -t1`` run of every
endpoint at the same concurrency; each cell is the median over the rounds and each ratio to
``single`` the median of the per-round ratios. The server runs on CPU 0 and wrk on CPU 1
(``taskset``) unless ``--no-pin``; the endpoints' order rotates from round to round.
Concurrency 64 measures throughput, concurrency 1 a lone client's latency; beside requests/s
the server's CPU time per request is given, which the drifting speed moves far less. The
shadow's copies mirrored and dropped are read from its rollout status. Nothing here is
asserted; it prints a Markdown report for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson
import yaml
from serve_bench import (
    Result,
    Target,
    _median,
    floor_command,
    free_port,
    server,
    unpin,
    wrk,
)

from modelyard.demo import prepare
from modelyard.registry import Registry

MODEL = "breast_cancer@production"
TWO = {"one": MODEL, "two": "breast_cancer:2"}
ENDPOINTS: dict[str, dict[str, Any]] = {
    "single": {},
    "ab": {"strategy": "ab", "variants": TWO},
    "ab-sticky": {"strategy": "ab", "variants": TWO, "sticky": "header:X-User-Id"},
    "canary": {
        "strategy": "canary",
        "candidate": "breast_cancer:2",
        "steps": [50],
        "min_requests": 1_000_000_000,
        "interval": "1h",
        "deadline": "1000h",
    },
    "shadow": {"strategy": "shadow", "shadows": ["breast_cancer:2"], "percent": 100},
}


def prepare_registry(workdir: Path) -> tuple[str, str, Path, dict[str, float]]:
    """The demo's models, a second breast-cancer version, and the endpoints file."""
    demo = prepare(workdir / "demo")
    registry = Registry(demo.registry_url, demo.artifacts)
    registry.register(registry.fetch(MODEL))
    registry.close()
    endpoints = [
        {"id": name, "model": MODEL, **({"traffic": traffic} if traffic else {})}
        for name, traffic in ENDPOINTS.items()
    ]
    path = workdir / "endpoints.yaml"
    path.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    return demo.registry_url, demo.artifacts, path, demo.cancer_record


def modelyard_command(registry_url: str, artifacts: str, endpoints: Path, port: int) -> list[str]:
    code = (
        "from modelyard.serving.server import run; "
        f"run({str(endpoints)!r}, port={port}, registry={registry_url!r}, "
        f"artifacts={artifacts!r}, reload_interval_s=0)"
    )
    return [sys.executable, "-c", code]


def _rotated(targets: dict[str, Target], round_: int) -> list[str]:
    """The targets in this round's order: the floor first, the others rotated by one each
    round, so none always runs right after the same neighbour."""
    names = [name for name in targets if name != "floor"]
    shift = round_ % len(names)
    return ["floor"] * ("floor" in targets) + names[shift:] + names[:shift]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    targets: dict[str, Target], args: argparse.Namespace, workdir: Path, pids: dict[str, int]
) -> tuple[
    dict[int, dict[str, Result]], dict[int, dict[str, list[float]]], dict[int, dict[str, float]]
]:
    """Every target at every concurrency, in alternating rounds; medians, per-round ratios
    of throughput to ``single``, and the median server CPU time per request (µs): a figure
    the machine's drifting speed moves far less than throughput."""
    for target in targets.values():
        wrk(target, 8, 2, workdir, args.pin)  # warm-up
    medians: dict[int, dict[str, Result]] = {}
    ratios: dict[int, dict[str, list[float]]] = {}
    cpu: dict[int, dict[str, float]] = {}
    for connections in args.concurrency:
        rounds: dict[str, list[Result]] = {name: [] for name in targets}
        costs: dict[str, list[float]] = {name: [] for name in targets}
        for round_ in range(args.rounds):
            for name in _rotated(targets, round_):
                target, pid = targets[name], pids[name]
                before = cpu_seconds(pid)
                result = wrk(target, connections, args.duration, workdir, args.pin)
                used = cpu_seconds(pid) - before
                rounds[name].append(result)
                costs[name].append(used / (result.rps * args.duration) * 1e6)
                print(f"  {name} c={connections}: {result} {costs[name][-1]:.1f} µs CPU/request",
                      file=sys.stderr)  # fmt: skip
        cpu[connections] = {name: statistics.median(values) for name, values in costs.items()}
        medians[connections] = {name: _median(runs) for name, runs in rounds.items()}
        ratios[connections] = {
            name: [mine.rps / base.rps for base, mine in zip(rounds["single"], runs, strict=True)]
            for name, runs in rounds.items()
        }
    return medians, ratios, cpu


def measure_rates(
    targets: dict[str, Target], args: argparse.Namespace, workdir: Path
) -> dict[int, dict[str, Result]]:
    """Each target at each fixed rate, in alternating rounds; medians."""
    medians: dict[int, dict[str, Result]] = {}
    for rate in args.rates:
        rounds: dict[str, list[Result]] = {name: [] for name in targets}
        for round_ in range(args.rounds):
            for name in _rotated(targets, round_):
                paced = wrk(targets[name], 8, args.duration, workdir, delay_ms=8 * 1000 / rate)
                rounds[name].append(paced)
                print(f"  {name} at {rate}/s: {rounds[name][-1]}", file=sys.stderr)
        medians[rate] = {name: _median(runs) for name, runs in rounds.items()}
    return medians


def render(
    medians: dict[int, dict[str, Result]],
    ratios: dict[int, dict[str, list[float]]],
    cpu: dict[int, dict[str, float]],
    rated: dict[int, dict[str, Result]],
    shadow: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    lines = [
        f"`python benchmarks/rollout_bench.py --duration {args.duration:g} --rounds "
        f"{args.rounds}` (one worker{', server on CPU 0, wrk on CPU 1' if args.pin else ''}; "
        "medians over rounds; ratio = median of per-round throughput ratios to `single`)",
        "",
        "| endpoint | c | requests/s | vs single | server CPU µs/request | p50 ms | p99 ms "
        "| non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for connections, row in medians.items():
        for name, result in row.items():
            ratio = statistics.median(ratios[connections][name])
            shown = f"{ratio:.3f}" if name != "floor" else "-"
            lines.append(
                f"| {name} | {connections} | {result.rps:,.0f} | {shown} | "
                f"{cpu[connections][name]:.1f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | "
                f"{result.errors} |"
            )
    lines += [
        "",
        "Paced (8 connections, each waiting 8000/rate ms between requests; the server on "
        "both CPUs), p50 / p99 in ms:",
        "",
        "| endpoint | " + " | ".join(f"about {rate:,}/s" for rate in rated) + " |",
        "|---|" + "---|" * len(rated),
    ]
    for name in next(iter(rated.values()), {}):
        cells = [f"{row[name].p50_ms:.2f} / {row[name].p99_ms:.2f}" for row in rated.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Shadow copies: {shadow['mirrored']:,} mirrored, {shadow['dropped']:,} dropped "
        f"(queue full), {shadow['errors']} failed; agreement {shadow['agreement']}.",
    ]
    return "\n".join(lines)


class Floor(NamedTuple):
    """The bare HTTP server measured beside modelyard: where it answers, its process."""

    url: str
    pid: int


@contextlib.contextmanager
def beside_floor(
    workdir: Path, registry_url: str, artifacts: str, endpoints: Path, pin: bool
) -> Iterator[tuple[str, int, Floor]]:
    """A modelyard server of ``endpoints`` and the bare floor, both pinned to CPU 0 when
    ``pin`` (modelyard left on every CPU otherwise): its base URL, its pid, and the floor."""
    port, floor_port = free_port(), free_port()
    cpu0 = ["taskset", "-c", "0"] if pin else []
    command = [*cpu0, *modelyard_command(registry_url, artifacts, endpoints, port)]
    base = f"http://127.0.0.1:{port}"
    floor_url = f"http://127.0.0.1:{floor_port}/"
    with (
        server(command, f"{base}/v2/health/ready", cwd=workdir) as pid,
        server([*cpu0, *floor_command(floor_port)], floor_url, cwd=workdir) as floor_pid,
    ):
        if not pin:
            unpin(pid)
        yield base, pid, Floor(floor_url, floor_pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 1])
    parser.add_argument("--rates", type=int, nargs="*", default=[1000, 4000])
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelyard-rollout-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    registry_url, artifacts, endpoints, record = prepare_registry(workdir)
    body = orjson.dumps({"instances": [record]})
    with beside_floor(workdir, registry_url, artifacts, endpoints, args.pin) as (base, pid, floor):
        targets = {"floor": Target(floor.url, body)}
        targets |= {name: Target(f"{base}/endpoints/{name}/predict", body) for name in ENDPOINTS}
        sticky = (("X-User-Id", "user-12345"),)  # one key for all: the hash is what is measured
        targets["ab-sticky"] = Target(f"{base}/endpoints/ab-sticky/predict", body, headers=sticky)
        pids = {name: floor.pid if name == "floor" else pid for name in targets}
        medians, ratios, cpu = measure(targets, args, workdir, pids)
        unpin(pid)  # a deployment's server has both CPUs; a shadow's batches use the other
        del targets["floor"]
        rated = measure_rates(targets, args, workdir)
        shadow = httpx.get(f"{base}/endpoints/shadow/rollout", timeout=30).json()["shadows"][0]
    print(render(medians, ratios, cpu, rated, shadow, args))


if __name__ == "__main__":
    main()
