"""Models, servers and readers for the prediction-log tests.

One registry holds a DataFrame-trained mixed model with a text column (``flowers``), a
numpy-trained classifier (``lr_arrays``, columns ``x0``..), a DataFrame-trained regressor
(``diabetes``), a model whose profile allows one missing feature (``gappy``) and an image
model (``digits``). The log is read back through the real store, as ``modelyard predictions``
reads it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from v2_models import _log_digits, _log_flowers, _log_gappy

from modelyard.api import log_model
from modelyard.demo import Demo
from modelyard.monitoring.store import open_store
from modelyard.registry import Registry

READ_DEADLINE_S = 30.0


def build_registry(home: Path) -> Demo:
    """A registry of every model the prediction-log tests serve (endpoints file not yet
    written: each test module writes its own)."""
    registry = Registry(f"sqlite:///{home / 'registry.db'}", str(home / "artifacts"))
    try:
        _log_flowers(registry)
        _log_gappy(registry)
        _log_digits(registry)
        cancer = load_breast_cancer()
        X, y = cancer.data, cancer.target
        model = LogisticRegression(max_iter=5000).fit(X, y)
        log_model(model, "lr_arrays", sample=X[:64], train_data=(X, y), registry=registry)
        diabetes = load_diabetes(as_frame=True)
        regressor = LinearRegression().fit(diabetes.data, diabetes.target)
        log_model(
            regressor, "diabetes", sample=diabetes.data.head(32),
            train_data=diabetes.data.assign(target=diabetes.target), target="target",
            registry=registry,
        )  # fmt: skip
        return Demo(registry.url, registry.artifacts_url, home / "endpoints.yaml", home, {})
    finally:
        registry.close()


def read_log(demo: Demo, endpoint: str, store: str = "registry") -> pd.DataFrame:
    """Every record of ``endpoint``'s log, oldest first."""
    registry = Registry(demo.registry_url, demo.artifacts)
    try:
        return open_store(store, registry).read(endpoint)
    finally:
        registry.close()


def wait_for(
    read: Callable[[], pd.DataFrame], done: Callable[[pd.DataFrame], bool]
) -> pd.DataFrame:
    """Read until ``done`` says the frame is complete, within :data:`READ_DEADLINE_S`."""
    deadline = time.monotonic() + READ_DEADLINE_S
    while True:
        frame = read()
        if done(frame) or time.monotonic() > deadline:
            return frame
        time.sleep(0.05)


def series(text: str, name: str, **labels: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of ``name`` in a ``/metrics`` page whose labels include ``labels``."""
    found = []
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", line)
        if match is None:
            continue
        names = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(names.get(key) == value for key, value in labels.items()):
            found.append((names, float(match.group(2))))
    return found


def metric(url: str, name: str, **labels: str) -> float:
    """The value of one series on ``/metrics`` (0 when absent)."""
    found = series(httpx.get(f"{url}/metrics", timeout=30).text, name, **labels)
    return found[0][1] if found else 0.0


def records(frame: pd.DataFrame, request_id: str) -> list[dict[str, Any]]:
    """The rows of one request, by instance."""
    rows = frame[frame["request_id"] == request_id].sort_values("instance")
    return rows.to_dict("records")
