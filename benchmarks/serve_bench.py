"""Serving benchmark: modelyard beside its two floors and two Python peers, in one run.

    python benchmarks/serve_bench.py [--duration 10] [--rounds 3] [--no-pin] [--no-peers]
                                     [--workdir DIR]

What runs (one worker each, `wrk -t1` as the load generator in its own process, one-row
requests, concurrency 1, 8 and 64):

- floor 1, in-process model call: onnxruntime's ``session.run`` on one row, and modelyard's
  ``Endpoint.predict`` (encode + infer + finish) in the same process, no HTTP;
- floor 2, bare uvicorn: a raw ASGI app (uvloop + httptools) answering a constant JSON;
- a reference, not a floor: the leanest batched model server we could write by hand
  (``minimal_app.py``: orjson, one ONNX call per event-loop tick, none of modelyard's checks,
  metrics or headers), to show how close to the floor a Python server doing the model's
  work gets on this machine;
- modelyard on the breast-cancer endpoint (a scaled logistic regression, ONNX, records);
- modelyard on a digits MLP (two 2048-wide hidden layers, about a millisecond per row) with
  micro-batching on and off;
- peers on the same two models: MLServer 1.7.1 (its scikit-learn runtime, adaptive batching
  on; venv from ``.ci/setup-mlserver.sh``) and LitServe (onnxruntime on the same ONNX file,
  batching on; venv at ``$MODELYARD_LITSERVE_VENV``, default /opt/modelyard-litserve).

Machine speed here drifts by up to 40% within minutes, so the floor, the reference and
modelyard's breast-cancer endpoint (what the 60% target compares) are measured in
alternation: ``--rounds`` rounds, each a run of every one at the same concurrency, all three
servers up; each cell is the median over the rounds and each ratio the median of the
per-round ratios. With two or more CPUs (and ``--no-pin`` not given) these servers run on
CPU 0 and wrk on CPU 1 (``taskset``), so none competes with the load generator for a core.
Then modelyard is unpinned for the MLP runs, and the peers are not pinned: their model
workers are separate processes and may use both cores, as modelyard's runner thread may.

It prints a Markdown report (figures, per-stage breakdown from modelyard's own histograms)
for BENCHMARKS.md. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

CONCURRENCY = (1, 8, 64)
MLSERVER_VENV = Path(os.environ.get("MODELYARD_MLSERVER_VENV", "/opt/modelyard-mlserver"))
LITSERVE_VENV = Path(os.environ.get("MODELYARD_LITSERVE_VENV", "/opt/modelyard-litserve"))
_FLOOR_BODY = b'{"predictions":[{"label":1,"score":0.99}],"model":{"name":"m","version":1}}'


async def floor_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The bare-uvicorn floor: read the request, answer a constant JSON."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    length = str(len(_FLOOR_BODY)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", length)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _FLOOR_BODY})


# -- models ---------------------------------------------------------------------------------


@dataclass
class Models:
    """What the servers load: the registry, endpoint files, peer model files, request rows."""

    registry_url: str
    artifacts: str
    endpoints_file: Path
    cancer_onnx: Path
    mlp_onnx: Path
    cancer_joblib: Path
    mlp_joblib: Path
    cancer_row: list[float]
    mlp_row: list[float]


def _onnx_file(registry: Any, ref: str) -> Path:
    version = registry.get(ref)
    return registry.fetch(version) / version.manifest.model_file


def prepare(workdir: Path) -> Models:
    """Register the demo models plus the MLP; export the same models for the peers."""
    import joblib
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from modelyard import demo
    from modelyard.api import log_model
    from modelyard.registry import Registry

    made = demo.prepare(workdir)
    registry = Registry(made.registry_url, made.artifacts, cache_dir=workdir / "cache")
    digits = load_digits(as_frame=True)
    features = digits.data.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs suffice: only the cost is measured
        mlp = MLPClassifier((2048, 2048), max_iter=3, random_state=0).fit(features, digits.target)
    version = log_model(mlp, "digits_mlp", sample=features.head(20), registry=registry)
    registry.set_alias("digits_mlp", "production", version.version, reason="benchmark")
    cancer = load_breast_cancer(as_frame=True)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    lr.fit(cancer.data.astype(np.float32), cancer.target)
    joblib.dump(lr, workdir / "cancer.joblib")
    joblib.dump(mlp, workdir / "mlp.joblib")
    endpoints = workdir / "bench-endpoints.yaml"
    endpoints.write_text(
        "endpoints:\n"
        "  - {id: breast-cancer, model: breast_cancer@production, runner: {threads: 1}}\n"
        "  - {id: mlp, model: digits_mlp@production,\n"
        "     batching: {max_batch_size: 64, max_wait_ms: 2}}\n"
        "  - {id: mlp-unbatched, model: digits_mlp@production,\n"
        "     batching: {max_batch_size: 1, max_wait_ms: 0}}\n",
        encoding="utf-8",
    )
    models = Models(
        registry_url=made.registry_url,
        artifacts=made.artifacts,
        endpoints_file=endpoints,
        cancer_onnx=_onnx_file(registry, "breast_cancer@production"),
        mlp_onnx=_onnx_file(registry, "digits_mlp@production"),
        cancer_joblib=workdir / "cancer.joblib",
        mlp_joblib=workdir / "mlp.joblib",
        cancer_row=[float(v) for v in cancer.data.iloc[0]],
        mlp_row=[float(v) for v in features.iloc[0]],
    )
    registry.close()
    return models


# -- load generation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An HTTP route under test and the one-row request it gets."""

    url: str
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Result:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


