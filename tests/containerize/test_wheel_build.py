"""modelyard installed from a source folder that no longer builds: the build context cannot
get its wheel, and says so in one line.

A fresh virtual environment installs this checkout's copy with pip (not editable, so
``direct_url.json`` names the copy); its dependencies are this environment's, reached through
a ``.pth`` line, so nothing else is downloaded. Then the copy is broken, as a half-edited
checkout is, and ``modelyard containerize`` is run from that environment."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from containerize.commandline import containerize
from modelyard.containerize.wheel import clean_copy
from modelyard.demo import Demo

pytestmark = pytest.mark.slow  # a virtual environment and a wheel build

CHECKOUT = Path(__file__).resolve().parents[2]


def _install_copy(tmp_path: Path) -> tuple[Path, Path]:
    """(the copy of the checkout, the ``bin`` folder of a fresh environment installed from it)."""
    copy = clean_copy(CHECKOUT, tmp_path)
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
    python = env / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(own) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(copy)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    return copy, env / "bin"


def test_a_source_folder_that_no_longer_builds_is_one_line(demo: Demo, tmp_path: Path) -> None:
    copy, bin_dir = _install_copy(tmp_path)
    (copy / "pyproject.toml").write_text('[project\nname = "modelyard"\n')  # mid-edit
    work = tmp_path / "work"
    work.mkdir()
    result = containerize(demo, str(demo.endpoints_file), cwd=work, bin_dir=bin_dir)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: building the modelyard wheel failed: ")
    assert "Expected ']' at the end of a table declaration" in result.stderr  # pip's last line
    assert result.stderr.count("\n") == 1
    assert not (work / "ctx").exists()


def test_the_build_copies_the_project_files_and_sources_only(tmp_path: Path) -> None:
    """A checkout may hold virtual environments (CI's lives inside the clone) and data: none
    of it is copied to build the wheel."""
    checkout = tmp_path / "project"
    (checkout / "src" / "pkg" / "__pycache__").mkdir(parents=True)
    (checkout / "src" / "pkg" / "__init__.py").write_text("")
    (checkout / "src" / "pkg" / "__pycache__" / "x.pyc").write_bytes(b"")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        (checkout / name).write_text(name)
    for folder in (".venv-ci/lib", "data", ".git"):
        (checkout / folder).mkdir(parents=True)
        (checkout / folder / "big").write_bytes(b"0" * 1024)

    copy = clean_copy(checkout, tmp_path / "scratch")

    copied = sorted(str(path.relative_to(copy)) for path in copy.rglob("*"))
    assert copied == [
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "src",
        "src/pkg",
        "src/pkg/__init__.py",
    ]
