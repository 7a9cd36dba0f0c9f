"""``modelyard demo --no-serve``: what it registers, and that running it again moves nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from modelyard.api import log_model
from modelyard.registry import Registry


def test_the_demo_registers_both_models_and_prints_each_change(
    cli: Callable, workdir: Path
) -> None:
    result = cli("demo", "--no-serve", "--port", "8321")
    assert result.code == 0, result.err
    assert "registered demo_breast_cancer:1" in result.out
    assert "demo_breast_cancer@production: nothing → version 1" in result.out
    assert "curl -s http://127.0.0.1:8321/endpoints/breast-cancer/predict" in result.out
    assert (workdir / ".modelyard/demo/endpoints.yaml").is_file()
    assert Registry().aliases("demo_breast_cancer") == {"production": 1}
    listed = cli("models", "list")
    assert "demo_digits_is_3" in listed.out and "@production→1" in listed.out


def test_the_demo_leaves_the_readme_names_free(cli: Callable, workdir: Path) -> None:
    assert cli("demo", "--no-serve").code == 0
    names = {summary.name for summary in Registry().list_models()}
    assert names == {"demo_breast_cancer", "demo_digits_is_3"}


def test_a_second_run_reuses_identical_versions_and_says_so(cli: Callable, workdir: Path) -> None:
    assert cli("demo", "--no-serve").code == 0
    again = cli("demo", "--no-serve")
    assert again.code == 0, again.err
    assert "demo_breast_cancer:1 unchanged (same model files)" in again.out
    assert "demo_breast_cancer@production stays at version 1" in again.out
    assert "registered" not in again.out
    assert [v.version for v in Registry().list_versions("demo_breast_cancer")] == [1]


def test_a_new_version_does_not_move_an_existing_alias_unless_told(
    cli: Callable, workdir: Path, breast_cancer
) -> None:
    registry = Registry()
    other = LogisticRegression(C=0.01, max_iter=5000).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )
    log_model(other, "demo_breast_cancer", sample=breast_cancer.X_test.head(20), registry=registry)
    registry.set_alias("demo_breast_cancer", "production", 1, reason="mine")

    kept = cli("demo", "--no-serve")
    assert kept.code == 0, kept.err
    assert "registered demo_breast_cancer:2" in kept.out
    assert "demo_breast_cancer@production stays at version 1, not moved to version 2" in kept.out
    assert registry.aliases("demo_breast_cancer") == {"production": 1}

    moved = cli("demo", "--no-serve", "--move-aliases")
    assert "demo_breast_cancer@production: version 1 → version 2" in moved.out
    assert registry.aliases("demo_breast_cancer") == {"production": 2}


def test_the_demo_refuses_a_port_in_use_before_training(
    cli: Callable, workdir: Path, listening_port: int
) -> None:
    result = cli("demo", "--port", str(listening_port))
    assert result.code == 2
    assert result.err == (
        f"error: --port {listening_port}: 127.0.0.1:{listening_port} is already in use; "
        "stop what listens there or pass --port with a free port\n"
    )
    assert not (workdir / ".modelyard").exists()
