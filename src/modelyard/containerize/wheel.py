"""modelyard itself, as a wheel inside the build context: the code that runs here, not a
release an index might serve.

``direct_url.json`` (PEP 610) says where the installed project came from: a source folder
(editable or not) is built with ``pip wheel --no-deps`` from a clean copy of its metadata
files and ``src/`` (an in-tree build would reuse the folder's ``build/``, where files deleted
from the source live on, and a checkout may hold virtual environments and data); a
wheel file is copied as it is. A project installed from an index has no source to build from,
which is said in one line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from modelyard.containerize.requirements import PROJECT
from modelyard.core.errors import ConfigError

SOURCE = "src"
"""The package's folder in the project (``[tool.setuptools.packages.find] where``)."""

LEFT_BEHIND = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
"""What the package folder may hold that is not source: never copied into the build."""


def _is_project_file(path: Path) -> bool:
    """The project's own top-level files a build reads: its metadata, readme and licences."""
    name = path.name.upper()
    return path.is_file() and (
        path.name in ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in")
        or name.startswith(("README", "LICENSE", "LICENCE", "NOTICE"))
    )


NO_SOURCE = (
    "modelyard was not installed from a source folder or a wheel file, so there is nothing "
    "to put in the image: install it with pip install PATH (a checkout or a wheel), then "
    "build again"
)


def _origin() -> Path:
    """The local folder or wheel file the installed project was installed from."""
    text = metadata.distribution(PROJECT).read_text("direct_url.json")
    if not text:
        raise ConfigError(NO_SOURCE)
    url = urlparse(json.loads(text).get("url", ""))
    origin = Path(unquote(url.path))
    if url.scheme != "file" or not origin.exists():
        raise ConfigError(NO_SOURCE)
    return origin


def project_wheel(folder: Path) -> Path:
    """Put modelyard's wheel in ``folder`` (made if missing) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    origin = _origin()
    if origin.is_file() and origin.suffix == ".whl":
        return Path(shutil.copy2(origin, folder / origin.name))
    with tempfile.TemporaryDirectory(prefix="modelyard-wheel-") as scratch:
        return _build(clean_copy(origin, Path(scratch)), folder)


def clean_copy(origin: Path, scratch: Path) -> Path:
    """The project's metadata files and package sources only, copied into ``scratch``: never
    what else a checkout holds (virtual environments, caches, data), which can be gigabytes."""
    copy = scratch / origin.name
    copy.mkdir(parents=True)
    for item in origin.iterdir():
        if _is_project_file(item):
            shutil.copy2(item, copy / item.name)
    shutil.copytree(origin / SOURCE, copy / SOURCE, ignore=LEFT_BEHIND)
    return copy


def _build(source: Path, folder: Path) -> Path:
    """``pip wheel --no-deps`` of ``source`` into ``folder``; one line when it fails."""
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wheels = sorted(folder.glob(f"{PROJECT}-*.whl"))
    if built.returncode != 0 or len(wheels) != 1:
        last = (built.stderr.strip().splitlines() or ["no wheel was written"])[-1]
        raise ConfigError(f"building the modelyard wheel failed: {last}")
    return wheels[0]
