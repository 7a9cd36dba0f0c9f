"""The registry commands as a user types them, and every message a mistake prints."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from modelyard.registry import Registry


def test_models_list_says_how_to_start_when_empty(cli: Callable) -> None:
    Registry().close()  # an empty registry, as a writer leaves it
    result = cli("models", "list")
    assert result.code == 0
    assert "no models registered yet" in result.out


def test_models_list_shows_latest_version_and_aliases(cli: Callable, logged: Registry) -> None:
    logged.set_alias("breast_cancer", "production", 1, reason="first")
    result = cli("models", "list")
    assert result.code == 0
    assert "breast_cancer" in result.out
    assert "@production→1" in result.out


def test_models_show_prints_signature_lineage_parity_metrics_and_profile(
    cli: Callable, logged: Registry
) -> None:
    result = cli("models", "show", "breast_cancer:1")
    assert result.code == 0, result.err
    for heading in ("signature (classification)", "lineage", "data profile", "parity"):
        assert heading in result.out
    assert "test accuracy" in result.out
    assert "mean radius" in result.out


def test_alias_set_history_and_rollback(cli: Callable, logged: Registry) -> None:
    assert cli("alias", "set", "breast_cancer@production", "1", "--reason", "first").code == 0
    moved = cli("alias", "set", "breast_cancer@production", "2", "--reason", "better recall")
    assert "version 1 → version 2" in moved.out
    back = cli("rollback", "breast_cancer@production", "--reason", "alerts fired")
    assert back.code == 0
    assert "version 2 → version 1" in back.out
    assert logged.aliases("breast_cancer") == {"production": 1}
    history = cli("alias", "history", "breast_cancer")
    for text in ("first", "better recall", "alerts fired"):
        assert text in history.out


def test_lineage_shows_datasets_and_test_metrics(cli: Callable, logged: Registry) -> None:
    result = cli("lineage", "breast_cancer:2")
    assert result.code == 0
    assert "train" in result.out and "test" in result.out
    assert "test metrics" in result.out


def test_log_registers_an_onnx_file_with_a_manifest_yaml(
    cli: Callable, logged: Registry, workdir: Path, breast_cancer
) -> None:
    package = logged.fetch("breast_cancer:1")
    breast_cancer.frame("test").to_csv(workdir / "test.csv", index=False)
    (workdir / "model.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "imported",
                "sample": "test.csv",
                "test_data": "test.csv",
                "target": "target",
                "tags": {"source": "elsewhere"},
            }
        )
    )
    result = cli("log", str(package / "model.onnx"), "--manifest", "model.yaml")
    assert result.code == 0, result.err
    assert "registered imported:1" in result.out
    version = logged.get("imported:1")
    assert version.manifest.tags == {"source": "elsewhere"}
    assert version.manifest.metrics is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("models", "show", "nope"), "error: no model 'nope'; models: breast_cancer"),
        (
            ("models", "show", "breast_cancer:9"),
            "error: model 'breast_cancer' has no version 9; versions: 1, 2",
        ),
        (("models", "show", "bad name"), "error: bad model reference 'bad name'"),
        (
            ("alias", "set", "breast_cancer", "1", "--reason", "x"),
            "error: expected NAME@ALIAS (e.g. fraud@production), got 'breast_cancer'",
        ),
        (
            ("alias", "set", "breast_cancer@production", "7", "--reason", "x"),
            "error: model 'breast_cancer' has no version 7",
        ),
        (
            ("rollback", "breast_cancer@production"),
            "error: no alias 'production' on 'breast_cancer'",
        ),
        (("lineage", "ghost:1"), "error: no model 'ghost'"),
        (
            ("log", "missing.onnx", "--manifest", "missing.yaml"),
            "error: missing.yaml: no such file",
        ),
    ],
)
def test_user_errors_print_one_line_and_exit_2(
    cli: Callable, logged: Registry, args: tuple[str, ...], message: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith(message), result.err
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1


def test_a_bad_manifest_yaml_names_file_and_line(cli: Callable, workdir: Path) -> None:
    (workdir / "model.yaml").write_text("name: x\nsample: s.csv\ncolour: red\n")
    (workdir / "model.onnx").write_bytes(b"")
    result = cli("log", "model.onnx", "--manifest", "model.yaml")
    assert result.code == 2
    assert "model.yaml:3: colour: Extra inputs are not permitted" in result.err


def test_a_missing_reason_is_a_usage_error_not_a_traceback(cli: Callable, logged: Registry) -> None:
    result = cli("alias", "set", "breast_cancer@production", "1")
    assert result.code == 2
    assert "Missing option '--reason'" in result.err
    assert "Traceback" not in result.err


def test_models_show_lists_stored_evaluations(
    cli: Callable, logged: Registry, workdir: Path, breast_cancer
) -> None:
    data = workdir / "holdout.csv"
    breast_cancer.frame("test").to_csv(data, index=False)
    evaluated = cli(
        "evaluate",
        "breast_cancer:1",
        "--data",
        str(data),
        "--target",
        "target",
        "--bootstrap",
        "10",
    )
    assert evaluated.code == 0, evaluated.err
    result = cli("models", "show", "breast_cancer:1")
    assert "evaluations" in result.out
    assert "balanced_accuracy" in result.out
    assert str(len(breast_cancer.X_test)) in result.out


def test_log_registers_a_torchscript_file_as_a_classifier(
    cli: Callable, workdir: Path, breast_cancer
) -> None:
    if os.environ.get("CI") != "true":
        pytest.importorskip("torch", reason="pip install 'modelyard[torch]'")
    import torch

    from torchnets import mlp_classifier

    net = torch.jit.script(mlp_classifier(breast_cancer.X_train, breast_cancer.y_train))
    net.save(str(workdir / "model.pt"))
    breast_cancer.frame("train").to_csv(workdir / "train.csv", index=False)
    (workdir / "model.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "torch_cancer",
                "sample": "train.csv",
                "train_data": "train.csv",
                "target": "target",
                "pipeline": {"formatter": {"name": "classification"}},
            }
        )
    )
    result = cli("log", "model.pt", "--manifest", "model.yaml")
    assert result.code == 0, result.err
    version = Registry().get("torch_cancer:1")
    assert version.manifest.format == "torchscript"
    assert version.manifest.signature.task == "classification"


def test_check_with_nothing_to_check_says_what_it_takes(cli: Callable) -> None:
    result = cli("check")
    assert result.code == 2
    assert result.err == (
        "error: nothing to check: expected an endpoints file, --gates FILE, or both\n"
    )
