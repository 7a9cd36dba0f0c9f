"""The demo: trains and registers both models, and its printed curl calls work as printed."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import orjson
import pytest
from servertools import start_server

from modelyard.demo import Demo, curl_examples, run_demo


def test_run_demo_without_serving_prints_the_curl_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo: Demo
) -> None:
    made = run_demo(tmp_path / "demo", port=8123, serve=False)
    printed = capsys.readouterr().out
    assert made.endpoints_file.is_file()
    for line in curl_examples(made, "http://127.0.0.1:8123"):
        assert line in printed


def test_the_printed_curl_calls_answer(demo: Demo, tmp_path: Path) -> None:
    server = start_server(demo, demo.endpoints_file, tmp_path)
    try:
        calls = [line for line in curl_examples(demo, server.url) if "/predict" in line]
        assert len(calls) == 3
        for call in calls:
            output = subprocess.run(shlex.split(call), capture_output=True, check=True).stdout
            answer = orjson.loads(output)
            # The record is a malignant tumour (class 0); the image is a 3.
            expected = 0 if "breast-cancer" in call else 1
            assert answer["predictions"][0]["label"] == expected, call
    finally:
        server.stop()
