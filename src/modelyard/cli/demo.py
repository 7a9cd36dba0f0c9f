"""``modelyard demo``: the README's first command — train, register and serve real models."""

from __future__ import annotations

from pathlib import Path

import typer

from modelyard.cli.context import registry_from


def demo(
    ctx: typer.Context,
    workdir: Path = typer.Option(
        Path(".modelyard/demo"), "--workdir", help="where the endpoints file and sample inputs go"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve after registering"),
) -> None:
    """Train digits-is-3 (PNG images) and breast cancer (records), register and serve them."""
    from modelyard.demo import run_demo  # trains with scikit-learn: only when asked

    run_demo(workdir, host=host, port=port, serve=serve, registry=registry_from(ctx))