LOAD_CPU = ["taskset", "-c", "1"]
SERVER_CPU = ["taskset", "-c", "0"]


def wrk(target: Target, connections: int, duration: float, workdir: Path,
        pin: bool = False, delay_ms: float | None = None) -> Result:  # fmt: skip
    """Run ``wrk -t1`` against ``target`` and read requests/s, p50, p99 and non-2xx.

    With ``delay_ms`` each connection waits that long between requests (wrk's ``delay()``),
    which paces the load to about ``connections * 1000 / delay_ms`` requests/s."""
    script = workdir / "post.lua"
    body = target.body.decode().replace("\\", "\\\\").replace("]]", "] ]")
    headers = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in target.headers)
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = [[{body}]]\n'
        f'wrk.headers["Content-Type"] = "{target.content_type}"\n{headers}'
        + (f"function delay()\n  return {delay_ms:g}\nend\n" if delay_ms else ""),
        encoding="utf-8",
    )
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", str(script)]
    if pin:
        command = [*LOAD_CPU, *command]
    out = subprocess.run([*command, target.url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(rps, p50, p99, int(errors.group(1)) if errors else 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], ready_url: str, *, cwd: Path, env: dict[str, str] | None = None,
           deadline_s: float = 120) -> Iterator[int]:  # fmt: skip
    """Start ``command``, wait until ``ready_url`` answers 200, give its pid, stop it afterwards.

    The server runs in a process group of its own, and the whole group is stopped: LitServe
    and MLServer start worker processes that outlive their parent and would otherwise keep
    spinning through every later measurement.
    """
    log = (cwd / "server.log").open("ab")
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=log, stderr=log, start_new_session=True)  # fmt: skip
    try:
        give_up = time.monotonic() + deadline_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited early; see {cwd / 'server.log'}")
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > give_up:
                raise RuntimeError(f"{ready_url} not ready after {deadline_s} s")
            time.sleep(0.2)
        yield process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(1)  # let the group's other processes go before the next measurement
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


# -- servers --------------------------------------------------------------------------------


def modelyard_command(models: Models, port: int) -> list[str]:
    code = (
        "from modelyard.serving.server import run; "
        f"run({str(models.endpoints_file)!r}, port={port}, registry={models.registry_url!r}, "
        f"artifacts={models.artifacts!r}, reload_interval_s=0)"
    )
    return [sys.executable, "-c", code]


def unpin(pid: int) -> None:
    """Let every thread of process ``pid`` run on every CPU again."""
    every_cpu = f"0-{(os.cpu_count() or 1) - 1}"
    subprocess.run(["taskset", "-a", "-p", "-c", every_cpu, str(pid)], check=True,
                   capture_output=True)  # fmt: skip


def floor_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent),
            "serve_bench:floor_app", "--port", str(port), "--loop", "uvloop", "--http",
            "httptools", "--no-access-log", "--log-level", "warning"]  # fmt: skip


def mlserver_setup(models: Models, workdir: Path, port: int) -> list[str]:
    """A model repository with both models (scikit-learn runtime, adaptive batching on)."""
    root = workdir / "mlserver"
    for name, source in (("cancer", models.cancer_joblib), ("mlp", models.mlp_joblib)):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / "model.joblib")
        settings = {"name": name, "implementation": "mlserver_sklearn.SKLearnModel",
                    "parameters": {"uri": "./model.joblib"},
                    "max_batch_size": 64, "max_batch_time": 0.002}  # fmt: skip
        (folder / "model-settings.json").write_text(json.dumps(settings))
    (root / "settings.json").write_text(json.dumps({
        "host": "127.0.0.1", "http_port": port, "grpc_port": free_port(),
        "metrics_port": free_port(), "metrics_endpoint": None,
    }))  # fmt: skip
    return [str(MLSERVER_VENV / "bin" / "mlserver"), "start", str(root)]


