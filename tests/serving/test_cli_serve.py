"""``modelyard serve``: its options, and the error for a file that cannot be served."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from modelyard.cli.serve import serve
from modelyard.core.errors import ConfigError


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve)
    return app


def test_help_lists_host_port_and_workers() -> None:
    result = CliRunner().invoke(_app(), ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--registry", "--reload-interval",
                   "--body-timeout", "--keep-alive-timeout"):  # fmt: skip
        assert option in result.output


def test_a_missing_endpoints_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), [str(tmp_path / "nope.yaml")])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_an_invalid_endpoints_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.yaml"
    path.write_text("endpoints:\n  - id: a\n    model: cancer\n")
    result = CliRunner().invoke(_app(), [str(path)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith(f"{path}:3: endpoints.0.model: ")
