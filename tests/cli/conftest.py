"""Run the real ``modelyard`` entry point in-process against a registry in ``tmp_path``."""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.cli.main import main
from modelyard.registry import Registry


@dataclass
class Result:
    """What one invocation printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose ``.modelyard/`` is the default registry, as a user would have."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELYARD_REGISTRY_URL", raising=False)
    monkeypatch.delenv("MODELYARD_ARTIFACTS", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


@pytest.fixture
def cli(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``cli("models", "list")`` runs ``modelyard models list`` and returns its result."""

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["modelyard", *args])
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def logged_store(tmp_path_factory: pytest.TempPathFactory, breast_cancer) -> Path:  # type: ignore[no-untyped-def]
    """A ``.modelyard/`` folder holding two versions of ``breast_cancer``, built once."""
    root = tmp_path_factory.mktemp("logged")
    registry = Registry(
        f"sqlite:///{root}/.modelyard/registry.db", str(root / ".modelyard/artifacts")
    )
    for c in (1.0, 0.1):
        model = LogisticRegression(C=c, max_iter=5000).fit(
            breast_cancer.X_train, breast_cancer.y_train
        )
        log_model(
            model,
            "breast_cancer",
            sample=breast_cancer.X_test.head(20),
            train_data=breast_cancer.frame("train"),
            test_data=breast_cancer.frame("test"),
            target="target",
            registry=registry,
        )
    registry.close()
    return root / ".modelyard"


@pytest.fixture
def logged(workdir: Path, logged_store: Path) -> Registry:
    """The default registry of ``workdir``: a fresh copy of :func:`logged_store`."""
    shutil.copytree(logged_store, workdir / ".modelyard")
    return Registry()


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port another program holds: a real socket listening on 127.0.0.1."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture
def served(logged: Registry, workdir: Path) -> Path:
    """``workdir`` with an ``endpoints.yaml`` serving ``breast_cancer@production`` (= v1)."""
    logged.set_alias("breast_cancer", "production", 1, reason="serve")
    (workdir / "endpoints.yaml").write_text(
        "endpoints: [{id: bc, model: breast_cancer@production}]\n"
    )
    return workdir
