"""Registries with a past, for the models and aliases pages, and ``modelyard ui`` in a child
process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard import evaluate, log_model
from modelyard.demo import CANCER, CANCER_PIPELINE, DIGITS, Demo, prepare
from modelyard.registry import Registry
from nettools import free_port
from serving.servertools import RunningServer, launch

REGULARISATION = (0.05, 0.002)
"""C of breast_cancer's versions 2 and 3: weaker models, so the chart's points differ."""


def open_registry(demo: Demo) -> Registry:
    return Registry(demo.registry_url, demo.artifacts)


def with_evaluated_versions(workdir: Path) -> Demo:
    """The demo's models, then breast_cancer v2 and v3 (trained with other regularisation),
    both evaluated on the test split with bootstrap intervals; v1 keeps only its test metrics
    from log time. @production: v1 (demo) → v2 → v3."""
    demo = prepare(workdir)
    cancer = load_breast_cancer(as_frame=True)
    frame = cancer.data.assign(target=cancer.target.to_numpy())
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=cancer.target)
    features = train.drop(columns="target")
    registry = open_registry(demo)
    try:
        for c in REGULARISATION:
            model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
            model.fit(features, train["target"])
            version = log_model(
                model, CANCER, sample=features.head(20), train_data=train, test_data=test,
                target="target", pipeline=CANCER_PIPELINE, params={"C": c}, registry=registry,
            )  # fmt: skip
            evaluate(version.ref, test, "target", registry=registry, bootstrap=40)
            registry.set_alias(CANCER, "production", version.version, reason=f"C={c}")
    finally:
        registry.close()
    return demo


def with_alias_history(workdir: Path) -> Demo:
    """The demo's models, breast_cancer's package registered twice more (v2, v3: same files,
    quick), @production moved v1 → v2 (by alice) → v3 (forced, by bob), @staging at v3;
    digits_is_3 registered once more and its @production moved v1 → v2."""
    demo = prepare(workdir)
    registry = open_registry(demo)
    try:
        package = registry.fetch(f"{CANCER}:1")
        for _ in range(2):
            registry.register(package)
        registry.set_alias(CANCER, "production", 2, reason="better recall", actor="alice")
        registry.set_alias(
            CANCER, "production", 3, reason="hotfix past the gates", actor="bob", forced=True
        )
        registry.set_alias(CANCER, "staging", 3, reason="try it", actor="alice")
        registry.register(registry.fetch(f"{DIGITS}:1"))
        registry.set_alias(DIGITS, "production", 2, reason="retrained", actor="alice")
    finally:
        registry.close()
    return demo


def with_dotted_model(demo: Demo, name: str) -> None:
    """``name`` (a name with a dot) logged twice from a small iris model, @production moved
    v1 → v2."""
    iris = load_iris(as_frame=True)
    model = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    registry = open_registry(demo)
    try:
        for version in (1, 2):
            log_model(model, name, sample=iris.data.head(10), registry=registry)
            registry.set_alias(name, "production", version, reason=f"v{version}", actor="alice")
    finally:
        registry.close()


def start_dashboard(demo: Demo, workdir: Path) -> RunningServer:
    """``modelyard ui`` on ``demo``'s registry alone, as a user starts it; once it serves."""
    return start_dashboard_on(demo.registry_url, demo.artifacts, workdir)


def start_dashboard_on(registry_url: str, artifacts: str, workdir: Path) -> RunningServer:
    """``modelyard ui`` on the registry at ``registry_url``; once it serves."""
    port = free_port()
    log = workdir / f"ui-{port}.log"
    command = [
        str(Path(sys.executable).with_name("modelyard")), "ui", "--port", str(port),
        "--registry", registry_url,
    ]  # fmt: skip
    env = {**os.environ, "MODELYARD_ARTIFACTS": artifacts, "MODELYARD_HOME": str(workdir)}
    return launch(command, port, log, ready="/ui/models", env=env, cwd=workdir)
