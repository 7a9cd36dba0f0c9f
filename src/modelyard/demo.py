"""``modelyard demo``: train two real models, register them, serve them, show how to call them.

- **digits-is-3**: scikit-learn's 8x8 digits as "is it a 3?", trained on the 64 pixel values
  (0..16) and served behind the ``image`` encoder, so clients send PNG images: grayscale,
  resized to 8x8, scaled back to 0..16, flattened;
- **breast-cancer**: a scaled logistic regression on 30 tabular features, served with the
  ``tabular`` encoder, so clients send JSON records.

Both are packaged as :func:`modelyard.log_model` packages (converted to ONNX, parity proved,
admitted through their own pipeline, test metrics measured through it),
aliased ``@production``, and declared in an ``endpoints.yaml`` the server reads.

Running the demo again changes nothing a user relies on: training is deterministic, so a
model whose files hash the same as a registered version reuses that version; a new version
never moves an existing alias unless asked. Every change made to the registry is reported.
The ``modelyard demo`` command prefixes its model names (``demo_breast_cancer``) so they
never take the version numbers of a project's own ``breast_cancer``.
"""

from __future__ import annotations

import io
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
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

from modelyard.api import package_model
from modelyard.core.errors import NotFoundError
from modelyard.package.manifest import Manifest
from modelyard.registry import Registry

COMMAND_PREFIX = "demo_"
"""Prefix of the model names ``modelyard demo`` registers in a project's registry."""
ALIAS = "production"

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
    changes: list[str] = field(default_factory=list)
    """One line per change made to the registry (or per thing found unchanged)."""


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


def _same_model(new: Manifest, old: Manifest) -> bool:
    """Same files (hashed) and same pipeline: serving either answers alike."""
    return new.files == old.files and new.pipeline == old.pipeline


def _register(registry: Registry, name: str, package: Path, manifest: Manifest) -> tuple[int, str]:
    """The version whose files hash like ``package``'s (registering ``package`` if none
    does), and the line saying which."""
    try:
        versions = registry.list_versions(name)
    except NotFoundError:
        versions = []
    for version in reversed(versions):
        if _same_model(manifest, version.manifest):
            return version.version, f"{name}:{version.version} unchanged (same model files)"
    number = registry.register(package).version
    return number, f"registered {name}:{number}"


def _alias(registry: Registry, name: str, version: int, move: bool) -> str:
    """Point ``@production`` at ``version`` when it points nowhere (or when told to move)."""
    current = registry.aliases(name).get(ALIAS)
    if current == version:
        return f"{name}@{ALIAS} stays at version {current}"
    if current is not None and not move:
        return (
            f"{name}@{ALIAS} stays at version {current}, not moved to version {version} "
            f"(modelyard demo --move-aliases, or modelyard alias set, moves it)"
        )
    event = registry.set_alias(name, ALIAS, version, reason="demo")
    before = "nothing" if event.from_version is None else f"version {event.from_version}"
    return f"{name}@{ALIAS}: {before} → version {version}"


def _log(
    registry: Registry,
    model: Any,
    name: str,
    split: tuple[pd.DataFrame, pd.DataFrame],
    pipeline: dict[str, Any],
    move: bool,
) -> list[str]:
    train, test = split
    features = train.drop(columns="target")
    model.fit(features, train["target"])
    with tempfile.TemporaryDirectory(prefix="modelyard-demo-") as workdir:
        manifest = package_model(
            model, name, workdir, sample=features.head(20), train_data=train, test_data=test,
            target="target", pipeline=pipeline,
        )  # fmt: skip
        version, registered = _register(registry, name, Path(workdir), manifest)
    return [registered, _alias(registry, name, version, move)]


def prepare(
    workdir: str | Path,
    registry: Registry | None = None,
    *,
    prefix: str = "",
    move_aliases: bool = False,
    on_step: Callable[[str], None] = lambda _: None,
) -> Demo:
    """Train and register both models; write endpoints.yaml and sample inputs in ``workdir``.

    Without ``registry`` the models go to a registry of their own under ``workdir``.
    ``prefix`` starts both model names; ``move_aliases`` lets a run that registered a new
    version move an existing ``@production`` to it; ``on_step`` hears what is being done.
    """
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    if registry is None:
        registry = Registry(
            f"sqlite:///{root / 'registry.db'}", str(root / "artifacts"), cache_dir=root / "cache"
        )
    url, artifacts = registry.url, registry.artifacts_url
    digits_name, cancer_name = prefix + DIGITS, prefix + CANCER
    changes: list[str] = []
    try:
        on_step(f"training and packaging {digits_name}")
        digits = load_digits(as_frame=True)
        split = _split(digits.data, (digits.target == 3).astype(np.int64))
        model: Any = LogisticRegression(max_iter=2000)
        changes += _log(registry, model, digits_name, split, DIGITS_PIPELINE, move_aliases)
        on_step(f"training and packaging {cancer_name}")
        cancer = load_breast_cancer(as_frame=True)
        split = _split(cancer.data, cancer.target)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        changes += _log(registry, model, cancer_name, split, CANCER_PIPELINE, move_aliases)
    finally:
        registry.close()
    endpoints = {
        "endpoints": [
            {"id": "digits-is-3", "model": f"{digits_name}@{ALIAS}"},
            {"id": "breast-cancer", "model": f"{cancer_name}@{ALIAS}"},
        ]
    }
    endpoints_file = root / "endpoints.yaml"
    endpoints_file.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    three = digits.data[digits.target == 3].iloc[0].to_numpy()
    png = root / "three.png"
    png.write_bytes(digit_png(three))
    record = {str(k): float(v) for k, v in cancer.data.iloc[0].items()}
    return Demo(url, artifacts, endpoints_file, png, record, changes)


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
        f"open {base_url}/ui",
    ]


def serve_demo(demo: Demo, host: str, port: int) -> None:
    """Serve the demo's endpoints from its registry until interrupted."""
    from modelyard.serving.server import run

    run(str(demo.endpoints_file), host=host, port=port, registry=demo.registry_url,
        artifacts=demo.artifacts)  # fmt: skip


def print_demo(console: Any, demo: Demo, base_url: str) -> None:
    """What the demo changed in the registry, its endpoints file, and the calls to try."""
    for change in demo.changes:
        console.print(change, markup=False, highlight=False, soft_wrap=True)
    console.print(f"[bold]endpoints[/] {demo.endpoints_file}")
    console.print("[bold]try[/] (in another terminal, once the server says it is serving):")
    for line in curl_examples(demo, base_url):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