_LITSERVE_APP = """
import sys
import numpy as np
import litserve as ls
import onnxruntime as ort

class Api(ls.LitAPI):
    def setup(self, device):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(sys.argv[1], options)
        self.input = self.session.get_inputs()[0].name
    def decode_request(self, request):
        return np.asarray(request["instances"], dtype=np.float32)
    def batch(self, inputs):
        return np.concatenate(inputs)
    def predict(self, x):
        return self.session.run(None, {self.input: x})[1]
    def unbatch(self, output):
        return [row[None, :] for row in output]
    def encode_response(self, output):
        return {"predictions": output.tolist()}

if __name__ == "__main__":
    api = Api(max_batch_size=64, batch_timeout=0.002)
    ls.LitServer(api, accelerator="cpu").run(host="127.0.0.1", port=int(sys.argv[2]),
                                             generate_client_file=False)
"""


def litserve_command(onnx_file: Path, workdir: Path, port: int) -> list[str]:
    script = workdir / "litserve_app.py"
    script.write_text(_LITSERVE_APP)
    return [str(LITSERVE_VENV / "bin" / "python"), str(script), str(onnx_file), str(port)]


# -- in-process floor -----------------------------------------------------------------------


def in_process(models: Models, record: dict[str, float]) -> dict[str, float]:
    """Median microseconds of one-row calls without HTTP."""
    import onnxruntime as ort

    from modelyard.pipeline import load_endpoints
    from modelyard.registry import Registry

    def median_us(call: Any, repeat: int = 2000) -> float:
        for _ in range(50):
            call()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return float(np.median(times) * 1e6)

    figures = {}
    for label, path, row in (("cancer", models.cancer_onnx, models.cancer_row),
                             ("mlp", models.mlp_onnx, models.mlp_row)):  # fmt: skip
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(str(path), options)
        feeds = {session.get_inputs()[0].name: np.asarray([row], dtype=np.float32)}
        figures[f"onnxruntime session.run, 1 row ({label})"] = median_us(
            lambda s=session, f=feeds: s.run(None, f), 200 if label == "mlp" else 2000
        )
    registry = Registry(models.registry_url, models.artifacts)
    endpoint = load_endpoints(models.endpoints_file, registry)["breast-cancer"]
    payload = {"instances": [record]}
    figures["modelyard Endpoint.predict, 1 record (cancer)"] = median_us(
        lambda: endpoint.predict(payload)
    )
    return figures


# -- the run --------------------------------------------------------------------------------


def _series(metrics_text: str, metric: str, endpoint: str) -> dict[str, float]:
    """``{label text: value}`` of one metric's series for ``endpoint`` in /metrics text."""
    pattern = re.compile(rf'^{metric}\{{endpoint="{re.escape(endpoint)}",([^}}]*)\}} (\S+)$', re.M)
    return {labels: float(value) for labels, value in pattern.findall(metrics_text)}


def stage_means(before: str, after: str, endpoint: str) -> dict[str, float]:
    """Mean microseconds per request of each stage between two scrapes, and rows per batch."""

    def delta(metric: str) -> dict[str, float]:
        old = _series(before, metric, endpoint)
        return {k: v - old.get(k, 0.0) for k, v in _series(after, metric, endpoint).items()}

    sums = delta("modelyard_stage_duration_seconds_sum")
    counts = delta("modelyard_stage_duration_seconds_count")
    means = {
        re.search(r'stage="(\w+)"', labels).group(1): sums[labels] / max(1.0, counts[labels]) * 1e6  # type: ignore[union-attr]
        for labels in sums
    }
    rows = sum(delta("modelyard_batch_size_rows_sum").values())
    batches = sum(delta("modelyard_batch_size_rows_count").values())
    means["rows per batch"] = rows / max(1.0, batches)
    return means


def measure(name: str, target: Target, args: argparse.Namespace, workdir: Path,
            report: dict[str, dict[int, Result]], stages: dict[str, Any] | None = None,
            metrics_url: str | None = None, endpoint: str = "") -> None:  # fmt: skip
    """wrk at each concurrency; for modelyard also the stage means during the c=64 run."""
    wrk(target, 8, 2, workdir, args.pin)  # warm-up
    results = {}
    for connections in args.concurrency:
        before = httpx.get(metrics_url).text if metrics_url else ""
        results[connections] = wrk(target, connections, args.duration, workdir, args.pin)
        if metrics_url and stages is not None and connections == max(args.concurrency):
            stages[name] = stage_means(before, httpx.get(metrics_url).text, endpoint)
        print(f"  {name} c={connections}: {results[connections]}", file=sys.stderr)
    report[name] = results


