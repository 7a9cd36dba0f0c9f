"""``modelyard demo``: train two real models, register them, serve them, show how to call them.

- **digits-is-3**: scikit-learn's 8x8 digits as "is it a 3?", trained on the 64 pixel values
  (0..16) and served behind the ``image`` encoder, so clients send PNG images: grayscale,
  resized to 8x8, scaled back to 0..16, flattened;
- **breast-cancer**: a scaled logistic regression on 30 tabular features, served with the
  ``tabular`` encoder, so clients send JSON records.

Both are logged through :func:`modelyard.log_model` (converted to ONNX, parity proved),
aliased ``@production``, and declared in an ``endpoints.yaml`` the server reads.
"""

from __future__ import annotations

import io
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.api import log_model
from modelyard.registry import Registry

DIGITS = "digits_is_3"
CANCER = "breast_cancer"
DIGITS_PIPELINE = {
    "encoder": {
        "name": "image",
        "args": {"size": [8, 8], "color": "grayscale", "scale": 16 / 255, "layout": "flat"},
    },
    "formatter": {"name": "classification"},
}
CANCER_PIPELINE = {"formatter": {"name": "classification"}}


@dataclass(frozen=True)
class Demo:
    """What the demo made: where the registry is, the endpoints file, and sample inputs."""

    registry_url: str
    artifacts: str
    endpoints_file: Path
    digit_png: Path
    cancer_record: dict[str, float]


def digit_png(pixels: np.ndarray) -> bytes:
    """An 8x8 digit (values 0..16) as a grayscale PNG, as a client would send it."""
    image = Image.fromarray(np.round(pixels.reshape(8, 8) * 255 / 16).astype(np.uint8), "L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _split(frame: pd.DataFrame, target: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = train_test_split(
        frame.assign(target=target.to_numpy()), test_size=0.25, random_state=0, stratify=target
    )
    return train, test


def _log(registry: Registry, model: Any, name: str, train: pd.DataFrame, test: pd.DataFrame,
         pipeline: dict[str, Any]) -> None:  # fmt: skip
    features = train.drop(columns="target")
    model.fit(features, train["target"])
    version = log_model(
        model, name, sample=features.head(20), train_data=train, test_data=test,
        target="target", pipeline=pipeline, registry=registry,
    )  # fmt: skip
    registry.set_alias(name, "production", version.version, reason="demo: first version")


def prepare(workdir: str | Path, registry: Registry | None = None) -> Demo:
    """Train and register both models; write endpoints.yaml and sample inputs in ``workdir``.

    Without ``registry`` the models go to a registry of their own under ``workdir``.
    """
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    if registry is None:
        registry = Registry(
            f"sqlite:///{root / 'registry.db'}", str(root / "artifacts"), cache_dir=root / "cache"
        )
    url, artifacts = registry.url, registry.artifacts_url
    try:
        digits = load_digits(as_frame=True)
        train, test = _split(digits.data, (digits.target == 3).astype(np.int64))
        _log(registry, LogisticRegression(max_iter=2000), DIGITS, train, test, DIGITS_PIPELINE)
        cancer = load_breast_cancer(as_frame=True)
        train, test = _split(cancer.data, cancer.target)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        _log(registry, model, CANCER, train, test, CANCER_PIPELINE)
    finally:
        registry.close()
    endpoints = {
        "endpoints": [
            {"id": "digits-is-3", "model": f"{DIGITS}@production"},
            {"id": "breast-cancer", "model": f"{CANCER}@production"},
        ]
    }
    endpoints_file = root / "endpoints.yaml"
    endpoints_file.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    three = digits.data[digits.target == 3].iloc[0].to_numpy()
    png = root / "three.png"
    png.write_bytes(digit_png(three))
    record = {str(k): float(v) for k, v in cancer.data.iloc[0].items()}
    return Demo(url, artifacts, endpoints_file, png, record)


def curl_examples(demo: Demo, base_url: str) -> list[str]:
    """Ready-to-paste ``curl`` calls for the demo's endpoints."""
    import orjson

    record = orjson.dumps({"instances": [demo.cancer_record]}).decode()
    return [
        f"curl -s {base_url}/endpoints/breast-cancer/predict "
        f"-H 'content-type: application/json' -d {shlex.quote(record)}",
        f"curl -s {base_url}/endpoints/digits-is-3/predict "
        f"-H 'content-type: image/png' --data-binary @{shlex.quote(str(demo.digit_png))}",
        f"curl -s {base_url}/endpoints/digits-is-3/predict "
        f"-F file=@{shlex.quote(str(demo.digit_png))}",
        f"curl -s {base_url}/v2/models/breast-cancer",
        f"curl -s {base_url}/metrics | grep modelyard_requests",
        f"open {base_url}/docs",
    ]


def run_demo(
    workdir: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    serve: bool = True,
    registry: Registry | None = None,
) -> Demo:
    """Prepare the demo, print how to call it, and serve it (unless ``serve`` is false)."""
    from rich.console import Console

    from modelyard.serving.server import run

    console = Console()
    demo = prepare(workdir, registry)
    base_url = f"http://{host}:{port}"
    console.print(f"[bold]registered[/] {DIGITS}@production and {CANCER}@production")
    console.print(f"[bold]endpoints[/] {demo.endpoints_file}")
    console.print("[bold]try[/] (in another terminal, once the server says it is serving):")
    for line in curl_examples(demo, base_url):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if serve:
        run(str(demo.endpoints_file), host=host, port=port, registry=demo.registry_url,
            artifacts=demo.artifacts)  # fmt: skip
    return demo
