"""Start-up, memory and install size of the serving and the full install, beside their targets.

    python benchmarks/startup_bench.py [--source DIR] [--repeat 5] [--full-extras train]
                                       [--workdir DIR]

It builds two throwaway virtual environments from ``--source`` (default: this checkout), each
with a plain (not editable) ``pip install``, so the figures are what a user's image carries:

- the serving install, ``pip install SOURCE``;
- the full install, ``pip install "SOURCE[EXTRAS]"`` (conversion, evaluation, everything the
  README uses).

Install size is what the install added to an empty environment's ``site-packages`` (pip itself
excluded), and the package count is the number of distributions it added. Then the full
install trains and registers the breast-cancer model (a scaled logistic regression, ONNX), the
serving install serves it from one endpoint with ``modelyard serve``, and the script measures:

- start-up: from starting ``modelyard serve`` to its first 200 on ``/v2/health/ready``, and
  the CPU time the server process used by then (user + system: what the start-up costs on
  a quiet machine, where a busy one only inflates the wall time);
- resident memory (VmRSS) of the server process at that moment;
- ``modelyard --help`` wall time in the full install.

The machine's speed drifts, so each timing is repeated ``--repeat`` times and the median is
printed (with the spread). It prints a Markdown table for BENCHMARKS.md; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
READY_DEADLINE_S = 120.0
MB = 1e6

TARGETS = {
    "start": "< 1 s",
    "rss": "< 150 MB",
    "help": "< 0.3 s",
    "serve_size": "≤ 400 MB",
    "serve_count": "≤ 40",
    "full_size": "≤ 650 MB",
    "full_count": "≤ 60",
}

_SITE = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
_DISTS = (
    "import importlib.metadata as m; "
    "print('\\n'.join(d.metadata['Name'] for d in m.distributions()))"
)

_REGISTER = """
import sys, yaml
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import modelyard

url, artifacts, endpoints = sys.argv[1:4]
registry = modelyard.Registry(url, artifacts)
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
version = modelyard.log_model(model, "breast_cancer", sample=X.head(20), train_data=(X, y),
                              pipeline={"formatter": {"name": "classification"}},
                              registry=registry)
registry.set_alias("breast_cancer", "production", version.version, reason="start-up benchmark")
registry.close()
document = {"endpoints": [{"id": "breast-cancer", "model": "breast_cancer@production"}]}
open(endpoints, "w").write(yaml.safe_dump(document))
"""


def _run(args: list[str], **kwargs: object) -> str:
    done = subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    return str(done.stdout)


def _venv(path: Path, spec: str | None) -> Path:
    """A fresh virtual environment at ``path`` with ``spec`` installed; its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    bin_dir = path / "bin"
    if spec:
        _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", spec])
    return bin_dir


def _footprint(bin_dir: Path) -> tuple[int, set[str]]:
    """Bytes under ``site-packages`` and the names of the installed distributions."""
    python = str(bin_dir / "python")
    site = Path(_run([python, "-c", _SITE]).strip())
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    names = {name.strip().lower() for name in _run([python, "-c", _DISTS]).split() if name}
    return size, names


def install_figures(source: Path, extras: str, workdir: Path) -> dict[str, object]:
    """Build the empty, serving and full environments; their sizes and package counts."""
    empty_size, empty_names = _footprint(_venv(workdir / "empty", None))
    figures: dict[str, object] = {}
    for key, spec in (("serve", str(source)), ("full", f"{source}[{extras}]")):
        started = time.perf_counter()
        bin_dir = _venv(workdir / key, spec)
        size, names = _footprint(bin_dir)
        added = sorted(names - empty_names)
        figures[f"{key}_size"] = (size - empty_size) / MB
        figures[f"{key}_count"] = len(added)
        figures[f"{key}_packages"] = added
        figures[f"{key}_bin"] = bin_dir
        print(f"# {key} install: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"no VmRSS for process {pid}")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (``/proc/PID/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_once(bin_dir: Path, env: dict[str, str], endpoints: Path) -> tuple[float, float, float]:
    """Start ``modelyard serve``; seconds to the first ready 200, the server's CPU seconds by
    then, and its RSS then (MB)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v2/health/ready"
    command = [str(bin_dir / "modelyard"), "serve", str(endpoints), "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - started < READY_DEADLINE_S:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    elapsed = time.perf_counter() - started
                    return elapsed, _cpu_s(process.pid), _rss_mb(process.pid)
            except httpx.HTTPError:
                time.sleep(0.005)
        raise RuntimeError(f"server not ready within {READY_DEADLINE_S} s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _median(values: list[float], unit: str, digits: int) -> str:
    spread = f"{min(values):.{digits}f} to {max(values):.{digits}f}"
    return f"{statistics.median(values):.{digits}f} {unit} ({spread}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="project to install")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing")
    parser.add_argument("--full-extras", default="train", help="extras of the full install")
    parser.add_argument("--workdir", type=Path, help="keep the environments here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="modelyard-startup-"))
    workdir.mkdir(parents=True, exist_ok=True)

    figures = install_figures(args.source.resolve(), args.full_extras, workdir)
    serve_bin, full_bin = Path(str(figures["serve_bin"])), Path(str(figures["full_bin"]))
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    endpoints = home / "endpoints.yaml"
    url, artifacts = f"sqlite:///{home / 'registry.db'}", str(home / "artifacts")
    _run([str(full_bin / "python"), "-c", _REGISTER, url, artifacts, str(endpoints)], cwd=home)
    env = {
        **os.environ,
        "MODELYARD_REGISTRY_URL": url,
        "MODELYARD_ARTIFACTS": artifacts,
        "MODELYARD_HOME": str(home),
    }
    starts, cpus, rss = [], [], []
    for _ in range(args.repeat):
        seconds, cpu, megabytes = serve_once(serve_bin, env, endpoints)
        starts.append(seconds)
        cpus.append(cpu)
        rss.append(megabytes)
    helps = [
        _timed(lambda: _run([str(full_bin / "modelyard"), "--help"], env=env))
        for _ in range(args.repeat)
    ]

    rows = [
        ("serve start-up (first 200 on /v2/health/ready)", _median(starts, "s", 2), "start"),
        ("serve start-up, CPU time of the server by then", _median(cpus, "s", 2), "start"),
        ("serve RSS after start", _median(rss, "MB", 0), "rss"),
        ("`modelyard --help`", _median(helps, "s", 2), "help"),
        ("serving install size", f"{figures['serve_size']:.0f} MB", "serve_size"),
        ("serving install packages", str(figures["serve_count"]), "serve_count"),
        (f"full install `[{args.full_extras}]`", f"{figures['full_size']:.0f} MB", "full_size"),
        ("full install packages", str(figures["full_count"]), "full_count"),
    ]
    load = os.getloadavg()[0]
    print(f"source: {args.source.resolve()}; environments in {workdir}; load average {load:.1f}\n")
    print("| figure | measured | target |\n| --- | --- | --- |")
    for label, value, key in rows:
        print(f"| {label} | {value} | {TARGETS[key]} |")
    for key in ("serve", "full"):
        print(f"\n{key} packages: {json.dumps(figures[f'{key}_packages'])}")


if __name__ == "__main__":
    main()
