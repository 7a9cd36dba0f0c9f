"""Serving ONNX endpoints imports no training-time library.

A real server process serves the demo's registered ONNX models (default endpoint settings),
answers real predictions over HTTP, and then reports which heavy modules its own interpreter
has imported. The answer must be none: the serving install does not carry them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from servertools import free_port

from modelyard.demo import Demo

TRAINING_TIME = ("sklearn", "skl2onnx", "scipy", "pandas", "onnx", "pyarrow", "joblib", "torch")

# Runs the real server in the main thread; a thread waits for readiness (with a deadline),
# calls every kind of route serving has, prints what is in sys.modules, then stops the server.
_SERVE_AND_REPORT = """
import json, os, signal, sys, threading, time, urllib.request
from modelyard.serving.server import run

endpoints, port, registry, artifacts, record, png, heavy = sys.argv[1:]
base = f"http://127.0.0.1:{port}"

def call(path, body=None, content_type="application/json"):
    request = urllib.request.Request(base + path, data=body, headers={"content-type": content_type})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status

def probe():
    deadline = time.monotonic() + 60
    while True:
        try:
            call("/v2/health/ready")
            break
        except OSError:
            if time.monotonic() > deadline:
                os._exit(3)
            time.sleep(0.05)
    features = json.loads(record)
    statuses = [
        call("/endpoints/breast-cancer/predict", json.dumps({"instances": [features]}).encode()),
        call("/endpoints/digits-is-3/predict", open(png, "rb").read(), "image/png"),
        call("/v2/models/breast-cancer/infer", json.dumps({"inputs": [{
            "name": "input", "shape": [1, 30], "datatype": "FP32",
            "data": list(features.values())}]}).encode()),
        call("/metrics"),
    ]
    loaded = sorted(name for name in heavy.split(",") if name in sys.modules)
    print(json.dumps({"statuses": statuses, "loaded": loaded}), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=probe, daemon=True).start()
run(endpoints, port=int(port), registry=registry, artifacts=artifacts)
"""


def test_serving_onnx_endpoints_imports_no_training_library(demo: Demo, tmp_path: Path) -> None:
    args = [
        str(demo.endpoints_file),
        str(free_port()),
        demo.registry_url,
        demo.artifacts,
        json.dumps(demo.cancer_record),
        str(demo.digit_png),
        ",".join(TRAINING_TIME),
    ]
    env = {**os.environ, "MODELYARD_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _SERVE_AND_REPORT, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    reports = [line for line in done.stdout.splitlines() if line.startswith('{"statuses"')]
    assert reports, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert json.loads(reports[0]) == {"statuses": [200, 200, 200, 200], "loaded": []}
