"""Server logs: one short line per event for a person, JSON lines for a collector."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from modelyard.serving.logs import JsonLinesFormatter, TextFormatter, resolve_format
from nettools import free_port, wait_ready

START_DEADLINE_S = 60


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "uvicorn.error", "levelname": "INFO", "levelno": 20, "msg": "serving", **extra}
    )
    record.created = time.mktime((2026, 12, 1, 12, 0, 1, 0, 0, -1))
    return record


def test_a_text_line_is_time_level_message_and_fields() -> None:
    line = TextFormatter(colour=False).format(_record(endpoint="a", status=200))
    assert line == "12:00:01 info    serving  endpoint=a status=200"


def test_a_text_line_on_a_terminal_colours_only_the_level() -> None:
    line = TextFormatter(colour=True).format(_record())
    assert line == "12:00:01 \x1b[32minfo   \x1b[0m serving"


def test_a_long_message_is_cut_in_text_and_kept_whole_in_json() -> None:
    record = _record(msg="payload does not fit the signature: " + "/x: expected number; " * 20)
    line = TextFormatter(colour=False).format(record)
    assert len(line) == len("12:00:01 info    ") + 160 and line.endswith("…")
    assert orjson.loads(JsonLinesFormatter().format(record))["message"] == record.getMessage()


def test_uvicorns_coloured_copy_of_the_message_is_dropped() -> None:
    coloured = {"color_message": "\x1b[1mserving\x1b[0m"}
    document = orjson.loads(JsonLinesFormatter().format(_record(**coloured)))
    assert "color_message" not in document
    assert document["message"] == "serving" and document["logger"] == "uvicorn.error"
    assert "\x1b" not in TextFormatter(colour=False).format(_record(**coloured))


def test_auto_means_json_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert resolve_format("auto") == "json"
    assert resolve_format("text") == "text"


def _serve_and_stop(workdir: Path, *flags: str) -> list[str]:
    """Start a real server, wait until it is ready, stop it; the lines it wrote on stderr."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "serve", "endpoints.yaml", "--port", str(port),
         *flags],
        cwd=workdir, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")},
    )  # fmt: skip
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/v2/health/ready", server, START_DEADLINE_S)
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert ready, err
    return err.splitlines()


def test_a_served_log_is_json_lines_by_default_off_a_terminal(served: Path) -> None:
    documents = [orjson.loads(line) for line in _serve_and_stop(served)]
    loggers = {document["logger"] for document in documents}
    assert {"modelyard.serving", "uvicorn.error"} <= loggers
    assert not any("color_message" in document for document in documents)


def test_a_served_log_in_text_is_one_short_line_per_event(served: Path) -> None:
    lines = _serve_and_stop(served, "--log-format", "text")
    assert not any("GET /v2/health/ready" in line for line in lines), "access log is off"
    assert any(line.endswith("serving  endpoints=['bc']") for line in lines), lines
    assert not any(line.startswith("{") or "\x1b" in line for line in lines), lines
