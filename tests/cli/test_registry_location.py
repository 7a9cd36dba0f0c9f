"""Where the registry is: found by walking up like git, created only by commands that write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import modelyard
from modelyard.registry import Registry
from modelyard.registry.location import RegistryNotFoundError

READ_ONLY = [
    ("models", "list"),
    ("models", "show", "breast_cancer:1"),
    ("alias", "history", "breast_cancer"),
    ("lineage", "breast_cancer:1"),
    ("rollback", "breast_cancer@production"),
    ("check", "endpoints.yaml"),
    ("serve", "endpoints.yaml"),
    ("evaluate", "breast_cancer:1", "--data", "test.csv", "--bootstrap", "0"),
]


def _not_found(folder: Path) -> str:
    return (
        f"error: no registry found: looked for .modelyard/ in {folder.resolve()} and every "
        "folder above it; run from inside a project that has one, or pass --registry URL or "
        "set MODELYARD_REGISTRY_URL\n"
    )


@pytest.fixture
def files(workdir: Path) -> Path:
    """The files the read-only commands name, in a folder with no registry above it."""
    (workdir / "endpoints.yaml").write_text(
        "endpoints: [{id: a, model: breast_cancer@production}]\n"
    )
    (workdir / "test.csv").write_text("x,target\n1,0\n")
    return workdir


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a[:2]))
def test_a_read_only_command_says_where_it_looked_and_creates_nothing(
    cli: Callable, files: Path, args: tuple[str, ...]
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err == _not_found(files)
    assert not (files / ".modelyard").exists()


def test_a_command_in_a_subfolder_finds_the_registry_above(
    cli: Callable, logged: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = workdir / "notebooks" / "deep"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = cli("models", "show", "breast_cancer:2")
    assert result.code == 0, result.err
    assert "breast_cancer:2" in result.out
    assert not (nested / ".modelyard").exists()


def test_a_registry_url_naming_a_missing_file_is_refused(cli: Callable, workdir: Path) -> None:
    missing = workdir / "elsewhere" / "registry.db"
    result = cli("--registry", f"sqlite:///{missing}", "models", "list")
    assert result.code == 2
    assert result.err == (
        f"error: no registry at {missing}: expected an existing SQLite file; pass --registry "
        "URL or set MODELYARD_REGISTRY_URL naming one\n"
    )
    assert not missing.parent.exists()


def test_the_environment_variable_points_at_a_registry_elsewhere(
    cli: Callable, logged: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    away = workdir.parent / f"{workdir.name}-away"
    away.mkdir()
    monkeypatch.chdir(away)
    monkeypatch.setenv("MODELYARD_REGISTRY_URL", logged.url)
    result = cli("models", "list")
    assert result.code == 0, result.err
    assert "breast_cancer" in result.out


def test_a_writing_command_creates_the_registry_here(
    cli: Callable, logged: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch, breast_cancer
) -> None:
    model_file = logged.fetch("breast_cancer:1") / "model.onnx"
    fresh = workdir.parent / f"{workdir.name}-fresh"
    fresh.mkdir()
    monkeypatch.chdir(fresh)
    breast_cancer.X_test.head(20).to_csv(fresh / "sample.csv", index=False)
    (fresh / "model.yaml").write_text("name: imported\nsample: sample.csv\n")
    result = cli("log", str(model_file), "--manifest", "model.yaml")
    assert result.code == 0, result.err
    assert "registered imported:1" in result.out
    assert (fresh / ".modelyard" / "registry.db").is_file()


def test_python_load_follows_the_same_rule(workdir: Path) -> None:
    with pytest.raises(RegistryNotFoundError) as raised:
        modelyard.load("breast_cancer@production")
    assert str(raised.value) == _not_found(workdir).removeprefix("error: ").rstrip("\n")
    assert not (workdir / ".modelyard").exists()


def test_python_registry_finds_the_folder_above(
    logged: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = workdir / "src"
    nested.mkdir()
    monkeypatch.chdir(nested)
    found = Registry(create=False)
    assert found.url == f"sqlite:///{workdir.resolve() / '.modelyard' / 'registry.db'}"
    assert [v.version for v in found.list_versions("breast_cancer")] == [1, 2]


def test_python_registry_creates_one_for_a_writer(workdir: Path) -> None:
    Registry().close()
    assert (workdir / ".modelyard" / "registry.db").is_file()


def test_a_modelyard_folder_without_a_registry_is_passed_over(
    cli: Callable, logged: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = workdir / "project"
    (nested / ".modelyard" / "cache").mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = cli("models", "list")
    assert result.code == 0, result.err
    assert "breast_cancer" in result.out
    assert not (nested / ".modelyard" / "registry.db").exists()


def test_the_demo_run_from_a_subfolder_uses_the_registry_above(
    cli: Callable, logged: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = workdir / "notebooks"
    nested.mkdir()
    monkeypatch.chdir(nested)
    result = cli("demo", "--no-serve")
    assert result.code == 0, result.err
    assert (workdir / ".modelyard" / "demo" / "endpoints.yaml").is_file()
    assert not (nested / ".modelyard").exists()
    assert logged.aliases("demo_breast_cancer") == {"production": 1}


@pytest.mark.parametrize("name", ["evaluate", "promote"])
def test_python_evaluate_and_promote_create_no_registry(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELYARD_REGISTRY_URL", raising=False)
    call = getattr(modelyard, name)
    with pytest.raises(RegistryNotFoundError) as raised:
        if name == "evaluate":
            call("bc:1", data=tmp_path / "test.csv", target="target")
        else:
            call("bc:1", "production", tmp_path / "test.csv", "target", [])
    assert f"error: {raised.value}\n" == _not_found(tmp_path)
    assert not (tmp_path / ".modelyard").exists()
