"""The routing modules import nothing the serving install lacks (it carries numpy only)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import modelyard.routing

TRAINING_TIME = ("sklearn", "skl2onnx", "scipy", "pandas", "onnx", "pyarrow", "joblib", "torch")


def test_every_routing_module_imports_without_training_libraries() -> None:
    modules = [
        f"modelyard.routing.{info.name}"
        for info in pkgutil.iter_modules(modelyard.routing.__path__)
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {TRAINING_TIME!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(modules) >= 10
    assert json.loads(done.stdout) == []
