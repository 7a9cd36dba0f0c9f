"""Ports and readiness for tests that start real servers: one copy for every test area."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen, deadline_s: float) -> bool:  # type: ignore[type-arg]
    """Poll ``url`` until it answers 200 (True), ``process`` exits or ``deadline_s`` passes
    (False). Polling with a deadline, never a sleep that hopes the server is up."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.05)
    return False
