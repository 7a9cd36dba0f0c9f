"""The demo: trains and registers both models, and its printed curl calls work as printed."""

from __future__ import annotations

import io
import shlex
import subprocess
from pathlib import Path

import orjson
from rich.console import Console
from servertools import start_server

from modelyard.demo import Demo, curl_examples, print_demo
from modelyard.registry import Registry


def test_the_demo_prints_its_changes_and_the_curl_calls(demo: Demo) -> None:
    console = Console(file=io.StringIO(), width=200)
    print_demo(console, demo, "http://127.0.0.1:8123")
    printed = console.file.getvalue()
    assert demo.endpoints_file.is_file()
    for line in [*demo.changes, *curl_examples(demo, "http://127.0.0.1:8123")]:
        assert line in printed


def test_the_demo_versions_carry_test_metrics_measured_through_their_pipeline(
    demo: Demo,
) -> None:
    registry = Registry(demo.registry_url, demo.artifacts, create=False)
    for name in ("digits_is_3", "breast_cancer"):
        metrics = registry.get(f"{name}@production").manifest.metrics
        assert metrics is not None and metrics.values["accuracy"] > 0.9, name
    registry.close()


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
