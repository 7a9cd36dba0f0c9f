"""Helpers for the package tests: a fresh output folder per build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def out(tmp_path: Path) -> Callable[[str], Path]:
    """A path for a new package folder under ``tmp_path`` (not created)."""

    def make(name: str = "pkg") -> Path:
        return tmp_path / name

    return make
