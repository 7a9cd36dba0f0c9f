"""Starting and stopping real ``modelyard`` server processes for the serving tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from modelyard.demo import Demo
from nettools import free_port, wait_ready

__all__ = ["RunningServer", "free_port", "launch", "new_token", "start_server"]

READY_DEADLINE_S = 90


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
    return launch([sys.executable, "-c", code], port, log, env=env)


def launch(
    command: list[str],
    port: int,
    log: Path,
    *,
    ready: str = "/v2/health/ready",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> RunningServer:
    """Start ``command`` (a server listening on ``port``), its output in ``log``; return once
    ``ready`` answers 200, else stop it and raise with its log."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env, cwd=cwd)
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    if wait_ready(server.url + ready, process, READY_DEADLINE_S):
        return server
    if process.poll() is not None:
        raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{server.log_text()}")
    server.stop()
    raise RuntimeError(f"not ready within {READY_DEADLINE_S} s:\n{server.log_text()}")


def new_token(demo: Demo, name: str, role: str) -> str:
    """A new token of ``role`` in ``demo``'s registry. Servers read tokens at start and on
    each poll: make it before a server that must know it at once."""
    from modelyard.registry import Registry

    registry = Registry(demo.registry_url, demo.artifacts)
    try:
        token, _ = registry.tokens.create(name, role)
    finally:
        registry.close()
    return token
