"""Helpers the registry tests share, importable by the worker processes they start."""

from __future__ import annotations

import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from modelyard.registry import Registry


def register_all(
    url: str, artifacts: str, packages: list[Path], start: Barrier, results: Queue[Any]
) -> None:
    """Worker: wait for every sibling, then register ``packages`` one after another."""
    registry = Registry(url, artifacts)
    start.wait()
    versions = [(registry.register(package).version, str(package)) for package in packages]
    results.put(versions)


def register_but_hang_at_commit(url: str, artifacts: str, package: Path, flag: Path) -> None:
    """Worker: register ``package`` but stop just before the database commit, forever.

    The test kills this process there, which is the worst moment for a registration to die:
    the artifact is stored and the version row is written but not committed.
    """
    registry = Registry(url, artifacts)

    @event.listens_for(Engine, "commit")
    def _hang(_connection: Any) -> None:
        flag.touch()
        time.sleep(600)

    registry.register(package)


def wait_for(path: Path, deadline_s: float = 60.0) -> None:
    """Poll until ``path`` exists, failing after ``deadline_s``."""
    end = time.monotonic() + deadline_s
    while not path.exists():
        if time.monotonic() > end:
            raise TimeoutError(f"{path} did not appear within {deadline_s}s")
        time.sleep(0.05)
