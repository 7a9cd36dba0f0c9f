"""``modelyard demo --no-serve``: the README's first command, up to the point it serves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modelyard.registry import Registry


def test_the_demo_registers_both_models_in_the_default_registry(
    cli: Callable, workdir: Path
) -> None:
    result = cli("demo", "--no-serve", "--port", "8321")
    assert result.code == 0, result.err
    assert "curl -s http://127.0.0.1:8321/endpoints/breast-cancer/predict" in result.out
    assert (workdir / ".modelyard/demo/endpoints.yaml").is_file()
    assert Registry().aliases("breast_cancer") == {"production": 1}
    listed = cli("models", "list")
    assert "digits_is_3" in listed.out and "@production→1" in listed.out
