"""``modelyard --help`` answers at once: no heavy import, readable labels, a version."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import modelyard

HEAVY = ("pandas", "sklearn", "numpy", "sqlalchemy", "onnxruntime", "uvicorn", "fastapi")


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the CLI, read from its own tree so a new one is covered."""
    import typer.main

    from modelyard.cli.main import app

    paths: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():  # a group's subcommands
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


COMMANDS = _command_paths()


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script's entry point in a fresh interpreter; report what it imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['modelyard', *{list(args)!r}]\n"
        "from modelyard.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        f"    print('IMPORTED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "modelyard")
def test_help_imports_nothing_heavy_and_labels_read_well(command: tuple[str, ...]) -> None:
    result = _run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "IMPORTED []" in result.stdout
    assert "Usage: modelyard" in result.stdout
    for unreadable in ("<bool>", "<str>", "<int>", "<path>"):
        assert unreadable not in result.stdout, unreadable
    assert not re.search(r"\{[a-z_]+\}", result.stdout), "a {name} label"


def test_help_names_arguments_and_types_in_capitals() -> None:
    out = _run_cli("evaluate", "--help").stdout
    assert "Usage: modelyard evaluate [OPTIONS] REF" in out
    assert "--data" in out and "PATH" in out
    assert "--bootstrap" in out and "INTEGER" in out


def test_help_lists_the_choices_of_a_choice_option() -> None:
    assert "auto|json|text" in _run_cli("serve", "--help").stdout


def test_version_prints_the_package_version() -> None:
    result = _run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"modelyard {modelyard.__version__}\n")
    assert "IMPORTED []" in result.stdout
