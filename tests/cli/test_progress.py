"""On a terminal, slow commands say what they are doing before their slow imports finish."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

DEADLINE_S = 120


def _terminal_output(args: list[str], cwd: Path) -> tuple[list[tuple[float, str]], int]:
    """Run the command with a pseudo-terminal as stdout and stderr: (seconds, text) chunks."""
    main_fd, child_fd = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
    env.update(COLUMNS="200", TERM="xterm")
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", *args],
        cwd=cwd, stdin=subprocess.DEVNULL, stdout=child_fd, stderr=child_fd, env=env,
    )  # fmt: skip
    os.close(child_fd)
    chunks: list[tuple[float, str]] = []
    while time.monotonic() - start < DEADLINE_S:
        ready, _, _ = select.select([main_fd], [], [], 0.5)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(main_fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append((time.monotonic() - start, data.decode(errors="replace")))
    os.close(main_fd)
    return chunks, process.wait(timeout=DEADLINE_S)


def test_check_shows_what_it_is_doing_before_its_result(served: Path) -> None:
    chunks, status = _terminal_output(["check", "endpoints.yaml"], served)
    assert status == 0, chunks
    text = "".join(part for _, part in chunks)
    assert "checking endpoints.yaml" in text
    assert text.index("checking endpoints.yaml") < text.index("OK")


def test_evaluate_shows_progress_before_the_model_and_data_are_loaded(
    served: Path, breast_cancer
) -> None:
    breast_cancer.frame("test").to_csv(served / "test.csv", index=False)
    args = ["evaluate", "breast_cancer:1", "--data", "test.csv", "--bootstrap", "50"]
    chunks, status = _terminal_output(args, served)
    assert status == 0, chunks
    text = "".join(part for _, part in chunks)
    first = text.index("evaluating breast_cancer:1: loading the model and the data")
    assert first < text.index("bootstrap") < text.index("majority baseline")
