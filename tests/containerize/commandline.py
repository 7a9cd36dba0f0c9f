"""The real ``modelyard`` command, run as a user runs it, for the containerize tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from modelyard.demo import Demo


def modelyard(
    *args: str, cwd: Path, bin_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``modelyard`` command (of ``bin_dir``'s environment, else this one)."""
    command = (bin_dir or Path(sys.executable).parent) / "modelyard"
    return subprocess.run(
        [str(command), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def containerize(
    demo: Demo, endpoints: str, cwd: Path, bin_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``modelyard containerize ENDPOINTS --out ctx`` in ``cwd``, refs resolved in the demo's
    registry."""
    arguments = ("--registry", demo.registry_url, "containerize", endpoints, "--out", "ctx")
    return modelyard(*arguments, cwd=cwd, bin_dir=bin_dir)
