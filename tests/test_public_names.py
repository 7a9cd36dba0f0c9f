"""``dir(modelyard)`` shows the public face, although its names load only on first use."""

from __future__ import annotations

import subprocess
import sys

import modelyard


def test_dir_lists_every_public_name() -> None:
    assert dir(modelyard) == sorted(modelyard.__all__)
    for name in ("log_model", "load", "Registry", "Endpoint", "evaluate", "promote"):
        assert name in dir(modelyard)


def test_every_listed_name_resolves() -> None:
    for name in modelyard.__all__:
        assert getattr(modelyard, name) is not None, name


def test_dir_does_not_import_the_heavy_layers() -> None:
    code = (
        "import sys, modelyard; names = dir(modelyard); "
        "print(sorted(m for m in ('pandas', 'sklearn', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
