"""Starting and stopping real ``modelyard`` server processes for the serving tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from modelyard.demo import Demo

READY_DEADLINE_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A ``modelyard`` server process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> int:
        """SIGTERM (uvicorn's graceful shutdown), then the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(
    demo: Demo,
    endpoints_file: Path,
    workdir: Path,
    *,
    timeout_s: float = 30,
    reload_s: float = 0,
    **options: float,
) -> RunningServer:
    """Run ``modelyard.serving.server.run`` in a child process; return once it is ready.

    ``options`` are further keyword arguments of ``run`` (e.g. ``body_timeout_s``)."""
    port = free_port()
    log = workdir / f"server-{port}.log"
    extra = "".join(f", {name}={value!r}" for name, value in options.items())
    code = (
        "from modelyard.serving.server import run; "
        f"run({str(endpoints_file)!r}, port={port}, registry={demo.registry_url!r}, "
        f"artifacts={demo.artifacts!r}, reload_interval_s={reload_s}, timeout_s={timeout_s}"
        f"{extra})"
    )
    env = {**os.environ, "MODELYARD_HOME": str(workdir)}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=out, env=env)
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(f"{server.url}/v2/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server not ready within {READY_DEADLINE_S} s:\n{server.log_text()}")