def _median(results: list[Result]) -> Result:
    """Each figure's median over rounds (the cell of the report)."""
    return Result(
        statistics.median(r.rps for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
    )


def measure_rounds(targets: dict[str, Target], args: argparse.Namespace, workdir: Path,
                   metrics_url: str) -> tuple[dict[str, dict[int, Result]],
                                              dict[str, dict[int, list[float]]],
                                              dict[str, float]]:  # fmt: skip
    """Servers in alternation, the floor first: per concurrency, ``args.rounds`` rounds of one
    run each. Returns each server's medians, each round's ratio to the floor's run of the same
    round, and the stage means of modelyard's breast-cancer endpoint at the top concurrency."""
    for target in targets.values():
        wrk(target, 8, 2, workdir, args.pin)  # warm-up
    floor, *others = targets
    medians: dict[str, dict[int, Result]] = {name: {} for name in targets}
    ratios: dict[str, dict[int, list[float]]] = {name: {} for name in others}
    stages: dict[str, float] = {}
    for connections in args.concurrency:
        rounds: dict[str, list[Result]] = {name: [] for name in targets}
        before = httpx.get(metrics_url).text
        for _ in range(args.rounds):
            for name, target in targets.items():
                rounds[name].append(wrk(target, connections, args.duration, workdir, args.pin))
                print(f"  {name} c={connections}: {rounds[name][-1]}", file=sys.stderr)
        if connections == max(args.concurrency):
            stages = stage_means(before, httpx.get(metrics_url).text, "breast-cancer")
        for name, results in rounds.items():
            medians[name][connections] = _median(results)
        for name in others:
            pairs = zip(rounds[floor], rounds[name], strict=True)
            ratios[name][connections] = [mine.rps / base.rps for base, mine in pairs]
    return medians, ratios, stages


def minimal_command(
    models: Models, columns: list[str], port: int
) -> tuple[list[str], dict[str, str]]:
    """The hand-written reference server (``minimal_app.py``) and its environment."""
    command = [sys.executable, "-m", "uvicorn", "--factory", "--app-dir",
               str(Path(__file__).parent), "minimal_app:build", "--port", str(port),
               "--loop", "uvloop", "--http", "httptools", "--no-access-log",
               "--log-level", "warning"]  # fmt: skip
    env = {"MODELYARD_BENCH_ONNX": str(models.cancer_onnx),
           "MODELYARD_BENCH_COLUMNS": json.dumps(columns)}  # fmt: skip
    return command, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY))
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    args.pin = args.pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelyard-bench-"))
    print(f"preparing models in {workdir}", file=sys.stderr)
    models = prepare(workdir)
    from sklearn.datasets import load_breast_cancer

    names = list(load_breast_cancer(as_frame=True).data.columns)
    record = dict(zip(names, models.cancer_row, strict=True))
    native_cancer = json.dumps({"instances": [record]}).encode()
    native_mlp = json.dumps({"instances": [models.mlp_row]}).encode()
    report: dict[str, dict[int, Result]] = {}
    stages: dict[str, Any] = {}
    floors = in_process(models, record)

    pinned = SERVER_CPU if args.pin else []
    floor_port, minimal_port, port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    floor_url = f"http://127.0.0.1:{floor_port}/"
    minimal_url = f"http://127.0.0.1:{minimal_port}/"
    minimal, minimal_env = minimal_command(models, names, minimal_port)
    floor_name = "bare uvicorn, constant JSON (floor)"
    minimal_name = "minimal hand-written batched app (reference, minimal_app.py)"
    cancer = "modelyard, breast-cancer (LR, 1 record)"
    with (
        server([*pinned, *floor_command(floor_port)], floor_url, cwd=workdir),
        server([*pinned, *minimal], minimal_url, cwd=workdir, env=minimal_env),
        server(
            [*pinned, *modelyard_command(models, port)], f"{base}/v2/health/ready", cwd=workdir
        ) as modelyard_pid,
    ):
        medians, ratios, stages[cancer] = measure_rounds(
            {
                floor_name: Target(floor_url, native_cancer),
                minimal_name: Target(minimal_url, native_cancer),
                cancer: Target(f"{base}/endpoints/breast-cancer/predict", native_cancer),
            },
            args,
            workdir,
            f"{base}/metrics",
        )
        report.update(medians)
        if args.pin:
            # The MLP is compared with peers that may use both cores: so may modelyard, whose
            # MLP batches run in a thread beside the event loop.
            unpin(modelyard_pid)
        for name, endpoint in (
            ("modelyard, MLP, batching on", "mlp"),
            ("modelyard, MLP, batching off", "mlp-unbatched"),
        ):
            target = Target(f"{base}/endpoints/{endpoint}/predict", native_mlp)
            measure(name, target, args, workdir, report, stages, f"{base}/metrics", endpoint)

    missing = [v for v in (MLSERVER_VENV, LITSERVE_VENV) if not (v / "bin" / "python").exists()]
    if missing and not args.no_peers:
        sys.exit(
            f"peer environments missing: {', '.join(map(str, missing))}; run "
            "benchmarks/setup-peers.sh (MLServer through .ci/setup-mlserver.sh, and "
            "litserve onnxruntime numpy in $MODELYARD_LITSERVE_VENV), or pass --no-peers"
        )
    if not args.no_peers:
        v2_body = {
            "cancer": json.dumps(
                {
                    "inputs": [
                        {
                            "name": "predict",
                            "shape": [1, 30],
                            "datatype": "FP32",
                            "data": models.cancer_row,
                        }
                    ]
                }
            ).encode(),
            "mlp": json.dumps(
                {
                    "inputs": [
                        {
                            "name": "predict",
                            "shape": [1, 64],
                            "datatype": "FP32",
                            "data": models.mlp_row,
                        }
                    ]
                }
            ).encode(),
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(mlserver_setup(models, workdir, port), f"{base}/v2/health/ready", cwd=workdir):
            for label, model in (("LR", "cancer"), ("MLP", "mlp")):
                target = Target(f"{base}/v2/models/{model}/infer", v2_body[model])
                measure(f"MLServer 1.7.1, {label}", target, args, workdir, report)
        for label, onnx_file, body in (
            ("LR", models.cancer_onnx, json.dumps({"instances": [models.cancer_row]}).encode()),
            ("MLP", models.mlp_onnx, native_mlp),
        ):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with server(litserve_command(onnx_file, workdir, port), f"{base}/health", cwd=workdir):
                measure(
                    f"LitServe, {label}", Target(f"{base}/predict", body), args, workdir, report
                )

    print(render(report, stages, floors, args, ratios))


def render(report: dict[str, dict[int, Result]], stages: dict[str, Any],
           floors: dict[str, float], args: argparse.Namespace,
           ratios: dict[str, dict[int, list[float]]]) -> str:  # fmt: skip
    """The Markdown tables for BENCHMARKS.md."""
    pinning = "those three on CPU 0 (then modelyard unpinned for the MLP), wrk on CPU 1"
    pinning = pinning if args.pin else "not pinned"
    lines = [f"Run at {time.strftime('%Y-%m-%d %H:%M')}, load average before: "
             f"{os.getloadavg()[0]:.2f}, {args.duration:g} s per run; floor, reference and "
             f"breast cancer in {args.rounds} alternating rounds (medians), {pinning}.",
             ""]  # fmt: skip
    header = (
        "| server | "
        + " | ".join(f"c={c} req/s | c={c} p50 ms | c={c} p99 ms" for c in args.concurrency)
        + " |"
    )
    lines += [header, "|" + "---|" * (1 + 3 * len(args.concurrency))]
    for name, results in report.items():
        cells = []
        for c in args.concurrency:
            r = results[c]
            flag = f" ({r.errors} non-2xx)" if r.errors else ""
            cells.append(f"{r.rps:,.0f}{flag} | {r.p50_ms:.2f} | {r.p99_ms:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Against the floor, median of the per-round ratios (each round's ratio):", ""]
    for name, by_concurrency in ratios.items():
        cells = [
            f"c={c} **{statistics.median(r):.0%}** ({', '.join(f'{x:.0%}' for x in r)})"
            for c, r in by_concurrency.items()
        ]
        lines.append(f"- {name}: " + "; ".join(cells))
    lines += ["", "In-process floor (median of one-row calls, no HTTP):", ""]
    lines += [f"- {name}: {us:.1f} µs" for name, us in floors.items()]
    if stages:
        order = ["decode", "validate", "queue", "infer", "postprocess", "encode", "rows per batch"]
        lines += ["", f"Per-stage means during the c={max(args.concurrency)} run "
                  "(µs per request; infer/postprocess are the whole batch's):", ""]  # fmt: skip
        lines += ["| endpoint | " + " | ".join(order) + " |", "|" + "---|" * (1 + len(order))]
        for name, values in stages.items():
            lines.append(
                f"| {name} | " + " | ".join(f"{values.get(k, 0):.1f}" for k in order) + " |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
