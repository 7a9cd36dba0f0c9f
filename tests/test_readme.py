"""README.md, followed from top to bottom on a fresh folder: every ```bash block, in order.

The blocks are read from README.md itself, so the page and this test never drift. Each command
runs exactly as written, with only what a test cannot do replaced:

- ``pip install …`` is skipped (this test runs installed) and ``pytest`` is not run from
  inside pytest;
- ``modelyard demo`` and ``modelyard serve`` serve until stopped: they run in the background
  until ``/v2/health/ready`` answers, and are stopped at the end;
- ports 8000, 8080, 8081 and 8082 become free ports (the machine may be serving on them already).

A comment ending a command states what differs from success: ``exit 1`` is the status it must
return, and a comment starting with ``{`` is the start of what it prints (up to ``…``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nettools import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[1]
READY_DEADLINE_S = 180
BACKGROUND = ("modelyard demo", "modelyard serve")
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class Command:
    """One command of the README, as written, and what it must do."""

    text: str
    status: int = 0
    prints: str | None = None


def bash_blocks(markdown: str) -> list[str]:
    """The bodies of the ```bash blocks, in order."""
    return re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.M | re.S)


def _complete(text: str) -> bool:
    """Whether ``text`` is a whole command: no open quote, no continuation backslash."""
    if text.endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:  # an open quote: the command goes on
        return False
    return True


def commands(block: str) -> Iterator[Command]:
    """Split a block into commands (continuations, multi-line quotes and heredocs joined)."""
    lines = block.splitlines()
    while lines:
        text = lines.pop(0)
        heredoc = re.search(r"<<'?(\w+)'?", text)
        if heredoc:
            while lines:
                line = lines.pop(0)
                text += "\n" + line
                if line == heredoc.group(1):
                    break
        while not _complete(text) and lines:
            text += "\n" + lines.pop(0)
        if text.strip():
            yield _expectations(text)


def _expectations(text: str) -> Command:
    trailing = re.search(r"\s#\s(.*)$", text.splitlines()[-1])
    comment = trailing.group(1).strip() if trailing else ""
    status = re.search(r"\bexit (\d+)\b", comment)
    prints = comment.split("…")[0] if comment.startswith("{") else None
    return Command(text, int(status.group(1)) if status else 0, prints)


class Session:
    """A shell user in one folder: runs commands, keeps servers running in the background."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ports = {port: free_port() for port in (DEFAULT_PORT, 8080, 8081, 8082)}
        bin_dir = str(Path(sys.executable).parent)
        # a reader's shell: none of this process's modelyard or MLflow settings
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MODELYARD_", "MLFLOW_"))
        }
        self.env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", COLUMNS="120")
        self.servers: list[subprocess.Popen[str]] = []

    def substitute(self, text: str) -> str:
        """The command with its ports made free, and a served demo given its port."""
        for port, free in self.ports.items():
            text = re.sub(rf"(127\.0\.0\.1:|--port ){port}\b", rf"\g<1>{free}", text)
        if text.startswith("modelyard demo") and "--port" not in text:
            text = text.replace("modelyard demo", f"modelyard demo --port {self.ports[8000]}", 1)
        return text

    def run(self, command: Command) -> None:
        text = re.sub(r"^pip install [^&]*&& ", "", command.text)
        if text.startswith(("pip install", "pytest")):
            return
        text = self.substitute(text)
        if text.startswith(BACKGROUND):
            self._serve(text)
            return
        done = subprocess.run(
            ["bash", "-c", text], cwd=self.folder, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == command.status, f"{text}\n{done.stdout}\n{done.stderr}"
        if command.prints is not None:
            assert done.stdout.startswith(command.prints), f"{text}\n{done.stdout}"

    def _serve(self, text: str) -> None:
        """Start a serving command, and return once it answers ready (or fail with its log)."""
        given = re.search(r"--port (\d+)", text)
        assert given is not None, f"{text}: a served command needs --port"
        port = int(given.group(1))
        log = (self.folder / f"server-{port}.log").open("w")
        server = subprocess.Popen(
            ["bash", "-c", f"exec {text}"], cwd=self.folder, env=self.env, stdout=log,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.servers.append(server)
        if wait_ready(f"http://127.0.0.1:{port}/v2/health/ready", server, READY_DEADLINE_S):
            return
        pytest.fail(f"{text} never became ready:\n{Path(log.name).read_text()}")

    def stop(self) -> None:
        for server in self.servers:
            server.send_signal(signal.SIGINT)
        for server in self.servers:
            assert server.wait(timeout=60) == 0


def test_splitting_keeps_continuations_quotes_and_heredocs_whole() -> None:
    block = (
        "cat > f.yaml <<EOF\na: 1\nEOF\n"
        "modelyard promote x:2 --to p \\\n    --gates g.yaml   # refused, exit 1\n"
        'curl -d \'{"a":\n 1}\'   # {"ok":…\n'
    )
    found = list(commands(block))
    assert [c.text.splitlines()[0] for c in found] == [
        "cat > f.yaml <<EOF",
        "modelyard promote x:2 --to p \\",
        'curl -d \'{"a":',
    ]
    assert [c.status for c in found] == [0, 1, 0]
    assert found[2].prints == '{"ok":'


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_every_readme_command_runs_in_order_on_a_fresh_folder(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    session = Session(tmp_path)
    blocks = bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 5, "the README's bash blocks were not found"
    try:
        for block in blocks:
            for command in commands(block):
                session.run(command)
    finally:
        session.stop()
